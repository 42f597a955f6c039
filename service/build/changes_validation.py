"""Validation of an update's changes to the producers graph, with the project's shapes, in
parallel processes.

pySHACL spends ~3 ms per observation on this data: a first update of all 49 states (14,819 new
observations, 311,000 triples) took 79 s to validate in one process, two thirds of the whole run
(bench/RESULTS.md, "Producer update"). What is validated does not change, only how:

* the new observations come in ``VALIDATION_PROCESSES`` disjoint shares (each observation
  and its triples in exactly one: :attr:`service.update.history.Changes.observations`), each
  validated in a forked process together with everything the shares refer to — the run's
  releases, responses and activity, the replaced observations and earlier releases
  (``context``) — and the project's graphs, with all of ``shapes/``;
* the project's graphs are in every share (what the changes refer to); when the project did
  not change since the current generation (the same canonical N-Quads, ``project_version`` in
  its ``meta.json``: validated when that generation was built), only the shapes that target a
  node of the changes or their context run (:func:`relevant_shapes`; the consistency checks of
  the publications' breakdowns, ~5 s, do not);
* the Data Cube integrity constraints are not run here but on the whole dataset about to be
  published, on Oxigraph (:func:`service.build.datacube.check_nquads`).

Forked processes share the parent's graphs copy-on-write, so nothing is serialised to start
them; each returns its findings.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from rdflib import Graph, URIRef
from rdflib.graph import ReadOnlyGraphAggregate
from rdflib.namespace import OWL, RDF, RDFS

from ..namespaces import QB, SH
from .sources import LoadedSources
from .validation import Finding, _shacl_findings, _shapes_graph

__all__ = ["validate_changes"]

#: below this many new observations one process validates everything (forking costs ~0.1 s)
_SPLIT_FROM = 1000

_job: dict = {}


def relevant_shapes(shapes: Graph, data: Graph, nodes: set) -> list[URIRef]:
    """The node shapes that may have a focus node in ``nodes`` (a superset: a shape with a
    target this does not decide, such as a SPARQL-based one, is always included)."""
    types = {kind for node in nodes for kind in data.objects(node, RDF.type)}
    classes = set(types)
    for kind in types:
        classes.update(data.transitive_objects(kind, RDFS.subClassOf))
    predicates = {p for node in nodes for p in data.predicates(node)}
    chosen = []
    for shape in sorted(set(shapes.subjects(RDF.type, SH.NodeShape))):
        if not isinstance(shape, URIRef):
            continue
        if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, OWL.Class) in shapes:
            chosen.append(shape)  # an implicit class target
            continue
        undecided = any(True for _ in shapes.objects(shape, SH.target))
        by_class = any(c in classes for c in shapes.objects(shape, SH.targetClass))
        by_node = any(n in nodes for n in shapes.objects(shape, SH.targetNode))
        by_subject = any(p in predicates for p in shapes.objects(shape, SH.targetSubjectsOf))
        by_object = any(
            any(True for _ in data.subjects(p, node))
            for p in shapes.objects(shape, SH.targetObjectsOf)
            for node in nodes
        )
        if undecided or by_class or by_node or by_subject or by_object:
            chosen.append(shape)
    return chosen


def _validate_share(number: int) -> list[Finding]:
    """In a forked process: one share with the common part, the findings about the share's
    own nodes, and (share 0 only) those about everything else."""
    data: Graph = _job["common"]
    share: Graph = _job["shares"][number]
    data += share
    findings = _shacl_findings(data, _job["shapes"], _job["sources"], use=_job["use"])
    own = set(share.subjects())
    if number == 0:
        return findings
    return [f for f in findings if URIRef(f.focus) in own]


def validate_changes(
    config: dict,
    sources: LoadedSources,
    changes: Graph,
    context: Graph,
    shares: list[Graph],
    *,
    project_changed: bool,
) -> list[Finding]:
    """The SHACL findings about ``changes``, the observations in ``shares`` and ``context``
    (with the project's graphs; all of their findings when ``project_changed``)."""
    observations = sum(1 for share in shares for _ in share.subjects(RDF.type, QB.Observation))
    if observations < _SPLIT_FROM and len(shares) > 1:
        merged = Graph()
        for share in shares:
            merged += share
        shares = [merged]
    count = len(shares)
    common = Graph()
    common += changes
    common += context
    nodes = set(common.subjects())
    for share in shares:
        nodes.update(share.subjects())
    for ctx in sources.dataset.graphs():
        common += ctx
    shapes = _shapes_graph(config)
    use = (
        None
        if project_changed
        else relevant_shapes(shapes, ReadOnlyGraphAggregate([common, *shares]), nodes)
    )
    _job.update(common=common, shares=shares, shapes=shapes, sources=sources, use=use)
    try:
        if count == 1:
            return _validate_share(0)
        fork = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=count, mp_context=fork) as pool:
            results = list(pool.map(_validate_share, range(count)))
        return [finding for findings in results for finding in findings]
    finally:
        _job.clear()
