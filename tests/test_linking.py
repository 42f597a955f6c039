"""`migkg link`: link discovery with SPARQLWrapper against a real SPARQL endpoint on a loopback
port, loaded with a small Wikidata-shaped fixture, including the failure modes; and accepting
reviewed candidates into a validated linkset."""

from __future__ import annotations

import csv
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
from kgsupport import BASE, ROOT, config, real_sources
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, XSD
from sparql_endpoint import Endpoint

from service.build import linking
from service.build.validation import validate_sources
from service.namespaces import MIG, VOID

# Items shaped like Wikidata's: labels and aliases, P31 class, P17 country, P571 inception.
# The item numbers are fixture values for these tests only, not real Wikidata identifiers.
FIXTURE = """
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

wd:Q900001 rdfs:label "Ministry of Internal Affairs of the Republic of Kazakhstan"@en ;
    skos:altLabel "Ministry of Internal Affairs"@en, "Ministry of Interior"@en ;
    wdt:P31 wd:Q192350 ; wdt:P17 wd:Q232 ; wdt:P571 "1991-12-16T00:00:00Z"^^xsd:dateTime .
wd:Q900002 rdfs:label "Ministry of Internal Affairs"@en ;
    wdt:P31 wd:Q192350 ; wdt:P17 wd:Q159 .
wd:Q900003 rdfs:label "Law of the Republic of Kazakhstan On Refugees"@en ;
    skos:altLabel "On Refugees"@en ;
    wdt:P31 wd:Q7748 ; wdt:P17 wd:Q232 ; wdt:P571 "2009-12-04T00:00:00Z"^^xsd:dateTime .
wd:Q900004 rdfs:label "Office of the United Nations High Commissioner for Refugees"@en ;
    skos:altLabel "UNHCR"@en ; wdt:P31 wd:Q484652 .
wd:Q900005 rdfs:label "National Security Committee"@en ;
    skos:altLabel "National Security Committee of the Republic of Kazakhstan"@en ;
    wdt:P31 wd:Q327333 ; wdt:P17 wd:Q232 .
"""


@pytest.fixture
def endpoint():
    server = Endpoint(FIXTURE).start()
    yield server
    server.stop()


def client_for(endpoint, **kwargs) -> linking.SparqlClient:
    options = dict(timeout=5, retries=3, backoff=0.05, min_interval=0)
    options.update(kwargs)
    return linking.SparqlClient(endpoint.url, **options)


