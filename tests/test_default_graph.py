"""The default graph is the RDF merge of the named graphs: a triple that two source
documents both state (the Law "On Refugees" is described by the MPL and the 2024 page) is
one triple, while GRAPH ?g still tells the two graphs apart."""
from __future__ import annotations

import pytest

JSON = {"Accept": "application/sparql-results+json"}
TITLE = ("SELECT ?t WHERE { <http://127.0.0.1:8080/id/law/on-refugees/en> "
         "<http://data.europa.eu/eli/ontology#title> ?t }")


@pytest.fixture(scope="module")
def client(make_module_app, built_dataset):
    return make_module_app(DATASET_DIR=str(built_dataset)).test_client()


def _bindings(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]["bindings"]


def test_a_triple_in_two_graphs_is_one_triple_of_the_default_graph(client):
    assert len(_bindings(client.get("/sparql", query_string={"query": TITLE}, headers=JSON))) == 1


def test_graph_keeps_the_provenance(client):
    query = ("SELECT ?g WHERE { GRAPH ?g { <http://127.0.0.1:8080/id/law/on-refugees/en> "
             "<http://data.europa.eu/eli/ontology#title> ?t } } ORDER BY ?g")
    graphs = [b["g"]["value"] for b in _bindings(client.get("/sparql", query_string={"query": query}, headers=JSON))]
    assert graphs == ["http://127.0.0.1:8080/graph/mpl-2015", "http://127.0.0.1:8080/graph/profile-2024"]


def test_counts_over_the_default_graph_are_distinct(client):
    total = int(_bindings(client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                                     headers=JSON))[0]["n"]["value"])
    distinct = int(_bindings(client.get("/sparql", query_string={
        "query": "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"},
        headers=JSON))[0]["n"]["value"])
    assert total == distinct
