"""The service over a remote SPARQL 1.1 engine (issue 14, points 1-3): the real built
generation published into Oxigraph's own server (``oxigraph serve``, a real Rust binary on a
loopback port) with ``migkg publish --to``, then the same app over ``STORE`` = that server
compared with the embedded store: SPARQL answers in every format, an entity page, /healthz;
and the faults: the engine stopped (503, /healthz names it), restarted (recovery without
restarting the app), slow (the time limit), answering garbage (502); credentials nowhere.

SPARQL 1.1 Protocol: https://www.w3.org/TR/sparql11-protocol/;
Graph Store Protocol: https://www.w3.org/TR/sparql11-http-rdf-update/.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import subprocess
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from bs4 import BeautifulSoup
from kgsupport import built_generations
from oxigraph_server import OxigraphServer, publish_cli
from rdflib import Graph
from rdflib.compare import isomorphic

from service.namespaces import MIGKG
from service.web.sparql import load_examples

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cret-Dummy-Passw0rd"
USER = "migkg-reader"
GRAPH = MIGKG + "graph/"


def publish(engine: OxigraphServer, root: Path, *extra: str) -> subprocess.CompletedProcess:
    """``migkg publish --to`` the engine's Graph Store URL, as a user runs it."""
    return publish_cli(engine.gsp_url, root, *extra, credentials=(USER, SECRET))


def put_graph(engine: OxigraphServer, graph: str, ntriples: str) -> None:
    answer = requests.put(
        engine.gsp_url,
        params={"graph": graph},
        data=ntriples.encode("utf-8"),
        headers={"Content-Type": "application/n-triples"},
        timeout=30,
    )
    answer.raise_for_status()


@pytest.fixture(scope="module")
def root() -> Path:
    return built_generations()


@pytest.fixture(scope="module")
def meta(root) -> dict:
    return json.loads((root / "current" / "meta.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph") / "db").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def published(engine, root):
    """The generation published into ``engine`` over what a previous version left: a migkg
    graph the generation no longer has, and a graph of someone else's."""
    put_graph(engine, GRAPH + "withdrawn", '<http://example.org/a> <http://example.org/b> "1" .\n')
    put_graph(
        engine, "http://example.org/other", '<http://example.org/a> <http://example.org/b> "2" .\n'
    )
    done = publish(engine, root)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def embedded(make_module_app, root):
    return make_module_app(GENERATIONS_DIR=str(root)).test_client()


@pytest.fixture(scope="module")
def remote_app(make_module_app, root, engine, published):
    return make_module_app(
        GENERATIONS_DIR=str(root),
        STORE=engine.query_url,
        STORE_USER=USER,
        STORE_PASSWORD=SECRET,
        ACCESS_LOG=True,
    )


@pytest.fixture(scope="module")
def remote(remote_app):
    return remote_app.test_client()


# -- publish ------------------------------------------------------------------------------


def test_publish_loads_every_graph_and_the_merge_with_verified_counts(engine, published, meta):
    for graph in meta["graphs"]:
        assert engine.count(graph["iri"]) == graph["triples"], graph["iri"]
    assert engine.count() == meta["triples"]  # the default graph: the merge, once per triple
    assert "counts verified" in published.stdout


def test_publish_removes_withdrawn_migkg_graphs_and_keeps_other_graphs(engine, published):
    assert engine.count(GRAPH + "withdrawn") == 0
    assert engine.count("http://example.org/other") == 1
    assert f"removed <{GRAPH}withdrawn>" in published.stderr


def test_publish_again_replaces_each_graph_without_duplicates(engine, published, root, meta):
    again = publish(engine, root, "--quiet")
    assert again.returncode == 0, again.stderr
    assert engine.count() == meta["triples"]


def test_publish_to_an_unreachable_engine_fails_with_exit_1_naming_it(root, tmp_path):
    dead = OxigraphServer(tmp_path / "never-started")
    done = publish(dead, root)
    assert done.returncode == 1
    assert "unreachable" in done.stderr and dead.gsp_url in done.stderr
    assert SECRET not in done.stderr + done.stdout


def test_publish_fails_loudly_when_the_engine_does_not_hold_the_counts(root, tmp_path):
    """An engine started with --union-default-graph answers the default graph as the union of
    every graph (the merge PUT included): the count check catches it, exit 1."""
    union = OxigraphServer(tmp_path / "db", union_default_graph=True).start()
    try:
        done = publish(union, root)
    finally:
        union.stop()
    assert done.returncode == 1
    assert "does not hold the generation" in done.stderr and "the default graph:" in done.stderr


