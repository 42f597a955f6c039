"""Exports for integrators: the linksets page and the links as a separate N-Triples download."""

from __future__ import annotations

import gzip

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, SKOS


@pytest.fixture(scope="module")
def client(built_client):
    return built_client


def test_linksets_page_lists_counts_and_provenance(client):
    html = client.get("/linksets").get_data(as_text=True)
    assert "Links to Wikidata (verified identifiers)" in html
    assert "Links to GeoNames (verified identifiers)" in html
    assert ">20<" in html and ">11<" in html and ">7<" in html  # void:triples of the three linksets
    assert "manual" in html and "2026-11-22" in html
    assert client.get("/").get_data(as_text=True).count('href="/linksets"') >= 1


def test_links_download_is_the_links_graph_as_ntriples(client):
    listing = client.get("/downloads").get_data(as_text=True)
    assert "links.nt.gz" in listing
    with client.get("/downloads/links.nt.gz") as response:  # a static file: close it
        assert response.status_code == 200
        data = gzip.decompress(response.get_data())
    graph = Graph().parse(data=data.decode("utf-8"), format="nt")
    same = list(graph.subject_objects(OWL.sameAs))
    assert len(same) == 31  # 20 to Wikidata, 11 to GeoNames
    assert (
        URIRef("https://w3id.org/migkg/id/area/kz"),
        OWL.sameAs,
        URIRef("http://www.wikidata.org/entity/Q232"),
    ) in graph
    assert len(list(graph.subject_objects(SKOS.closeMatch))) == 7
    # nothing from the other graphs
    assert not list(
        graph.triples(
            (None, URIRef("http://purl.org/linked-data/sdmx/2009/measure#obsValue"), None)
        )
    )


def test_void_lists_the_linksets_with_provenance(client):
    from rdflib import Namespace
    from rdflib.namespace import RDF

    VOID = Namespace("http://rdfs.org/ns/void#")
    PROV = Namespace("http://www.w3.org/ns/prov#")
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    linksets = set(graph.subjects(RDF.type, VOID.Linkset))
    assert {str(link).rsplit("/", 1)[1] for link in linksets} == {
        "wikidata",
        "geonames",
        "world-bank-wdi",
    }
    dataset = URIRef("https://w3id.org/migkg/id/void/migkg")  # persistent, as in the links graph
    assert str(graph.value(dataset, VOID.sparqlEndpoint)) == "http://localhost/sparql"
    for linkset in linksets:
        assert (dataset, VOID.subset, linkset) in graph
        assert graph.value(linkset, VOID.linkPredicate) is not None
        assert graph.value(linkset, VOID.triples) is not None
        activity = graph.value(linkset, PROV.wasGeneratedBy)
        assert graph.value(activity, URIRef("https://w3id.org/migkg/def#linkMethod")) is not None
        assert str(graph.value(linkset, VOID.dataDump)).endswith("/downloads/links.nt.gz")
    wikidata = next(link for link in linksets if str(link).endswith("/wikidata"))
    assert int(graph.value(wikidata, VOID.triples)) == 20
    target = graph.value(wikidata, VOID.objectsTarget)
    assert str(graph.value(target, VOID.uriSpace)) == "http://www.wikidata.org/entity/"