def read_review(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_unlinked_entities_come_from_the_graph():
    entities = {e.iri: e for e in linking.entities_to_link(real_sources().union())}
    assert BASE + "id/authority/ministry-of-internal-affairs" in entities
    assert BASE + "id/law/on-refugees" in entities
    # linked already (verified identifiers): not asked again
    assert BASE + "id/authority/government-of-kazakhstan" not in entities
    assert BASE + "id/organisation/world-bank" not in entities
    mia = entities[BASE + "id/authority/ministry-of-internal-affairs"]
    assert Literal("Ministry of Internal Affairs", lang="en") in mia.labels  # the short variant
    assert entities[BASE + "id/law/on-refugees"].year == "2009"


def test_discovery_scores_candidates_and_writes_the_review_file(endpoint, tmp_path):
    out = tmp_path / "review.tsv"
    result = linking.discover(real_sources().union(), out, client_for(endpoint), batch_size=50)
    rows = read_review(out)
    assert result.candidates == len(rows) > 0
    by_pair = {(r["entity"], r["candidate"]): r for r in rows}
    mia = BASE + "id/authority/ministry-of-internal-affairs"
    right = by_pair[(mia, "http://www.wikidata.org/entity/Q900001")]
    wrong = by_pair[(mia, "http://www.wikidata.org/entity/Q900002")]  # same label, Russia's
    assert float(right["score"]) > float(wrong["score"])
    assert "country Kazakhstan" in right["evidence"] and "country other/none" in wrong["evidence"]
    refugees_law = by_pair[(BASE + "id/law/on-refugees", "http://www.wikidata.org/entity/Q900003")]
    assert "year 2009 vs 2009" in refugees_law["evidence"]
    assert float(refugees_law["score"]) >= 0.8
    unhcr = by_pair[(BASE + "id/organisation/unhcr", "http://www.wikidata.org/entity/Q900004")]
    assert float(unhcr["score"]) > 0.7
    assert all(r["accept"] == "" for r in rows)


def test_discovery_batches_labels_and_is_polite(endpoint, tmp_path):
    entities = len(linking.entities_to_link(real_sources().union()))
    linking.discover(
        real_sources().union(),
        tmp_path / "r.tsv",
        client_for(endpoint, min_interval=0.2),
        batch_size=20,
    )
    assert len(endpoint.requests) == -(-entities // 20)  # one query per batch, not per entity
    assert all("VALUES ?query" in r["query"] for r in endpoint.requests)
    assert all(r["user_agent"].startswith("migkg link") for r in endpoint.requests)
    gaps = [
        b["at"] - a["at"] for a, b in zip(endpoint.requests, endpoint.requests[1:], strict=False)
    ]
    assert min(gaps) >= 0.19  # the rate limit holds


def test_429_with_retry_after_is_honoured(endpoint, tmp_path):
    endpoint.fail_next = [(429, {"Retry-After": "1"}), (503, {"Retry-After": "0"})]
    client = client_for(endpoint)
    started = time.monotonic()
    rows = client.select(linking.candidates_query([Literal("UNHCR", lang="en")]))
    assert time.monotonic() - started >= 1.0
    assert client.waits[:2] == [1.0, 0.0]
    assert rows and rows[0]["item"]["value"].endswith("Q900004")
    assert len(endpoint.requests) == 3


def test_500_is_retried_with_backoff(endpoint):
    endpoint.fail_next = [(500, {}), (500, {})]
    client = client_for(endpoint, backoff=0.05)
    assert client.select(linking.candidates_query([Literal("UNHCR", lang="en")]))
    assert client.waits == [0.05, 0.1]


def test_retries_are_bounded(endpoint):
    endpoint.fail_next = [(503, {})] * 10
    client = client_for(endpoint, retries=2)
    with pytest.raises(linking.LinkDiscoveryError, match="HTTP 503; gave up after 3 attempts"):
        client.select(linking.candidates_query([Literal("UNHCR", lang="en")]))
    assert len(endpoint.requests) == 3


def test_slow_answer_past_the_timeout(endpoint):
    endpoint.delay = 2.5
    client = client_for(endpoint, timeout=1, retries=1)
    started = time.monotonic()
    with pytest.raises(linking.LinkDiscoveryError, match="unreachable"):
        client.select(linking.candidates_query([Literal("UNHCR", lang="en")]))
    assert time.monotonic() - started < 5


def test_malformed_results(endpoint):
    endpoint.malformed = True
    with pytest.raises(linking.LinkDiscoveryError, match="malformed results"):
        client_for(endpoint).select(linking.candidates_query([Literal("UNHCR", lang="en")]))


def test_endpoint_down(endpoint):
    url = endpoint.url
    endpoint.stop()
    client = linking.SparqlClient(url, timeout=2, retries=1, backoff=0.01, min_interval=0)
    with pytest.raises(linking.LinkDiscoveryError, match="unreachable"):
        client.select(linking.candidates_query([Literal("UNHCR", lang="en")]))


def test_an_interrupted_run_keeps_its_rows_and_resumes(endpoint, tmp_path):
    out = tmp_path / "review.tsv"
    graph = real_sources().union()
    total = len(linking.entities_to_link(graph))
    endpoint.fail_next = [(200, {})] * 0
    # the third batch fails for good: the first two batches stay written
    client = client_for(endpoint, retries=0)
    original = client.select
    calls = {"n": 0}

    def flaky(query):
        calls["n"] += 1
        if calls["n"] == 3:
            endpoint.fail_next = [(503, {})]
        return original(query)

    client.select = flaky
    with pytest.raises(linking.LinkDiscoveryError):
        linking.discover(graph, out, client, batch_size=5)
    done = (out.with_name(out.name + ".progress")).read_text().split()
    assert len(done) == 10
    rows_before = read_review(out)
    endpoint.requests.clear()
    result = linking.discover(graph, out, client_for(endpoint), batch_size=5)
    assert result.skipped == 10
    assert len(endpoint.requests) == -(-(total - 10) // 5)
    rows_after = read_review(out)
    assert rows_after[: len(rows_before)] == rows_before
    assert len({r["entity"] for r in rows_after}) >= len({r["entity"] for r in rows_before})
    assert out.read_text().count("entity\tentity_label") == 1  # header written once


@pytest.fixture
def project_copy(tmp_path) -> dict:
    for name in ("ontology", "graph_data", "shapes"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return config(
        ONTOLOGY_DIR=str(tmp_path / "ontology"),
        GRAPH_DATA_DIR=str(tmp_path / "graph_data"),
        SHAPES_DIR=str(tmp_path / "shapes"),
    )


def _review_with(tmp_path, rows: list[dict]) -> Path:
    path = tmp_path / "review.tsv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=linking.REVIEW_COLUMNS, delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_accept_writes_a_validated_linkset(project_copy, tmp_path):
    rows = [
        {
            "entity": BASE + "id/law/on-refugees",
            "entity_label": "On Refugees",
            "kind": "law",
            "candidate": "http://www.wikidata.org/entity/Q900003",
            "candidate_label": "Law On Refugees",
            "score": "0.950",
            "evidence": "label 0.90; class yes",
            "accept": "yes",
        },
        {
            "entity": BASE + "id/authority/ministry-of-internal-affairs",
            "entity_label": "MIA",
            "kind": "authority",
            "candidate": "http://www.wikidata.org/entity/Q900002",
            "candidate_label": "Russia's MIA",
            "score": "0.600",
            "evidence": "label 1.00; country other/none",
            "accept": "",
        },
    ]
    path, report = linking.accept(
        _review_with(tmp_path, rows), project_copy, name="wikidata-test", today=date(2026, 11, 22)
    )
    assert report.conforms, report.text()
    graph = Graph().parse(path)  # no base: the file states its IRIs in full
    assert (
        URIRef(BASE + "id/law/on-refugees"),
        OWL.sameAs,
        URIRef("http://www.wikidata.org/entity/Q900003"),
    ) in graph
    assert (
        URIRef(BASE + "id/authority/ministry-of-internal-affairs"),
        OWL.sameAs,
        None,
    ) not in graph
    linkset = URIRef(BASE + "id/linkset/wikidata-test")
    activity = graph.value(linkset, PROV.wasGeneratedBy)
    assert graph.value(linkset, VOID.triples) == Literal(1)
    assert graph.value(linkset, VOID.subjectsTarget) == URIRef(BASE + "id/void/migkg")
    assert graph.value(activity, MIG.scoreThreshold) == Literal("0.950", datatype=XSD.decimal)
    assert TOOL in str(graph.value(activity, MIG.linkMethod))
    assert path.read_text().startswith(
        "# Links accepted from a `migkg link` review file on 2026-11-22."
    )


TOOL = linking.TOOL_VERSION


def test_accept_that_breaks_validation_leaves_no_file(project_copy, tmp_path):
    rows = [
        {
            "entity": BASE + "id/law/on-refugees",
            "entity_label": "x",
            "kind": "law",
            "candidate": "http://www.wikidata.org/entity/Q900003",
            "candidate_label": "y",
            "score": "1.700",
            "evidence": "",
            "accept": "yes",
        }
    ]  # a score above 1 violates the shapes
    path, report = linking.accept(_review_with(tmp_path, rows), project_copy, name="bad-scores")
    assert path is None
    assert not report.conforms
    assert any("score between 0 and 1" in f.message for f in report.violations)
    assert not (Path(project_copy["GRAPH_DATA_DIR"]) / "links" / "bad-scores.ttl").exists()


def test_linkset_triple_counts_are_checked(project_copy):
    verified = Path(project_copy["GRAPH_DATA_DIR"]) / "links" / "verified.ttl"
    verified.write_text(verified.read_text().replace("void:triples 20 ;", "void:triples 21 ;"))
    report = validate_sources(project_copy)
    assert any(
        "state 21 links in all, but the data holds 20" in f.message for f in report.violations
    )