def test_publish_with_union_default_graph_skips_the_merge(root, tmp_path, meta):
    """``--union-default-graph`` (engines whose default graph is the union, e.g. Virtuoso):
    the named graphs are loaded and counted, the merge is not written; the engine's default
    graph then answers a triple once per graph holding it."""
    union = OxigraphServer(tmp_path / "db", union_default_graph=True).start()
    try:
        done = publish(union, root, "--union-default-graph")
        counts = {graph["iri"]: union.count(graph["iri"]) for graph in meta["graphs"]}
        default = union.count()
    finally:
        union.stop()
    assert done.returncode == 0, done.stderr
    assert "the engine's union as the default graph, counts verified" in done.stdout
    assert counts == {graph["iri"]: graph["triples"] for graph in meta["graphs"]}
    assert default == sum(counts.values()) > meta["triples"]


def _graphs_generation(folder: Path, per_graph: int) -> Path:
    """A generation of 20 migkg graphs of ``per_graph`` distinct triples each."""
    from service.build.generation import publish as publish_locally

    quads = [
        ox.Quad(
            ox.NamedNode(f"http://example.org/s{g}-{i}"),
            ox.NamedNode("http://example.org/p"),
            ox.Literal(str(per_graph)),
            ox.NamedNode(f"{GRAPH}t{g:02d}"),
        )
        for g in range(20)
        for i in range(per_graph)
    ]
    publish_locally(ox.serialize(quads, format=ox.RdfFormat.N_QUADS), folder)
    return folder


_STATE = (
    "SELECT ?g (COUNT(*) AS ?n) WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } } GROUP BY ?g"
)


def _state(engine: OxigraphServer, session=requests) -> tuple:
    """Triples per graph and in the default graph, read in one query (one snapshot)."""
    rows = session.post(
        engine.query_url,
        data={"query": _STATE},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    ).json()["results"]["bindings"]
    return tuple(sorted((r.get("g", {}).get("value", ""), int(r["n"]["value"])) for r in rows))


def _states_while(engine: OxigraphServer, action) -> tuple[list, object]:
    """Every state a reader sees while ``action()`` runs; and what it returned."""
    seen, stop = [], threading.Event()

    def read():
        session = requests.Session()
        while not stop.is_set():
            seen.append(_state(engine, session))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        result = action()
    finally:
        stop.set()
        reader.join()
    return seen, result


def test_atomic_publish_never_shows_a_mix_of_two_versions(tmp_path):
    """``--atomic``: one SPARQL Update request, one transaction on Oxigraph server. A reader
    that keeps reading every graph's count sees version 1 or version 2, never a mix, while
    they replace each other; publishing graph by graph over the same engine does show mixes
    (the window the option closes)."""
    v1, v2 = _graphs_generation(tmp_path / "v1", 1500), _graphs_generation(tmp_path / "v2", 1000)

    def state(per_graph: int) -> tuple:
        graphs = [(f"{GRAPH}t{g:02d}", per_graph) for g in range(20)]
        return tuple(sorted([("", 20 * per_graph), *graphs]))

    versions = {state(1500): "v1", state(1000): "v2"}
    server = OxigraphServer(tmp_path / "db").start()
    try:
        assert publish(server, v1, "--quiet").returncode == 0
        per_graph, done = _states_while(server, lambda: publish(server, v2, "--quiet"))
        assert done.returncode == 0, done.stderr
        assert [s for s in per_graph if s not in versions], "no mix seen graph by graph"

        def swap():
            return [publish(server, v, "--atomic", "--quiet") for v in (v1, v2, v1, v2)]

        atomic, runs = _states_while(server, swap)
        assert all(run.returncode == 0 for run in runs), [run.stderr for run in runs]
        assert "(one transaction)" in runs[-1].stdout
        assert atomic and [s for s in atomic if s not in versions] == []
        assert {versions[s] for s in atomic} == {"v1", "v2"}
        assert versions[_state(server)] == "v2"  # the last one published
    finally:
        server.stop()


def test_publish_never_prints_the_credentials(published):
    assert SECRET not in published.stdout + published.stderr


# -- the same answers as the embedded store -------------------------------------------------

