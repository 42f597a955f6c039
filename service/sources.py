"""Finding and parsing the source files of the dataset.

The layout is the contract: ``ontology/*.ttl`` is the named graph ``{base}graph/ontology``;
each folder ``graph_data/<name>/`` is the named graph ``{base}graph/<name>``, made of every
``*.ttl`` file in it. Files use relative IRIs resolved against the configured base IRI, so
the same data dereferences on whatever host serves it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, URIRef


class SourceError(Exception):
    """A source file is missing or cannot be parsed; the message names file and line."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    graph: str  # graph name (the folder), e.g. "mpl-2015"

    def graph_iri(self, base_iri: str) -> URIRef:
        return URIRef(f"{base_iri}graph/{self.graph}")


def discover(config: dict) -> list[SourceFile]:
    """Every source file of the dataset, in a stable order."""
    files = [SourceFile(p, "ontology") for p in sorted(Path(config["ONTOLOGY_DIR"]).glob("*.ttl"))]
    data_dir = Path(config["GRAPH_DATA_DIR"])
    for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        files += [SourceFile(p, folder.name) for p in sorted(folder.glob("*.ttl"))]
    if not files:
        raise SourceError(f"{data_dir}: no Turtle files found")
    return files


def graph_name_for(path: Path, config: dict) -> str:
    """The named graph a file belongs to: its folder under graph_data/, else its stem."""
    path = path.resolve()
    if path.parent == Path(config["ONTOLOGY_DIR"]).resolve():
        return "ontology"
    data_dir = Path(config["GRAPH_DATA_DIR"]).resolve()
    if path.parent.parent == data_dir:
        return path.parent.name
    return path.stem.split(".")[0]


_LINE_RE = re.compile(r"line (\d+)")


def _line_of(exc: Exception) -> str:
    lines = getattr(exc, "lines", None)
    if isinstance(lines, int):
        return str(lines + 1)
    match = _LINE_RE.search(str(exc))
    return match.group(1) if match else "?"


def _reason(exc: Exception) -> str:
    why = getattr(exc, "_why", None) or str(exc).strip().splitlines()[-1]
    return " ".join(str(why).split())[:200]


def parse_file(source: SourceFile, base_iri: str) -> Graph:
    """Parse one Turtle file; syntax errors become a one-line SourceError."""
    if not source.path.is_file():
        raise SourceError(f"{source.path}: no such file")
    graph = Graph()
    try:
        graph.parse(source.path, format="turtle", publicID=base_iri)
    except Exception as exc:  # rdflib raises several unrelated types for bad syntax
        raise SourceError(f"{source.path}:{_line_of(exc)}: {_reason(exc)}") from None
    return graph


@dataclass
class LoadedSources:
    dataset: Dataset
    files: list[SourceFile]
    #: subject IRI -> the file that first describes it (for readable reports)
    origin: dict

    def union(self) -> Graph:
        """All named graphs in one graph (what validation and the IC checks see)."""
        union = Graph()
        for ctx in self.dataset.graphs():
            union += ctx
        return union


def load(config: dict, paths: list[Path] | None = None) -> LoadedSources:
    """Parse the sources into an rdflib Dataset, one named graph per folder.

    With ``paths``, those files are validated with the ontology and the reference graph
    (whose classes and code lists every other graph relies on) instead of all of graph_data/.
    """
    base = config["BASE_IRI"]
    if paths:
        files = [f for f in discover(config) if f.graph in ("ontology", "reference")]
        known = {f.path.resolve() for f in files}
        for path in paths:
            if not path.exists():
                raise SourceError(f"{path}: no such file")
            targets = sorted(path.glob("*/*.ttl")) + sorted(path.glob("*.ttl")) if path.is_dir() else [path]
            for target in targets:
                if target.resolve() not in known:
                    files.append(SourceFile(target, graph_name_for(target, config)))
                    known.add(target.resolve())
    else:
        files = discover(config)
    dataset = Dataset()
    origin: dict = {}
    for source in files:
        graph = parse_file(source, base)
        context = dataset.graph(source.graph_iri(base))
        context += graph
        for subject in graph.subjects(unique=True):
            origin.setdefault(subject, source.path)
    return LoadedSources(dataset, files, origin)
