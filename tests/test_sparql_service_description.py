"""The W3C SPARQL 1.1 Service Description tests (tests/conformance/sparql11-service-description):
a GET on the endpoint returns RDF, with a matching sd:endpoint triple, conforming to the
vocabulary's schema (https://www.w3.org/TR/sparql11-service-description/#vocab)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF

pytestmark = pytest.mark.server

SUITE = Path(__file__).resolve().parent / "conformance" / "sparql11-service-description"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
}


def manifest_tests() -> list[str]:
    graph = Graph().parse(SUITE / "manifest.ttl", format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    return [
        str(entry).rsplit("#", 1)[1]
        for entry in Collection(graph, graph.value(manifest, MF.entries))
    ]


@pytest.fixture(scope="module")
def description(start_module_server):
    server = start_module_server(WORKERS=1)
    endpoint = server.url + "sparql"
    response = requests.get(endpoint, timeout=30)  # a plain GET, no Accept header
    return endpoint, response


def _graph(response) -> Graph:
    media_type = response.headers["Content-Type"].split(";")[0].strip()
    return Graph().parse(data=response.content, format=RDF_TYPES[media_type])


def check_returns_rdf(endpoint, response):
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0].strip() in RDF_TYPES
    assert len(_graph(response)) > 0


def check_has_endpoint_triple(endpoint, response):
    graph = _graph(response)
    assert (None, SD.endpoint, URIRef(endpoint)) in graph
    service = graph.value(None, SD.endpoint, URIRef(endpoint))
    assert (service, RDF.type, SD.Service) in graph


def check_conforms_to_schema(endpoint, response):
    graph = _graph(response)
    service = next(graph.subjects(RDF.type, SD.Service))
    languages = set(graph.objects(service, SD.supportedLanguage))
    assert languages and languages <= {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}
    for feature in graph.objects(service, SD.feature):
        assert feature in {
            SD.DereferencesURIs,
            SD.UnionDefaultGraph,
            SD.RequiresDataset,
            SD.EmptyGraphs,
            SD.BasicFederatedQuery,
        }
    for dataset in graph.objects(service, SD.defaultDataset):
        assert (dataset, RDF.type, SD.Dataset) in graph
        for default_graph in graph.objects(dataset, SD.defaultGraph):
            assert (default_graph, RDF.type, SD.Graph) in graph
        for named in graph.objects(dataset, SD.namedGraph):
            assert (named, RDF.type, SD.NamedGraph) in graph
            assert isinstance(graph.value(named, SD.name), URIRef)
            assert (graph.value(named, SD.graph), RDF.type, SD.Graph) in graph
    assert list(graph.objects(service, SD.resultFormat))


CHECKS = {
    "returns-rdf": check_returns_rdf,
    "has-endpoint-triple": check_has_endpoint_triple,
    "conforms-to-schema": check_conforms_to_schema,
}


@pytest.mark.parametrize("name", manifest_tests())
def test_service_description(name, description):
    CHECKS[name](*description)
