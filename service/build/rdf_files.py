"""Reading RDF files in any standard syntax, with one clear line for a file that is broken.

``migkg validate`` and the build read files through :func:`read`:

* the syntax comes from the extension, or from ``--format`` (:data:`FORMATS`): Turtle
  (``.ttl``), TriG (``.trig``, a default graph written as a ``{ ... }`` block included),
  N-Triples (``.nt``), N-Quads (``.nq``), JSON-LD (``.jsonld``, ``.json``) and RDF/XML (``.rdf``,
  ``.owl``, ``.xml``); a trailing ``.gz`` is decompressed first, so every dump the service
  publishes (``/downloads``) reads as it is;
* no base IRI is imposed: as with any RDF tool, a relative IRI resolves against the file's own
  address (the project's files hold none; ``tests/test_rdf_readers.py`` checks that plain rdflib
  and Oxigraph read them alike);
* a file that is not RDF in the syntax it was read as is a :class:`SourceError` whose message is
  ``file:line: reason`` (line 1 when the whole file is unusable: an unknown extension, a broken
  gzip stream; no line for a missing file). rdflib's parsers do not always say where they stopped (its N-Quads
  parser never does), so the line is then taken from Oxigraph's parser, which always does.

The result is an rdflib :class:`~rdflib.Dataset`: named graphs as the file names them, the
triples of a triple-only syntax (and a TriG or JSON-LD default graph) in its default graph.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph

__all__ = ["FORMATS", "SourceError", "format_of", "is_rdf_file", "read", "DEFAULT_GRAPH"]


class SourceError(Exception):
    """A file is missing or cannot be parsed; the message is ``file:line: reason``."""


#: --format name -> (rdflib parser, Oxigraph format, holds named graphs)
FORMATS: dict[str, tuple[str, ox.RdfFormat, bool]] = {
    "turtle": ("turtle", ox.RdfFormat.TURTLE, False),
    "trig": ("trig", ox.RdfFormat.TRIG, True),
    "ntriples": ("nt", ox.RdfFormat.N_TRIPLES, False),
    "nquads": ("nquads", ox.RdfFormat.N_QUADS, True),
    "jsonld": ("json-ld", ox.RdfFormat.JSON_LD, True),
    "rdfxml": ("xml", ox.RdfFormat.RDF_XML, False),
}
_EXTENSIONS = {
    ".ttl": "turtle",
    ".trig": "trig",
    ".nt": "ntriples",
    ".nq": "nquads",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
}
#: rdflib's name for the default graph of a Dataset.
DEFAULT_GRAPH = Dataset().default_graph.identifier


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def is_rdf_file(path: Path) -> bool:
    """True when the extension names a syntax :func:`read` knows (``.gz`` or not)."""
    return _suffix(path) in _EXTENSIONS


def format_of(path: Path, declared: str | None = None) -> str:
    """The format name of ``path``: ``declared`` (``--format``) when given, else its extension."""
    if declared:
        if declared not in FORMATS:
            raise SourceError(
                f"{path}:1: unknown format {declared!r} (one of {', '.join(FORMATS)})"
            )
        return declared
    fmt = _EXTENSIONS.get(_suffix(path))
    if fmt is None:
        raise SourceError(
            f"{path}:1: not a known RDF file extension "
            f"({', '.join(sorted(_EXTENSIONS))}, optionally .gz); "
            f"name the syntax with --format"
        )
    return fmt


_LINE_RE = re.compile(r"line (\d+)")


def _oxigraph_position(data: bytes, fmt: str) -> tuple[str, str] | None:
    """(line, reason) from Oxigraph's parser, or None when it reads the data fine."""
    try:
        for _ in ox.parse(data, format=FORMATS[fmt][1], base_iri="file:///"):
            pass
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None)
        return (str(line) if line else "?", _oxigraph_reason(exc))
    except Exception:  # noqa: BLE001 - any other failure: keep rdflib's account
        return None
    return None


def _oxigraph_reason(exc: SyntaxError) -> str:
    """ "Parser error at line 3 column 23: The object ... (line 3)" -> "The object ..."."""
    reason = re.sub(r"\s*\(line \d+\)\s*$", "", str(exc).split(": ", 1)[-1])
    return " ".join(reason.split())[:200]


def _rdflib_position(exc: Exception) -> tuple[str, str]:
    lines = getattr(exc, "lines", None)
    if isinstance(lines, int):
        line = str(lines + 1)
    elif getattr(exc, "lineno", None):
        line = str(exc.lineno)
    elif hasattr(exc, "getLineNumber"):
        line = str(exc.getLineNumber())
    else:
        match = _LINE_RE.search(str(exc))
        line = match.group(1) if match else "?"
    why = (
        getattr(exc, "_why", None)
        or (exc.getMessage() if hasattr(exc, "getMessage") else "")
        or (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
    )
    return line, " ".join(str(why).split())[:200]


def _bytes_of(path: Path) -> bytes:
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{path}:1: not a readable gzip file ({exc})") from None
    return data


def read(path: Path, declared: str | None = None, *, absolute: bool = False) -> Dataset:
    """Parse ``path`` (see the module docstring) into a new rdflib Dataset. With ``absolute``,
    a relative IRI is an error (the project's own files must mean the same to every reader)."""
    fmt = format_of(path, declared)
    data = _bytes_of(path)
    if absolute:
        try:
            for _ in ox.parse(data, format=FORMATS[fmt][1]):
                pass
        except SyntaxError as exc:
            reason = _oxigraph_reason(exc)
            raise SourceError(
                f"{path}:{getattr(exc, 'lineno', None) or '?'}: {reason}"
                + (
                    " (state IRIs in full: no relative IRIs, no @base)"
                    if "absolute IRI" in reason
                    else ""
                )
            ) from None
    parser, _, quads = FORMATS[fmt]
    dataset = Dataset()
    try:
        if quads:
            dataset.parse(data=data, format=parser, publicID=path.resolve().as_uri())
        else:
            graph = Graph()
            graph.parse(data=data, format=parser, publicID=path.resolve().as_uri())
            default = dataset.default_graph
            default += graph
    except Exception as exc:  # noqa: BLE001 - rdflib raises many unrelated types for bad syntax
        ours, theirs = _oxigraph_position(data, fmt), _rdflib_position(exc)
        line, reason = ours if ours and (ours[0] != "?" or theirs[0] == "?") else theirs
        raise SourceError(f"{path}:{line}: {reason}") from None
    return dataset
