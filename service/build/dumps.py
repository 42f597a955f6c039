"""The downloads of a generation: the dataset as gzipped TriG, N-Quads and Turtle, the links
graph as N-Triples, and ``SHA256SUMS`` (the format of GNU ``sha256sum``, so
``sha256sum -c SHA256SUMS`` checks a download).

Written once at build time; the web side serves them as static files (ETag from the checksum,
Range requests). Gzip members carry no name and mtime 0, so the same dataset gives the same
bytes and the same checksums in every build.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..generations import sha256_file
from ..namespaces import GRAPH, PREFIXES

__all__ = ["DOWNLOADS", "Download", "write_dumps"]


@dataclass(frozen=True)
class Download:
    """One download: file name, media type (before gzip), title."""

    name: str
    media_type: str
    title: str


DOWNLOADS: tuple[Download, ...] = (
    Download("dataset.trig.gz", "application/trig", "TriG: every named graph"),
    Download("dataset.nq.gz", "application/n-quads", "N-Quads: every named graph"),
    Download("dataset.ttl.gz", "text/turtle", "Turtle: the merge of all graphs (no graph names)"),
    Download(
        "links.nt.gz",
        "application/n-triples",
        "N-Triples: the links graph (links to Wikidata, GeoNames, the World Bank, with their "
        "linksets)",
    ),
)
LINKS_GRAPH = GRAPH["links"]


def _gzip(target: Path, chunks: Iterable[bytes]) -> None:
    with open(target, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as handle:
            for chunk in chunks:
                handle.write(chunk)


# Every dump is made from the build's N-Quads, never read back from the store: Oxigraph
# stores some literals in canonical form ("84.0"^^xsd:decimal comes back as "84"), and a
# download must carry each value exactly as the sources state it.


def _quads(nquads: bytes):
    return ox.parse(nquads, format=ox.RdfFormat.N_QUADS)


def _prefixes() -> dict[str, str]:
    return {name: str(ns) for name, ns in PREFIXES.items()}


def _merge_as_turtle(nquads: bytes) -> bytes:
    triples = dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in _quads(nquads))
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=_prefixes())


def _graph_as_ntriples(nquads: bytes, graph: str) -> bytes:
    name = ox.NamedNode(graph)
    triples = (
        ox.Triple(q.subject, q.predicate, q.object) for q in _quads(nquads) if q.graph_name == name
    )
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


def _trig(nquads: bytes) -> bytes:
    return ox.serialize(_quads(nquads), format=ox.RdfFormat.TRIG, prefixes=_prefixes())


def write_dumps(folder: Path, *, nquads: bytes, trig: bytes | None = None) -> list[str]:
    """Write the downloads and ``SHA256SUMS`` into ``folder`` (created); their names."""
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        "dataset.trig.gz": lambda: [trig if trig is not None else _trig(nquads)],
        "dataset.nq.gz": lambda: [nquads],
        "dataset.ttl.gz": lambda: [_merge_as_turtle(nquads)],
        "links.nt.gz": lambda: [_graph_as_ntriples(nquads, str(LINKS_GRAPH))],
    }
    sums = []
    for item in DOWNLOADS:
        target = folder / item.name
        _gzip(target, contents[item.name]())
        sums.append(f"{sha256_file(target)}  {item.name}\n")
    (folder / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
    return [item.name for item in DOWNLOADS] + ["SHA256SUMS"]
