"""End to end: the real server (``migkg serve``: gunicorn, 2 workers) on a free loopback port,
queried with SPARQLWrapper in every result format, rdflib's SPARQLStore and plain HTTP."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time
import urllib.error
from pathlib import Path

import pytest
import requests
from netsupport import client_address, session_from
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from service.namespaces import MIGKG

pytestmark = pytest.mark.server

FIXTURE_DATASET = Path(__file__).resolve().parent / "fixtures" / "dataset"
BASE = MIGKG  # the persistent namespace: the same wherever the service runs
KZ = URIRef(BASE + "id/country/KZ")
SELECT_OBS = """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
SELECT ?obs ?value WHERE { ?obs a qb:Observation ; sdmx-measure:obsValue ?value } ORDER BY ?obs"""
VALUES = [24516, 28946, 24105, 16784, 25000]  # in ?obs order
CONSTRUCT_KZ = f"CONSTRUCT {{ <{KZ}> ?p ?o }} WHERE {{ <{KZ}> ?p ?o }}"
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
    "?m ?n1 ?o . ?p ?q ?r }"
)


@pytest.fixture(scope="module")
def server(start_module_server):
    return start_module_server(QUERY_TIMEOUT=2, WORKERS=2, ACCESS_LOG="true")


@pytest.fixture
def endpoint(server):
    return server.url + "sparql"


def wrapper(endpoint: str, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    sparql = SPARQLWrapper(endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    sparql.setTimeout(30)
    if method == "POST":
        sparql.setMethod(POST)
    elif method == "POSTDIRECTLY":
        sparql.setMethod(POST)
        sparql.setRequestMethod(POSTDIRECTLY)
    return sparql


@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_sparqlwrapper_json(endpoint, method):
    results = wrapper(endpoint, SELECT_OBS, JSON, method).queryAndConvert()
    assert [int(b["value"]["value"]) for b in results["results"]["bindings"]] == VALUES


def test_sparqlwrapper_xml(endpoint):
    document = wrapper(endpoint, SELECT_OBS, XML).queryAndConvert()
    values = [int(node.firstChild.data) for node in document.getElementsByTagName("literal")]
    assert values == VALUES


@pytest.mark.parametrize("fmt, delimiter", [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_csv_and_tsv(endpoint, fmt, delimiter):
    raw = wrapper(endpoint, SELECT_OBS, fmt).queryAndConvert()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8")), delimiter=delimiter))
    assert len(rows) == 6
    if fmt == CSV:
        assert rows[0] == ["obs", "value"]
        assert [int(r[1]) for r in rows[1:]] == VALUES
    else:
        assert rows[0] == ["?obs", "?value"]
        assert [int(r[1]) for r in rows[1:]] == VALUES


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(endpoint, fmt):
    result = wrapper(endpoint, f"ASK {{ <{KZ}> ?p ?o }}", fmt).queryAndConvert()
    if fmt == JSON:
        assert result["boolean"] is True
    else:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


def _assert_kz(graph: Graph) -> None:
    assert (KZ, RDF.type, SKOS.Concept) in graph
    assert (KZ, SKOS.prefLabel, Literal("Kazakhstan", lang="en")) in graph


def test_sparqlwrapper_construct_turtle(endpoint):
    raw = wrapper(endpoint, CONSTRUCT_KZ, TURTLE).queryAndConvert()
    _assert_kz(Graph().parse(data=raw, format="turtle"))


def test_sparqlwrapper_construct_jsonld(endpoint):
    result = wrapper(endpoint, CONSTRUCT_KZ, JSONLD).queryAndConvert()
    graph = result if isinstance(result, Graph) else Graph().parse(data=result, format="json-ld")
    _assert_kz(graph)


def test_sparqlwrapper_construct_rdfxml(endpoint):
    _assert_kz(wrapper(endpoint, CONSTRUCT_KZ, XML).queryAndConvert())


def test_sparqlwrapper_describe(endpoint):
    _assert_kz(wrapper(endpoint, f"DESCRIBE <{KZ}>", XML).queryAndConvert())


def test_rdflib_sparqlstore(endpoint):
    graph = Graph(store=SPARQLStore(endpoint, returnFormat="json"))
    rows = list(graph.query(SELECT_OBS))
    assert [int(row.value) for row in rows] == VALUES
    assert (KZ, SKOS.prefLabel, Literal("Kazakhstan", lang="en")) in graph
    assert list(graph.query(f"ASK {{ <{KZ}> a <{SKOS.Concept}> }}"))[0] is True


def test_sparqlwrapper_malformed_query_raises_bad_formed(endpoint):
    with pytest.raises(QueryBadFormed) as info:
        wrapper(endpoint, "SELECT * WHERE { ?s ?p", JSON).queryAndConvert()
    assert "1:" in str(info.value)


def test_sparqlwrapper_update_is_refused(endpoint):
    sparql = wrapper(endpoint, "INSERT DATA { <http://a> <http://b> <http://c> }", JSON, "POST")
    # SPARQLWrapper wraps 400/401/404/500 in its own exceptions and re-raises others as is.
    with pytest.raises(urllib.error.HTTPError) as info:
        sparql.query()
    assert info.value.code == 403
    assert "read-only" in info.value.read().decode("utf-8")
    assert (
        wrapper(endpoint, "ASK { <http://a> <http://b> <http://c> }", JSON).queryAndConvert()[
            "boolean"
        ]
        is False
    )


def test_oversized_query_is_413(endpoint):
    query = "#" + "x" * 120_000 + "\nASK {}"
    response = requests.post(
        endpoint,
        data=query.encode(),
        timeout=30,
        headers={"Content-Type": "application/sparql-query"},
    )
    assert response.status_code == 413 and "100000" in response.text


def test_service_to_a_loopback_listener_is_refused_and_never_reached(endpoint):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(1.0)
    port = listener.getsockname()[1]
    try:
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
        response = requests.get(endpoint, params={"query": query}, timeout=30)
        assert response.status_code == 403 and "SERVICE" in response.text
        with pytest.raises((TimeoutError, socket.timeout)):
            listener.accept()
    finally:
        listener.close()


def test_runaway_query_is_stopped_while_the_server_keeps_answering(server, endpoint):
    outcome = {}

    def runaway():
        outcome["response"] = requests.get(endpoint, params={"query": RUNAWAY}, timeout=60)

    thread = threading.Thread(target=runaway)
    thread.start()
    served = []
    while thread.is_alive():
        response = requests.get(
            endpoint, params={"query": SELECT_OBS, "format": "json"}, timeout=30
        )
        served.append((response.status_code, len(response.json()["results"]["bindings"])))
    thread.join()
    response = outcome["response"]
    assert response.status_code == 503 and "2 s" in response.text
    assert served and set(served) == {(200, 5)}
    health = requests.get(server.url + "healthz", timeout=10).json()
    assert health["ok"] is True
    assert server.process.poll() is None


def test_concurrent_clients_all_get_answers(endpoint):
    """Eight clients, each from its own loopback address, one query at a time each."""
    failures = []

    def client(n):
        session = session_from(client_address(n))
        for i in range(20):
            query = SELECT_OBS if (n + i) % 3 else f"ASK {{ <{KZ}> ?p ?o }}"
            response = session.get(endpoint, params={"query": query}, timeout=30)
            if response.status_code != 200:
                failures.append(response.status_code)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_conditional_get_over_http(endpoint):
    first = requests.get(endpoint, params={"query": SELECT_OBS}, timeout=30)
    second = requests.get(
        endpoint,
        params={"query": SELECT_OBS},
        timeout=30,
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert second.status_code == 304


def test_access_log_lines_are_json_with_query_time(server, endpoint):
    requests.get(endpoint, params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
    deadline = time.monotonic() + 5
    entries = []
    while time.monotonic() < deadline and not entries:
        entries = [
            json.loads(line)
            for line in server.log().splitlines()
            if line.startswith("{") and '"query"' in line
        ]
        time.sleep(0.1)
    assert entries and "ms" in entries[-1]["query"] and entries[-1]["status"] in (200, 304, 503)


def test_gunicorn_options_follow_the_configuration():
    from service.web.serving import gunicorn_options

    options = gunicorn_options(
        {
            "HOST": "127.0.0.1",
            "PORT": 9999,
            "WORKERS": 3,
            "QUERY_TIMEOUT": 30.0,
            "WORKER_THREADS": 1,
        }
    )
    assert options["bind"] == "127.0.0.1:9999" and options["workers"] == 3
    assert options["worker_class"] == "sync"
    assert options["timeout"] > 30, "gunicorn must never kill a worker waiting on the time limit"
    threaded = gunicorn_options(
        {"HOST": "::1", "PORT": 1, "WORKERS": 1, "QUERY_TIMEOUT": 5, "WORKER_THREADS": 4}
    )
    assert threaded["worker_class"] == "gthread" and threaded["threads"] == 4


def test_dev_flag_serves_with_the_flask_development_server(free_port, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    port = free_port()
    from kgsupport import generations_for

    env = dict(
        os.environ,
        MIGKG_GENERATIONS_DIR=str(generations_for(FIXTURE_DATASET)),
        MIGKG_STATE_DIR=str(tmp_path / "state"),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--dev", "--port", str(port)],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(
                    f"http://127.0.0.1:{port}/sparql",
                    params={"query": f"ASK {{ <{KZ}> ?p ?o }}"},
                    timeout=5,
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.2)
        assert response.json()["boolean"] is True
        assert "gunicorn" not in response.headers.get("Server", "").lower()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        process.stdout.close()