SELECTS = {
    "classes": "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
    # the engine may hold graphs of others (the publish test leaves one): migkg's only
    "graphs": (
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        'FILTER(STRSTARTS(STR(?g), "https://w3id.org/migkg/graph/")) } GROUP BY ?g'
    ),
    "labels": (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label LIMIT 200"
    ),
    "values-last": (
        "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p "
        "VALUES ?p { <http://www.w3.org/2000/01/rdf-schema#label> }"
    ),
}
RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
_OX_RESULTS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "tsv": ox.QueryResultsFormat.TSV,
}


_BLANK = re.compile(r"^_:\S+$")


def _cell(text: str) -> str:
    """A term as compared across engines: blank node labels are each engine's own (the
    engine relabels them on load), and the order GROUP_CONCAT joins values in is unspecified
    (SPARQL 1.1 Query §18.5.1.7: the stores iterate in different orders), so its parts are
    sorted."""
    if _BLANK.match(text):
        return "_:"
    if "; " in text:
        return "; ".join(sorted(text.strip('"').split("; ")))
    return text


def solutions(body: bytes, key: str) -> Counter:
    """The rows of a SELECT answer as a multiset (order is not part of the comparison)."""
    if key == "csv":
        rows = csv.reader(io.StringIO(body.decode("utf-8")))
        return Counter(tuple(_cell(cell) for cell in row) for row in rows)
    parsed = ox.parse_query_results(body, _OX_RESULTS[key])
    names = list(parsed.variables)
    return Counter(
        tuple(_cell(str(row[v])) if row[v] is not None else "" for v in names) for row in parsed
    )


def ask(client, query: str, accept: str):
    return client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})


@pytest.mark.parametrize("key", sorted(RESULT_TYPES))
@pytest.mark.parametrize("name", sorted(SELECTS))
def test_select_answers_match_the_embedded_store(embedded, remote, name, key):
    mine, theirs = (ask(c, SELECTS[name], RESULT_TYPES[key]) for c in (embedded, remote))
    assert mine.status_code == theirs.status_code == 200, theirs.data[:300]
    assert mine.headers["Content-Type"] == theirs.headers["Content-Type"]
    assert solutions(theirs.data, key) == solutions(mine.data, key)
    assert solutions(theirs.data, key)


@pytest.mark.parametrize(
    "example", [e for e in load_examples() if not e.federated], ids=lambda e: e.slug
)
def test_researcher_example_queries_match_the_embedded_store(embedded, remote, example):
    accept = "application/sparql-results+json, text/turtle;q=0.9"
    mine, theirs = (ask(c, example.query, accept) for c in (embedded, remote))
    assert mine.status_code == theirs.status_code == 200, theirs.data[:300]
    if mine.mimetype == "text/turtle":
        assert theirs.mimetype == "text/turtle"
        assert isomorphic(Graph().parse(data=mine.data), Graph().parse(data=theirs.data))
    else:
        assert solutions(theirs.data, "json") == solutions(mine.data, "json")


@pytest.mark.parametrize("accept", [*RESULT_TYPES.values()])
def test_ask_answers_match_the_embedded_store(embedded, remote, accept):
    for query in (
        "ASK { ?s a <https://w3id.org/migkg/def#Committee> }",
        "ASK { ?s a <urn:x:none> }",
    ):
        mine, theirs = (ask(c, query, accept) for c in (embedded, remote))
        assert theirs.status_code == 200
        assert theirs.headers["Content-Type"] == mine.headers["Content-Type"]
        assert theirs.data.strip().lower() == mine.data.strip().lower()


@pytest.mark.parametrize(
    "accept, syntax",
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_answers_match_the_embedded_store(embedded, remote, accept, syntax):
    query = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "CONSTRUCT { ?s rdfs:label ?l ; a ?c } WHERE { ?s rdfs:label ?l ; a ?c }"
    )
    mine, theirs = (ask(c, query, accept) for c in (embedded, remote))
    assert theirs.status_code == 200, theirs.data[:300]
    assert theirs.mimetype == mine.mimetype == accept
    assert theirs.headers["X-Result-Rows"] == mine.headers["X-Result-Rows"]
    expected = Graph().parse(data=mine.data, format=syntax)
    assert len(expected) > 100
    assert isomorphic(expected, Graph().parse(data=theirs.data, format=syntax))


