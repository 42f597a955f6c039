"""Validation of the sources: SHACL shapes (pySHACL), the Data Cube integrity constraints,
and the named-graph descriptions, summarised in one :class:`ValidationReport`.

Violations fail validation (and so the build); warnings (the consistency checks of
shapes/consistency.shapes.ttl) are reported but do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from ..namespaces import MIG, SH
from . import datacube
from .rdf_files import DEFAULT_GRAPH
from .sources import LoadedSources, SourceError, load


@dataclass(frozen=True)
class Finding:
    severity: str  # "Violation" | "Warning" | "Info"
    focus: str  # IRI (or "_:b" for blank nodes)
    label: str  # the focus node's label, when it has one
    path: str  # the property path, when the shape gives one
    message: str
    file: str  # the source file that describes the focus node
    shape: str = ""

    def line(self) -> str:
        where = f" [{self.file}]" if self.file else ""
        path = f" {self.path}:" if self.path else ""
        name = f"{self.label} <{self.focus}>" if self.label else f"<{self.focus}>"
        return f"{self.severity}: {name}{path} {self.message}{where}"


@dataclass
class ValidationReport:
    findings: list[Finding] = field(default_factory=list)
    ic_results: list[datacube.ICResult] = field(default_factory=list)
    triples: int = 0
    files: int = 0

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        verdict = "conforms" if self.conforms else "does NOT conform"
        return (
            f"{self.files} files, {self.triples} triples: {verdict} "
            f"({len(self.violations)} violations, {len(self.warnings)} warnings; "
            f"Data Cube IC-1..IC-21: {sum(r.violated for r in self.ic_results)} violated)"
        )

    def text(self) -> str:
        order = {"Violation": 0, "Warning": 1, "Info": 2}
        lines = [
            f.line()
            for f in sorted(
                self.findings, key=lambda f: (order.get(f.severity, 3), f.file, f.focus)
            )
        ]
        return "\n".join(lines + [self.summary()])


def _shapes_graph(config: dict) -> Graph:
    shapes = Graph()
    files = sorted(Path(config["SHAPES_DIR"]).glob("*.ttl"))
    if not files:
        raise SourceError(f"{config['SHAPES_DIR']}: no shapes found")
    for path in files:
        try:
            shapes.parse(path, format="turtle")
        except Exception as exc:
            raise SourceError(f"{path}: {' '.join(str(exc).split())[:200]}") from None
    return shapes


def _label(graph: Graph, node) -> str:
    for prop in (RDFS.label, SKOS.prefLabel):
        value = graph.value(node, prop)
        if value is not None:
            return str(value)
    return ""


SHAPES_NS = "https://w3id.org/migkg/shapes#"


def _shacl_findings(
    union: Graph,
    shapes: Graph,
    sources: LoadedSources,
    only: list[str] | None = None,
    use: list[URIRef] | None = None,
) -> list[Finding]:
    """pySHACL's findings; ``only`` names node shapes of shapes/ (``use``: their IRIs)."""
    if only:
        use = [URIRef(SHAPES_NS + name) for name in only]
    _, results, _ = shacl_validate(
        union,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        use_shapes=use,
        # no inference, so nothing is added to the data graph: no need for pySHACL's copy
        # of it (4 s per 350,000 triples)
        inplace=True,
    )
    if not isinstance(results, Graph):  # pySHACL's ValidationFailure: the shapes are broken
        raise SourceError(f"shapes: {getattr(results, 'message', results)}")
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        severity = str(results.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        shape = results.value(result, SH.sourceShape)
        findings.append(
            Finding(
                severity=severity,
                focus=str(focus) if not isinstance(focus, BNode) else "_:" + str(focus),
                label=_label(union, focus),
                path=union.namespace_manager.normalizeUri(path) if isinstance(path, URIRef) else "",
                message=str(message) if message is not None else "does not conform to its shape",
                file=str(sources.origin.get(focus, "")),
                shape=str(shape) if isinstance(shape, URIRef) else "",
            )
        )
    return findings


def graph_description_findings(sources: LoadedSources, union: Graph) -> list[Finding]:
    described = set(union.subjects(RDF.type, MIG.SourceGraph))
    return [
        Finding(
            "Violation",
            str(ctx.identifier),
            "",
            "",
            "This named graph has no description (a mig:SourceGraph in graph_data/reference/graphs.ttl).",
            "",
        )
        for ctx in sources.dataset.graphs()
        if isinstance(ctx.identifier, URIRef)
        and ctx.identifier != DEFAULT_GRAPH
        and len(ctx)
        and ctx.identifier not in described
    ]


def ic_findings(results: list[datacube.ICResult]) -> list[Finding]:
    return [
        Finding("Violation", "", "", "", f"Data Cube {r.constraint} violated: {r.description}", "")
        for r in results
        if r.violated
    ]


def validate_loaded(
    config: dict,
    sources: LoadedSources,
    only: list[str] | None = None,
) -> ValidationReport:
    """Validate loaded sources. ``only`` limits the SHACL part to the named node shapes (the
    mutation tests use it to check one shape quickly); the Data Cube checks always run.
    (An update's changes are validated by :mod:`.changes_validation`.)
    (pySHACL's focus_nodes option is not used: it skips nested shapes such as sh:or.)"""
    union = sources.union()
    report = ValidationReport(triples=len(union), files=len(sources.files))
    report.findings += _shacl_findings(union, _shapes_graph(config), sources, only)
    report.ic_results = datacube.check(union)
    report.findings += ic_findings(report.ic_results)
    report.findings += graph_description_findings(sources, union)
    return report


def validate_sources(
    config: dict, paths: list[Path] | None = None, fmt: str | None = None
) -> ValidationReport:
    """Load graph_data/ (or the given files, in syntax ``fmt`` or by extension, with the
    ontology and reference graph unless they carry their own) and validate."""
    return validate_loaded(config, load(config, paths, fmt))
