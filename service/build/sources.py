"""Finding and reading the files to build or validate.

The layout is the contract: ``ontology/*.ttl`` is the named graph ``{MIGKG}graph/ontology``;
each folder ``graph_data/<name>/`` is the named graph ``{MIGKG}graph/<name>``, made of every
``*.ttl`` file in it. The files state every IRI in full (persistent, under
:data:`service.namespaces.MIGKG`), so any RDF tool reads them as the build does.

The project's files are published with their implied standard types made explicit
(:mod:`service.build.entailment`). Any other file given to ``migkg validate`` (a downloaded dump, a
contributor's file) is read as it is, in any syntax :mod:`service.build.rdf_files` knows, with its own
named graphs. A file that carries the ontology document ``{MIGKG}def`` is a whole dataset and is
validated on its own (so a copy re-hosted under another namespace validates the same way);
anything else is a part, validated with this checkout's graphs that it does not replace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ..namespaces import GRAPH, MIGKG
from .entailment import materialise_types
from .rdf_files import DEFAULT_GRAPH, SourceError, is_rdf_file, read

__all__ = ["LoadedSources", "SourceError", "SourceFile", "discover", "load"]

ONTOLOGY_IRI = URIRef(MIGKG + "def")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    #: the named graph of a project file (its folder, or "ontology"); None for any other file,
    #: whose triples keep the graphs the file itself gives them
    graph: str | None
    #: the syntax, when it is not to be taken from the extension
    format: str | None = None

    @property
    def graph_iri(self) -> URIRef | None:
        return GRAPH[self.graph] if self.graph else None


def discover(config: dict) -> list[SourceFile]:
    """Every project file of the dataset, in a stable order."""
    files = [SourceFile(p, "ontology") for p in sorted(Path(config["ONTOLOGY_DIR"]).glob("*.ttl"))]
    data_dir = Path(config["GRAPH_DATA_DIR"])
    for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        files += [SourceFile(p, folder.name) for p in sorted(folder.glob("*.ttl"))]
    if not files:
        raise SourceError(f"{data_dir}: no Turtle files found")
    return files


def project_graph_of(path: Path, config: dict) -> str | None:
    """The named graph a project file belongs to (``ontology`` or its graph_data/ folder);
    None for a file outside those folders."""
    path = path.resolve()
    if path.suffix != ".ttl":
        return None
    if path.parent == Path(config["ONTOLOGY_DIR"]).resolve():
        return "ontology"
    if path.parent.parent == Path(config["GRAPH_DATA_DIR"]).resolve():
        return path.parent.name
    return None


@dataclass
class LoadedSources:
    dataset: Dataset
    files: list[SourceFile]
    #: subject IRI -> the file that first describes it (for readable reports)
    origin: dict

    def union(self) -> Graph:
        """All graphs in one graph (what validation and the IC checks see)."""
        union = Graph()
        for ctx in self.dataset.graphs():
            union += ctx
        return union


def _expand(paths: list[Path], fmt: str | None, config: dict) -> list[SourceFile]:
    files = []
    for path in paths:
        if not path.exists():
            raise SourceError(f"{path}: no such file")
        targets = (
            sorted(p for p in path.rglob("*") if p.is_file() and is_rdf_file(p))
            if path.is_dir()
            else [path]
        )
        for target in targets:
            files.append(SourceFile(target, None if fmt else project_graph_of(target, config), fmt))
    return files


def _is_complete(dataset: Dataset) -> bool:
    """True when a file carries the ontology document itself: a whole dataset (a dump), to be
    validated on its own, whatever namespace its instances use."""
    return any(True for _ in dataset.quads((ONTOLOGY_IRI, RDF.type, OWL.Ontology, None)))


def load(config: dict, paths: list[Path] | None = None, fmt: str | None = None) -> LoadedSources:
    """Read the project's files (or ``paths``, in syntax ``fmt`` or by extension) into an rdflib
    Dataset: one named graph per project folder, other files with their own graphs."""
    project = discover(config)
    if paths:
        chosen = _expand(paths, fmt, config)
        parsed = {
            source: read(source.path, source.format, absolute=source.graph is not None)
            for source in chosen
        }
        if any(_is_complete(d) for d in parsed.values()):
            support = []
        else:  # a part of the dataset: checked with the rest of this checkout's graphs
            named = {ctx.identifier for d in parsed.values() for ctx in d.graphs() if len(ctx)}
            support = [f for f in project if f.graph_iri not in named]
        chosen_paths = {f.path.resolve() for f in chosen}
        files = [f for f in support if f.path.resolve() not in chosen_paths] + chosen
    else:
        files, parsed = project, {}
    dataset = Dataset()
    origin: dict = {}
    project_graphs = set()
    for source in files:
        parsed_file = (
            parsed[source]
            if source in parsed
            else read(source.path, source.format, absolute=source.graph is not None)
        )
        for ctx in parsed_file.graphs():
            if not len(ctx):
                continue
            if source.graph is not None:
                target = dataset.graph(source.graph_iri)
                project_graphs.add(source.graph_iri)
            elif ctx.identifier == DEFAULT_GRAPH:
                target = dataset.default_graph
            else:
                target = dataset.graph(ctx.identifier)
            target += ctx
            for subject in ctx.subjects(unique=True):
                origin.setdefault(subject, source.path)
    if project_graphs:  # the subclass axioms wherever they are (the ontology graph, as a rule)
        ontology = Graph()
        for ctx in dataset.graphs():
            ontology += ctx.triples((None, RDFS.subClassOf, None))
        materialise_types(dataset, ontology, project_graphs)
    return LoadedSources(dataset, files, origin)
