"""Exports for integrators: the linksets page and the links as a separate N-Triples download."""
from __future__ import annotations

import gzip

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, SKOS


@pytest.fixture(scope="module")
def client(make_module_app, built_dataset, tmp_path_factory):
    app = make_module_app(DATASET_DIR=str(built_dataset),
                          DOWNLOADS_DIR=str(tmp_path_factory.mktemp("downloads")))
    return app.test_client()


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
    response = client.get("/downloads/links.nt.gz")
    assert response.status_code == 200
    graph = Graph().parse(data=gzip.decompress(response.get_data()).decode("utf-8"), format="nt")
    same = list(graph.subject_objects(OWL.sameAs))
    assert len(same) == 31  # 20 to Wikidata, 11 to GeoNames
    assert (URIRef("http://127.0.0.1:8080/id/area/kz"), OWL.sameAs,
            URIRef("http://www.wikidata.org/entity/Q232")) in graph
    assert len(list(graph.subject_objects(SKOS.closeMatch))) == 7
    # nothing from the other graphs
    assert not list(graph.triples((None, URIRef("http://purl.org/linked-data/sdmx/2009/measure#obsValue"), None)))
