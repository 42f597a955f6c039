"""Every standard reader sees one graph: the source files mean the same to any RDF tool.

Each file under ``ontology/`` and ``graph_data/`` is read as a user's tool would read it, with
no base IRI: plain rdflib (format from the extension) and Oxigraph's parser (which refuses a
relative IRI outright). Both must agree, and together, grouped by named graph, they must give
exactly what the build publishes, apart from the standard types the build adds (checked here
against the ontology with a SPARQL property path, not with the build's own code). Every
reference across files connects: nothing in the ``id/`` namespace is used without being
described, and every linked entity is one the reference or document graphs describe.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
from kgsupport import BASE, ROOT, built_dataset_dir
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.compare import to_isomorphic
from rdflib.namespace import OWL, RDF, RDFS

from service.namespaces import GRAPH, ID

SOURCE_FILES = sorted((ROOT / "ontology").glob("*.ttl")) + sorted(
    (ROOT / "graph_data").glob("*/*.ttl")
)


def graph_of(path: Path) -> URIRef:
    return GRAPH["ontology" if path.parent.name == "ontology" else path.parent.name]


@pytest.fixture(scope="module")
def plain() -> dict[URIRef, Graph]:
    """The source files read with plain rdflib (no base, no options), merged per named graph."""
    graphs: dict[URIRef, Graph] = defaultdict(Graph)
    for path in SOURCE_FILES:
        graphs[graph_of(path)] += Graph().parse(path)
    return dict(graphs)


@pytest.fixture(scope="module")
def published() -> Dataset:
    dataset = Dataset()
    dataset.parse(built_dataset_dir() / "dataset.nq", format="nquads")
    return dataset


def ground(graph) -> set[str]:
    """The triples without blank nodes, as N-Triples-like strings (comparable across parsers)."""
    return {
        " ".join(term.n3() for term in triple)
        for triple in graph
        if not any(isinstance(term, BNode) for term in triple)
    }


def test_there_are_source_files():
    assert len(SOURCE_FILES) >= 20


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_oxigraph_reads_each_file_without_a_base_exactly_as_rdflib_does(path):
    # Oxigraph raises on any relative IRI when no base is given: this is the "no reliance on
    # a reader's base" check.
    quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    as_rdflib = Graph().parse(data=ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES), format="nt")
    direct = Graph().parse(path)
    assert len(as_rdflib) == len(direct)
    assert ground(as_rdflib) == ground(direct)
    assert not [t for t in direct for term in t if str(term).startswith("file:")]


def implied_types(graph: Graph, ontology: Graph) -> Graph:
    """RDFS rules 9 and 11 over ``ontology``, computed with a SPARQL property path."""
    supers = {}
    for cls in set(graph.objects(None, RDF.type)):
        supers[cls] = {
            row.super
            for row in ontology.query(
                "SELECT DISTINCT ?super WHERE { ?class rdfs:subClassOf+ ?super FILTER(isIRI(?super)) }",
                initNs={"rdfs": RDFS},
                initBindings={"class": cls},
            )
        }
    implied = Graph()
    for node, cls in graph.subject_objects(RDF.type):
        for sup in supers[cls]:
            if (node, RDF.type, sup) not in graph:
                implied.add((node, RDF.type, sup))
    return implied


def test_files_plus_implied_standard_types_are_exactly_what_the_build_publishes(plain, published):
    ontology = plain[GRAPH.ontology]
    names = {ctx.identifier for ctx in published.graphs() if len(ctx)}
    assert names == set(plain)
    for name, graph in plain.items():
        expected = graph + implied_types(graph, ontology)
        assert to_isomorphic(expected) == to_isomorphic(published.graph(name)), name


def test_the_build_adds_only_types(plain, published):
    for name, graph in plain.items():
        extra = ground(published.graph(name)) - ground(graph)
        assert all(f" {RDF.type.n3()} " in line for line in extra), name


def test_every_referenced_thing_is_described(plain):
    union = Graph()
    for graph in plain.values():
        union += graph
    described = {s for s in union.subjects() if isinstance(s, URIRef)}
    referenced = {o for o in union.objects() if isinstance(o, URIRef) and o.startswith(str(ID))}
    assert referenced, "the files refer to things"
    assert sorted(referenced - described) == []


def test_observations_connect_to_codes_periods_and_sources(plain):
    union = Graph()
    for graph in plain.values():
        union += graph
    rows = union.query("""
        PREFIX qb: <http://purl.org/linked-data/cube#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT (COUNT(DISTINCT ?obs) AS ?all) (COUNT(DISTINCT ?ok) AS ?connected) WHERE {
          ?obs a qb:Observation .
          OPTIONAL {
            ?obs <https://w3id.org/migkg/def#indicator>/rdfs:label|<https://w3id.org/migkg/def#indicator>/<http://www.w3.org/2004/02/skos/core#prefLabel> ?i ;
                 <http://purl.org/linked-data/sdmx/2009/dimension#refPeriod>/rdfs:label ?p ;
                 <http://purl.org/linked-data/sdmx/2009/dimension#refArea>/rdfs:label|<http://purl.org/linked-data/sdmx/2009/dimension#refArea>/<http://www.w3.org/2004/02/skos/core#prefLabel> ?a ;
                 prov:hadPrimarySource/rdfs:label ?s .
            BIND(?obs AS ?ok) }
        }""")
    (row,) = list(rows)
    assert int(row.all) > 350
    assert int(row.connected) == int(row.all)


def test_plain_rdflib_connects_every_linked_entity_to_its_description(plain):
    links = plain[GRAPH.links]
    others = Graph()
    for name, graph in plain.items():
        if name != GRAPH.links:
            others += graph
    linked = set(links.subjects(OWL.sameAs, None))
    assert len(linked) >= 13
    for entity in linked:
        assert entity.startswith(BASE + "id/")
        assert (entity, RDF.type, None) in others, entity
        assert (entity, RDFS.label, None) in others or (
            entity,
            URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
            None,
        ) in others, entity
    # the countries, e.g. Kazakhstan, reach both Wikidata and GeoNames
    kz = ID["area/kz"]
    targets = {str(o) for o in links.objects(kz, OWL.sameAs)}
    assert any(t.startswith("http://www.wikidata.org/entity/") for t in targets)
    assert any(t.startswith("http://sws.geonames.org/") for t in targets)
    assert (kz, RDF.type, None) in plain[GRAPH.reference]