def test_results_past_the_row_cap_are_cut_the_same_way(embedded, remote, remote_app):
    cap = remote_app.config["MAX_RESULT_ROWS"]
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    for key in ("json", "csv"):
        mine, theirs = (ask(c, query, RESULT_TYPES[key]) for c in (embedded, remote))
        assert theirs.headers["X-Result-Truncated"] == mine.headers["X-Result-Truncated"] == "true"
        assert theirs.headers["X-Result-Rows"] == mine.headers["X-Result-Rows"] == str(cap)
        assert sum(solutions(theirs.data, key).values()) == cap + (key == "csv")


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples"])
def test_graphs_past_the_row_cap_are_cut_the_same_way(embedded, remote, remote_app, accept):
    cap = remote_app.config["MAX_RESULT_ROWS"]
    query = "CONSTRUCT WHERE { ?s ?p ?o }"
    mine, theirs = (ask(c, query, accept) for c in (embedded, remote))
    assert theirs.status_code == 200 and theirs.mimetype == accept
    assert theirs.headers["X-Result-Truncated"] == mine.headers["X-Result-Truncated"] == "true"
    assert theirs.headers["X-Result-Rows"] == mine.headers["X-Result-Rows"] == str(cap)
    syntax = "turtle" if accept == "text/turtle" else "nt"
    assert len(Graph().parse(data=theirs.data, format=syntax)) == cap


@pytest.mark.parametrize("parameter", ["default-graph-uri", "named-graph-uri"])
def test_dataset_parameters_reach_the_engine(embedded, remote, parameter):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    params = {"query": query, parameter: GRAPH + "ontology"}
    accept = {"Accept": "application/sparql-results+json"}
    mine, theirs = (
        c.get("/sparql", query_string=params, headers=accept) for c in (embedded, remote)
    )
    assert solutions(theirs.data, "json") == solutions(mine.data, "json")


def test_a_malformed_query_is_a_400_in_the_error_shape(remote):
    answer = ask(remote, "SELECT WHERE {", "application/json")
    assert answer.status_code == 400
    assert answer.json["code"] == "MALFORMED_QUERY" and answer.json["ok"] is False


# -- pages, health ---------------------------------------------------------------------------


def _entity_path(client) -> str:
    """The first entity the home page links (a country)."""
    home = BeautifulSoup(client.get("/").data, "html.parser")
    return next(a["href"] for a in home.select("a[href]") if a["href"].startswith("/id/"))


def test_an_entity_page_shows_the_same_content(embedded, remote):
    path = _entity_path(embedded)
    html = {"Accept": "text/html"}
    answers = [c.get(path, headers=html) for c in (embedded, remote)]
    assert [a.status_code for a in answers] == [200, 200]
    pages = [BeautifulSoup(a.data, "html.parser") for a in answers]
    mine, theirs = pages
    assert theirs.h1.get_text(" ", strip=True) == mine.h1.get_text(" ", strip=True)
    links = [sorted(a["href"] for a in page.select("main a[href]")) for page in pages]
    assert links[1] == links[0] and links[0]
    documents = [c.get(path, headers={"Accept": "text/turtle"}) for c in (embedded, remote)]
    assert documents[1].status_code == 200
    graphs = [Graph().parse(data=d.data, format="turtle") for d in documents]
    assert len(graphs[0]) and isomorphic(graphs[0], graphs[1])


def test_search_reads_the_local_catalogue(embedded, remote):
    mine, theirs = (c.get("/search", query_string={"q": "kazakh"}) for c in (embedded, remote))
    assert theirs.status_code == 200 and theirs.data == mine.data


@pytest.mark.parametrize("path", ["/.well-known/void", "/sparql", "/downloads"])
def test_descriptions_and_downloads_come_from_the_local_generation(embedded, remote, path):
    accept = {"Accept": "text/turtle" if path != "/downloads" else "text/html"}
    mine, theirs = (c.get(path, headers=accept) for c in (embedded, remote))
    assert theirs.status_code == mine.status_code == 200
    assert theirs.data == mine.data


def test_healthz_is_ok_and_names_the_engine(remote, engine, meta):
    answer = remote.get("/healthz")
    assert answer.status_code == 200
    assert answer.json["engine"] == engine.query_url
    assert answer.json["version"] == meta["version"]


def test_credentials_appear_in_no_response_or_log(remote, caplog):
    caplog.set_level(logging.DEBUG)
    seen = []
    for path in ("/healthz", "/sparql", "/.well-known/void", "/", "/sparql?query=SELECT+WHERE+{"):
        for accept in ("application/json", "text/turtle", "text/html"):
            answer = remote.get(path, headers={"Accept": accept})
            seen.append(answer.get_data(as_text=True) + str(answer.headers))
    assert all(SECRET not in text and USER not in text for text in seen)
    assert SECRET not in caplog.text


