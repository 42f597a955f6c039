"""Federated queries: SERVICE reaches only allow-listed endpoints. An allowed endpoint on a
loopback port is federated through our owl:sameAs links; one not on the list is never
contacted."""

from __future__ import annotations

import pytest
from sparql_endpoint import Endpoint

# Wikidata-shaped fixture data (the population figures are test values, not Wikidata's).
REMOTE = """
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
wd:Q232 wdt:P1082 19000001 .
wd:Q148 wdt:P1082 1400000001 .
"""

FEDERATED = """
PREFIX mig: <https://w3id.org/migkg/def#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
SELECT DISTINCT ?country ?refugees ?population WHERE {
  ?obs mig:indicator ?indicator ; sdmx-dimension:refArea ?area ; sdmx-measure:obsValue ?refugees ;
       prov:hadPrimarySource ?source .
  FILTER (STRENDS(STR(?indicator), "/id/indicator/refugees") && STRENDS(STR(?source), "/id/source/unhcr-refugee-statistics"))
  ?area rdfs:label ?country ; owl:sameAs ?item .
  FILTER (STRSTARTS(STR(?item), "http://www.wikidata.org/entity/"))
  SERVICE <%s> { ?item wdt:P1082 ?population }
}
"""


@pytest.fixture
def remote():
    server = Endpoint(REMOTE).start()
    yield server
    server.stop()


def _rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [
        {k: v["value"] for k, v in b.items()} for b in response.get_json()["results"]["bindings"]
    ]


def test_allowed_service_is_federated_through_our_links(make_app, built_dataset, remote):
    app = make_app(DATASET_DIR=str(built_dataset), SERVICE_ALLOWLIST=[remote.url])
    response = app.test_client().get(
        "/sparql",
        query_string={"query": FEDERATED % remote.url},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert _rows(response) == [
        {"country": "Kazakhstan", "refugees": "65833", "population": "19000001"}
    ]
    assert len(remote.requests) >= 1


def test_service_not_on_the_list_is_never_contacted(make_app, built_dataset, remote):
    other = Endpoint(REMOTE).start()
    try:
        app = make_app(DATASET_DIR=str(built_dataset), SERVICE_ALLOWLIST=[remote.url])
        response = app.test_client().get("/sparql", query_string={"query": FEDERATED % other.url})
        assert 400 <= response.status_code < 500
        assert "SERVICE" in response.get_data(as_text=True)
        assert other.requests == [] and remote.requests == []
    finally:
        other.stop()


def test_service_is_refused_by_default(make_app, built_dataset, remote):
    app = make_app(DATASET_DIR=str(built_dataset))
    response = app.test_client().get("/sparql", query_string={"query": FEDERATED % remote.url})
    assert 400 <= response.status_code < 500
    assert remote.requests == []
