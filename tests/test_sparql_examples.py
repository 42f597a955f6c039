"""The example-query catalogue (service/queries/examples): every query has a title and a
description, parses, and returns rows on the real dataset built by ``migkg build``."""

from __future__ import annotations

import pytest

from service.web.sparql import load_examples, parse_example

EXAMPLES = load_examples()


def test_catalogue_has_at_least_twelve_documented_queries():
    assert len(EXAMPLES) >= 12
    for example in EXAMPLES:
        assert example.title and example.title != example.slug, example.slug
        assert len(example.description) > 40, example.slug


def test_header_parsing():
    example = parse_example(
        "x", "# title: A title\n# description: first line\n#   second\nSELECT * {}\n# not header\n"
    )
    assert example.title == "A title"
    assert example.description == "first line second"


@pytest.fixture(scope="module")
def real_client(make_module_app, built_dataset):
    return make_module_app(DATASET_DIR=str(built_dataset)).test_client()


@pytest.fixture(scope="module")
def fixture_client(make_module_app):
    return make_module_app().test_client()


@pytest.mark.parametrize(
    "example",
    [e for e in EXAMPLES if not e.federated],
    ids=[e.slug for e in EXAMPLES if not e.federated],
)
def test_example_parses(fixture_client, example):
    response = fixture_client.post(
        "/sparql", data=example.query.encode("utf-8"), content_type="application/sparql-query"
    )
    assert response.status_code == 200, response.data[:500]


LOCAL = [e for e in EXAMPLES if not e.federated]
FEDERATED = [e for e in EXAMPLES if e.federated]
#: Examples over the producers' graph, which the update command writes: their rows are checked
#: on a dataset with the hand-made producer graph (tests/test_producer_pages.py).
PRODUCERS = [e for e in LOCAL if "graph/producers" in e.query]


@pytest.mark.parametrize(
    "example",
    [e for e in LOCAL if e not in PRODUCERS],
    ids=[e.slug for e in LOCAL if e not in PRODUCERS],
)
def test_example_returns_rows_on_the_real_dataset(real_client, example):
    response = real_client.post(
        "/sparql",
        data=example.query.encode("utf-8"),
        content_type="application/sparql-query",
        headers={"Accept": "text/tab-separated-values, text/turtle;q=0.9"},
    )
    assert response.status_code == 200, response.data[:500]
    if response.mimetype == "text/tab-separated-values":
        lines = response.data.decode("utf-8").rstrip("\n").split("\n")
        assert len(lines) > 1, f"{example.slug} returned no rows"
    else:
        assert response.mimetype == "text/turtle"
        from rdflib import Graph

        assert len(Graph().parse(data=response.data, format="turtle")) > 0


def test_csv_example_loads_as_a_table(real_client):
    import csv
    import io

    example = next(e for e in EXAMPLES if "csv" in e.slug)
    response = real_client.get("/sparql", query_string={"query": example.query, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))
    assert len(rows) > 100
    assert {"indicator", "area", "period", "value", "source"} <= set(rows[0])
    float(rows[0]["value"])
    # one row per figure on Kazakhstan, every one of them (the rows come unordered)
    count = real_client.get(
        "/sparql",
        query_string={
            "format": "csv",
            "query": (
                "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o "
                "<http://purl.org/linked-data/sdmx/2009/dimension#refArea> <id/area/kz> }"
            ),
        },
    )
    assert len(rows) == int(count.data.decode().split()[-1])


# Federated examples need their SERVICE endpoint in the allow-list. Here they are refused by
# default, and run against a Wikidata-shaped endpoint on a loopback port put in the place of
# the real one (the machine has no internet access).
REMOTE = """
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
wd:Q232 wdt:P1082 19000001 .
"""


@pytest.mark.parametrize("example", FEDERATED, ids=[e.slug for e in FEDERATED])
def test_federated_example_is_refused_unless_allowed(real_client, example):
    response = real_client.post(
        "/sparql", data=example.query.encode("utf-8"), content_type="application/sparql-query"
    )
    assert response.status_code == 403
    assert "SERVICE" in response.get_data(as_text=True)


@pytest.mark.parametrize("example", FEDERATED, ids=[e.slug for e in FEDERATED])
def test_federated_example_returns_rows_from_an_allowed_endpoint(make_app, built_dataset, example):
    from sparql_endpoint import Endpoint

    remote = Endpoint(REMOTE).start()
    try:
        app = make_app(DATASET_DIR=str(built_dataset), SERVICE_ALLOWLIST=[remote.url])
        query = example.query.replace(f"<{example.federated}>", f"<{remote.url}>")
        response = app.test_client().post(
            "/sparql",
            data=query.encode("utf-8"),
            content_type="application/sparql-query",
            headers={"Accept": "application/sparql-results+json"},
        )
        assert response.status_code == 200, response.data[:500]
        rows = response.get_json()["results"]["bindings"]
        assert rows and {r["wikidataPopulation"]["value"] for r in rows} == {"19000001"}
        assert {r["country"]["value"] for r in rows} == {"Kazakhstan"}
        assert remote.requests
    finally:
        remote.stop()