def test_credentials_in_the_store_url_never_show(make_app, root, engine):
    with_user_info = engine.query_url.replace("http://", f"http://{USER}:{SECRET}@")
    client = make_app(GENERATIONS_DIR=str(root), STORE=with_user_info).test_client()
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json["engine"] == engine.query_url
    assert SECRET not in answer.get_data(as_text=True)


def test_migkg_serve_under_gunicorn_over_the_engine(start_server, root, engine, published):
    """Forked gunicorn workers (each its own connection pool) answer from the engine; the
    server's log (access log on) never holds the credentials."""
    server = start_server(
        GENERATIONS_DIR=str(root),
        STORE=engine.query_url,
        STORE_USER=USER,
        STORE_PASSWORD=SECRET,
        ACCESS_LOG="true",
    )
    health = requests.get(server.url + "healthz", timeout=30)
    assert health.status_code == 200 and health.json()["engine"] == engine.query_url
    for _ in range(4):  # both workers
        answer = requests.get(
            server.url + "sparql",
            params={"query": SELECTS["classes"]},
            headers={"Accept": "text/csv"},
            timeout=30,
        )
        assert answer.status_code == 200 and answer.text.startswith("c,n")
    assert SECRET not in server.log()


# -- faults: stopped, restarted, slow, garbage -------------------------------------------------


@pytest.fixture
def own_engine(tmp_path, root):
    """An engine of this test's own (it is stopped and restarted), the generation published."""
    server = OxigraphServer(tmp_path / "db", timeout_s=5).start()
    done = publish(server, root, "--quiet")
    assert done.returncode == 0, done.stderr
    yield server
    server.stop()


def test_engine_stopped_gives_503s_then_recovers_without_restarting_the_app(
    make_app, root, own_engine, caplog
):
    caplog.set_level(logging.DEBUG)
    client = make_app(
        GENERATIONS_DIR=str(root),
        STORE=own_engine.query_url,
        STORE_PASSWORD=SECRET,
        STORE_USER=USER,
        PAGE_CACHE_SIZE=0,
        ACCESS_LOG=True,
    ).test_client()
    path = _entity_path(client)
    query = {"query": "SELECT ?s WHERE { ?s a ?c } LIMIT 3"}
    json_accept = {"Accept": "application/json"}
    assert client.get("/sparql", query_string=query, headers=json_accept).status_code == 200

    own_engine.stop()
    down = client.get("/sparql", query_string=query, headers=json_accept)
    assert down.status_code == 503
    assert down.json["code"] == "ENGINE_UNAVAILABLE" and down.json["ok"] is False
    assert own_engine.query_url in down.json["error"] and "Retry-After" in down.headers
    page = client.get(path, headers=json_accept)
    assert page.status_code == 503 and page.json["code"] == "ENGINE_UNAVAILABLE"
    assert client.get(path, headers={"Accept": "text/html"}).status_code == 503
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["store"] == "unreachable" and health.json["engine"] == own_engine.query_url

    own_engine.start()
    assert client.get("/healthz").status_code == 200
    assert client.get("/sparql", query_string=query, headers=json_accept).status_code == 200
    assert client.get(path).status_code == 200
    assert SECRET not in caplog.text + down.get_data(as_text=True)


def test_a_slow_engine_is_stopped_at_the_time_limit(make_app, root, own_engine):
    client = make_app(
        GENERATIONS_DIR=str(root), STORE=own_engine.query_url, QUERY_TIMEOUT=1.0
    ).test_client()
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    answer = client.get(
        "/sparql", query_string={"query": slow}, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 503
    assert answer.json["code"] == "QUERY_TIMEOUT" and answer.json["limit_seconds"] == 1.0
    assert answer.headers["Retry-After"]


class _Garbage(BaseHTTPRequestHandler):
    """An "engine" answering 200 with an HTML page to every query."""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"<html><body>Welcome to nginx!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def garbage_engine():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/query"
    server.shutdown()
    server.server_close()


def test_an_engine_answering_garbage_gives_502_in_the_error_shape(make_app, root, garbage_engine):
    client = make_app(GENERATIONS_DIR=str(root), STORE=garbage_engine).test_client()
    answer = client.get(
        "/sparql",
        query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 502
    assert answer.json["code"] == "ENGINE_BAD_RESPONSE" and answer.json["ok"] is False


def test_the_engine_down_at_start_still_serves_healthz_503(make_app, root, tmp_path):
    never = OxigraphServer(tmp_path / "never")
    client = make_app(GENERATIONS_DIR=str(root), STORE=never.query_url, WARMUP=True).test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["engine"] == never.query_url
