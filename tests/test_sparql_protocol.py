"""The SPARQL 1.1 Protocol at /sparql, through Flask's test client: every method, format,
error and limit. RDF answers are parsed back into graphs; HTML with BeautifulSoup."""

from __future__ import annotations

import csv
import gzip
import io
import json
import socket
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from netsupport import client_address
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

from service.namespaces import MIGKG

BASE = MIGKG  # the persistent namespace: the same wherever the service runs
KZ = URIRef(BASE + "id/country/KZ")
QB = Namespace("http://purl.org/linked-data/cube#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
SRX = "{http://www.w3.org/2005/sparql-results#}"

SELECT_OBS = """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
SELECT ?obs ?value WHERE { ?obs a qb:Observation ; sdmx-measure:obsValue ?value }
ORDER BY ?obs"""
CONSTRUCT_KZ = f"CONSTRUCT {{ <{KZ}> ?p ?o }} WHERE {{ <{KZ}> ?p ?o }}"
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
    "?m ?n1 ?o . ?p ?q ?r }"
)


def assert_canonical_error(response, status: int, code: str) -> dict:
    """The JSON error shape documented in service.errors."""
    assert response.status_code == status, response.data
    body = response.get_json()
    assert body["ok"] is False and body["status"] == status and body["code"] == code
    assert isinstance(body["error"], str) and body["error"]
    return body


def _bindings(response):
    return response.get_json()["results"]["bindings"]


# -- the three ways to send a query ---------------------------------------------------------


def test_get_query_returns_sparql_results_json(client):
    response = client.get("/sparql", query_string={"query": SELECT_OBS})
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    values = sorted(int(b["value"]["value"]) for b in _bindings(response))
    assert values == [16784, 24105, 24516, 25000, 28946]


def test_form_post_query(client):
    response = client.post(
        "/sparql", data={"query": SELECT_OBS}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200 and len(_bindings(response)) == 5


def test_direct_post_query(client):
    response = client.post(
        "/sparql", data=SELECT_OBS.encode("utf-8"), content_type="application/sparql-query"
    )
    assert response.status_code == 200 and len(_bindings(response)) == 5


def test_direct_post_with_utf8_charset_and_non_ascii_literal(client):
    query = 'ASK { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> "Казахстан"@ru }'
    response = client.post(
        "/sparql",
        data=query.encode("utf-8"),
        content_type="application/sparql-query; charset=UTF-8",
    )
    assert response.get_json()["boolean"] is True


# -- result formats ---------------------------------------------------------------------------


def test_select_as_xml(client):
    response = client.get(
        "/sparql",
        query_string={"query": SELECT_OBS},
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert response.mimetype == "application/sparql-results+xml"
    root = ET.fromstring(response.data)
    results = root.findall(f"{SRX}results/{SRX}result")
    assert len(results) == 5


def test_select_as_csv_and_tsv(client):
    csv_response = client.get(
        "/sparql", query_string={"query": SELECT_OBS}, headers={"Accept": "text/csv"}
    )
    assert csv_response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(csv_response.data.decode("utf-8"))))
    assert sorted(int(r["value"]) for r in rows) == [16784, 24105, 24516, 25000, 28946]
    tsv_response = client.get("/sparql", query_string={"query": SELECT_OBS, "format": "tsv"})
    assert tsv_response.mimetype == "text/tab-separated-values"
    lines = tsv_response.data.decode("utf-8").strip().split("\n")
    assert lines[0] == "?obs\t?value" and len(lines) == 6


def test_csv_escapes_quotes_commas_and_tabs(client):
    query = "SELECT ?c WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#comment> ?c }"
    response = client.get("/sparql", query_string={"query": query, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8"))))
    assert rows[1] == ['A "quoted" comment, with a comma; and a\ttab']


def test_ask_in_json_and_xml(client):
    json_response = client.get("/sparql", query_string={"query": f"ASK {{ <{KZ}> ?p ?o }}"})
    assert json_response.get_json()["boolean"] is True
    xml_response = client.get(
        "/sparql",
        query_string={"query": "ASK { <http://nowhere> ?p ?o }"},
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert ET.fromstring(xml_response.data).find(f"{SRX}boolean").text == "false"


@pytest.mark.parametrize(
    "media_type, rdflib_format",
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_in_each_graph_format_parses_back(client, media_type, rdflib_format):
    response = client.get(
        "/sparql", query_string={"query": CONSTRUCT_KZ}, headers={"Accept": media_type}
    )
    assert response.status_code == 200 and response.mimetype == media_type
    graph = Graph().parse(data=response.data, format=rdflib_format)
    assert (KZ, SKOS.prefLabel, Literal("Kazakhstan", lang="en")) in graph
    assert (KZ, RDF.type, SKOS.Concept) in graph


@pytest.mark.parametrize(
    "media_type, rdflib_format", [("application/trig", "trig"), ("application/n-quads", "nquads")]
)
def test_construct_in_dataset_formats(client, media_type, rdflib_format):
    response = client.get(
        "/sparql", query_string={"query": CONSTRUCT_KZ}, headers={"Accept": media_type}
    )
    assert response.mimetype == media_type
    dataset = Dataset().parse(data=response.data, format=rdflib_format)
    assert (KZ, RDF.type, SKOS.Concept) in dataset.default_graph


def test_describe_returns_turtle_by_default(client):
    response = client.get("/sparql", query_string={"query": f"DESCRIBE <{KZ}>"})
    assert response.mimetype == "text/turtle"
    assert (KZ, RDF.type, SKOS.Concept) in Graph().parse(data=response.data, format="turtle")


def test_turtle_reuses_the_query_prefixes(client):
    query = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n" + CONSTRUCT_KZ
    response = client.get("/sparql", query_string={"query": query})
    assert b"@prefix skos:" in response.data and b"skos:prefLabel" in response.data


def test_q_values_choose_the_format(client):
    response = client.get(
        "/sparql",
        query_string={"query": SELECT_OBS},
        headers={"Accept": "text/csv;q=0.3, application/sparql-results+xml;q=0.8"},
    )
    assert response.mimetype == "application/sparql-results+xml"


def test_format_parameter_overrides_accept(client):
    response = client.get(
        "/sparql",
        query_string={"query": SELECT_OBS, "format": "csv"},
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert response.mimetype == "text/csv"


def test_nothing_acceptable_is_406_listing_supported_types(client):
    response = client.get(
        "/sparql", query_string={"query": SELECT_OBS}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 406
    for media_type in (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ):
        assert media_type.encode() in response.data
    graph_response = client.get(
        "/sparql",
        query_string={"query": CONSTRUCT_KZ},
        headers={"Accept": "text/csv, application/json;q=0"},
    )
    assert graph_response.status_code == 406 and b"text/turtle" in graph_response.data
    json_error = client.get(
        "/sparql",
        query_string={"query": SELECT_OBS, "format": "pdf"},
        headers={"Accept": "application/json"},
    )
    body = assert_canonical_error(json_error, 406, "NOT_ACCEPTABLE")
    assert "text/csv" in body["supported"]


# -- datasets ---------------------------------------------------------------------------------


def test_default_graph_uri_and_named_graph_uri(client):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?o a <http://purl.org/linked-data/cube#Observation> }"
    response = client.get(
        "/sparql", query_string={"query": count, "default-graph-uri": BASE + "graph/profile-2024"}
    )
    assert _bindings(response)[0]["n"]["value"] == "1"
    named = (
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?o a "
        "<http://purl.org/linked-data/cube#Observation> } }"
    )
    response = client.get(
        "/sparql",
        query_string=[
            ("query", named),
            ("named-graph-uri", BASE + "graph/mpl-2015"),
            ("named-graph-uri", BASE + "graph/reference"),
        ],
    )
    assert [b["g"]["value"] for b in _bindings(response)] == [BASE + "graph/mpl-2015"]


def test_every_named_graph_is_addressable_with_graph(client):
    response = client.get(
        "/sparql",
        query_string={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"},
    )
    graphs = [b["g"]["value"] for b in _bindings(response)]
    assert graphs == [
        BASE + f"graph/{n}" for n in ("mpl-2015", "ontology", "profile-2024", "reference")
    ]


# -- errors -----------------------------------------------------------------------------------


def test_malformed_query_is_400_with_parser_position(client):
    response = client.get(
        "/sparql",
        query_string={"query": "SELECT * WHERE { ?s ?p }"},
        headers={"Accept": "application/json"},
    )
    body = assert_canonical_error(response, 400, "MALFORMED_QUERY")
    assert "1:" in body["error"]
    text = client.get("/sparql", query_string={"query": "SELECT * WHERE {\n  ?s ?p }"})
    assert text.status_code == 400 and text.mimetype == "text/plain" and b"2:" in text.data


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "POST", "data": {"update": "CLEAR ALL"}},
        {"method": "POST", "data": b"CLEAR ALL", "content_type": "application/sparql-update"},
        {"method": "GET", "query_string": {"update": "CLEAR ALL"}},
        {
            "method": "GET",
            "query_string": {"query": "INSERT DATA { <http://a> <http://b> <http://c> }"},
        },
        {"method": "GET", "query_string": {"query": "LOAD <http://127.0.0.1:9/data.ttl>"}},
        {"method": "POST", "data": b"DROP ALL", "content_type": "application/sparql-query"},
    ],
)
def test_updates_and_load_are_refused_read_only(client, kwargs):
    method = kwargs.pop("method")
    response = client.open(
        "/sparql", method=method, headers={"Accept": "application/json"}, **kwargs
    )
    body = assert_canonical_error(response, 403, "READ_ONLY")
    assert "read-only" in body["error"]
    still = client.get("/sparql", query_string={"query": f"ASK {{ <{KZ}> ?p ?o }}"})
    assert still.get_json()["boolean"] is True


@pytest.mark.parametrize(
    "kwargs, status",
    [
        ({"method": "PUT", "query_string": {"query": "ASK {}"}}, 405),
        ({"method": "GET", "query_string": [("query", "ASK {}"), ("query", "SELECT * {}")]}, 400),
        ({"method": "POST", "data": b"ASK {}", "content_type": "text/plain"}, 415),
        ({"method": "POST", "data": b"query=ASK%20%7B%7D"}, 415),
        (
            {
                "method": "POST",
                "data": "ASK {}".encode("utf-16"),
                "content_type": "application/sparql-query; charset=UTF-16",
            },
            415,
        ),
        (
            {"method": "POST", "data": b"ASK { \xff }", "content_type": "application/sparql-query"},
            400,
        ),
        ({"method": "POST", "data": b"", "content_type": "application/x-www-form-urlencoded"}, 400),
    ],
)
def test_protocol_errors_are_4xx(client, kwargs, status):
    method = kwargs.pop("method")
    response = client.open("/sparql", method=method, **kwargs)
    assert response.status_code == status


def test_oversized_query_is_413(make_app):
    client = make_app(MAX_QUERY_BYTES=1000).test_client()
    padding = "#" + "x" * 1200 + "\n"
    response = client.post(
        "/sparql",
        data=(padding + "ASK {}").encode(),
        content_type="application/sparql-query",
        headers={"Accept": "application/json"},
    )
    body = assert_canonical_error(response, 413, "QUERY_TOO_LARGE")
    assert "1000" in body["error"]
    huge_form = client.post("/sparql", data={"query": "#" + "y" * 10_000 + "\nASK {}"})
    assert huge_form.status_code == 413
    assert (
        client.post("/sparql", data=b"ASK {}", content_type="application/sparql-query").status_code
        == 200
    )


def test_result_row_cap_sets_truncation_headers(make_app):
    client = make_app(MAX_RESULT_ROWS=3).test_client()
    response = client.get("/sparql", query_string={"query": SELECT_OBS})
    assert response.status_code == 200
    assert response.headers["X-Result-Truncated"] == "true"
    assert response.headers["X-Result-Limit"] == "3"
    assert len(_bindings(response)) == 3
    small = client.get("/sparql", query_string={"query": SELECT_OBS + " LIMIT 2"})
    assert "X-Result-Truncated" not in small.headers


def test_runaway_query_gets_503_naming_the_limit_while_others_are_served(make_app):
    app = make_app(QUERY_TIMEOUT=1.5, QUERY_PROCESSES=2)
    outcome = {}

    def runaway():
        with app.test_client() as own_client:
            outcome["response"] = own_client.get(
                "/sparql", query_string={"query": RUNAWAY}, headers={"Accept": "application/json"}
            )

    thread = threading.Thread(target=runaway)
    thread.start()
    served = []
    client = app.test_client()
    while thread.is_alive() and len(served) < 5:
        served.append(client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}).status_code)
    thread.join()
    assert served and set(served) == {200}
    body = assert_canonical_error(outcome["response"], 503, "QUERY_TIMEOUT")
    assert "1.5 s" in body["error"]
    assert outcome["response"].headers["Retry-After"]
    after = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert after.status_code == 200
    assert client.get("/healthz").get_json()["queries_stopped_at_time_limit"] == 1


# -- SERVICE ----------------------------------------------------------------------------------


@pytest.fixture
def loopback_listener():
    """A TCP listener on a loopback port that records every connection it accepts."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    connections = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connections.append(conn.recv(1024))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join()
    server.close()


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "PREFIX r: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE r:sparql {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ BIND(<http://127.0.0.1:{port}/sparql> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?x ?y ?z .SERVICE<http://127.0.0.1:{port}/sparql>{{?s ?p ?o}} }}",
    ],
)
def test_service_is_refused_and_never_contacted(client, loopback_listener, template):
    port, connections = loopback_listener
    response = client.get(
        "/sparql",
        query_string={"query": template.format(port=port)},
        headers={"Accept": "application/json"},
    )
    assert_canonical_error(response, 403, "SERVICE_REFUSED")
    assert connections == []


class _FakeEndpoint(BaseHTTPRequestHandler):
    body = json.dumps(
        {
            "head": {"vars": ["x"]},
            "results": {"bindings": [{"x": {"type": "literal", "value": "from-remote"}}]},
        }
    ).encode()

    def _answer(self):
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def do_GET(self):  # noqa: N802 - http.server API
        self._answer()

    def do_POST(self):  # noqa: N802 - http.server API
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer()

    def log_message(self, *args):
        pass


def test_allow_listed_service_is_federated(make_app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeEndpoint)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        client = make_app(SERVICE_ALLOWLIST=[endpoint]).test_client()
        response = client.get(
            "/sparql",
            query_string={"query": f"SELECT ?x WHERE {{ SERVICE <{endpoint}> {{ ?x ?p ?o }} }}"},
        )
        assert response.status_code == 200, response.data
        assert [b["x"]["value"] for b in _bindings(response)] == ["from-remote"]
        assert server.requests
        other = client.get(
            "/sparql",
            query_string={
                "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/other> { ?s ?p ?o } }"
            },
        )
        assert other.status_code == 403
    finally:
        server.shutdown()
        server.server_close()


# -- no query: editor or service description --------------------------------------------------


def test_browser_without_query_gets_the_editor(client):
    response = client.get(
        "/sparql",
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    )
    assert response.status_code == 200 and response.mimetype == "text/html"
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.find(id="example-select") is not None
    assert len(soup.select("#example-select option")) == len(
        client.application.extensions["kg_examples"]
    )


def test_editor_falls_back_to_a_plain_form_without_yasgui(make_app, tmp_path):
    client = make_app(YASGUI_DIR=str(tmp_path / "no-yasgui")).test_client()
    soup = BeautifulSoup(client.get("/sparql", headers={"Accept": "text/html"}).data, "html.parser")
    form = soup.find("form", id="plain-form")
    assert form is not None and form.find("textarea", attrs={"name": "query"}) is not None
    assert "npm" in soup.find(class_="note").get_text()
    assert soup.find(id="yasgui") is None


def test_editor_uses_local_yasgui_assets_when_installed(make_app, tmp_path):
    yasgui = tmp_path / "yasgui"
    yasgui.mkdir()
    (yasgui / "yasgui.min.js").write_text("window.Yasgui = function () {};")
    (yasgui / "yasgui.min.css").write_text("")
    client = make_app(YASGUI_DIR=str(yasgui)).test_client()
    soup = BeautifulSoup(client.get("/sparql", headers={"Accept": "text/html"}).data, "html.parser")
    sources = [s.get("src") for s in soup.find_all("script") if s.get("src")]
    assert "/assets/yasgui/yasgui.min.js" in sources
    assert all(src.startswith("/") for src in sources), "no third-party CDN"
    with client.get("/assets/yasgui/yasgui.min.js") as asset:
        assert asset.status_code == 200


@pytest.mark.parametrize(
    "accept, rdflib_format",
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("*/*", "turtle"),
        (None, "turtle"),
    ],
)
def test_rdf_client_without_query_gets_the_service_description(client, accept, rdflib_format):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", headers=headers)
    graph = Graph().parse(data=response.data, format=rdflib_format)
    service = next(graph.subjects(RDF.type, SD.Service))
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert (service, SD.endpoint, URIRef("http://localhost/sparql")) in graph
    formats = set(graph.objects(service, SD.resultFormat))
    assert URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    names = {str(n) for n in graph.objects(None, SD.name)}
    assert BASE + "graph/mpl-2015" in names


def test_post_without_query_is_400(client):
    assert client.post("/sparql", data={"format": "json"}).status_code == 400


def test_browser_query_gets_an_html_table(client):
    response = client.get(
        "/sparql", query_string={"query": SELECT_OBS}, headers={"Accept": "text/html"}
    )
    soup = BeautifulSoup(response.data, "html.parser")
    assert [th.get_text() for th in soup.select("#results-table th")] == ["obs", "value"]
    assert len(soup.select("#results-table tbody tr")) == 5


# -- VoID, health, caching, CORS ------------------------------------------------------------


def test_void_description(client, app):
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=response.data, format="turtle")
    dataset = next(graph.subjects(RDF.type, VOID.Dataset))
    meta = app.extensions["kg_current"].served().store.metadata()
    assert int(graph.value(dataset, VOID.triples)) == meta["triples"]
    assert (dataset, VOID.sparqlEndpoint, URIRef("http://localhost/sparql")) in graph
    subsets = set(graph.objects(dataset, VOID.subset))
    assert URIRef(BASE + "graph/profile-2024") in subsets
    assert URIRef("http://purl.org/linked-data/cube#") in set(
        graph.objects(dataset, VOID.vocabulary)
    )
    assert set(graph.objects(dataset, VOID.exampleResource))
    dumps = [str(d) for d in graph.objects(dataset, VOID.dataDump)]
    assert "http://localhost/downloads/dataset.nq.gz" in dumps
    with client.get("/downloads/dataset.nq.gz") as dump:
        assert dump.status_code == 200 and dump.mimetype == "application/gzip"
        assert gzip.decompress(dump.data).count(b"\n") >= meta["triples"] > 0
    assert client.get("/downloads/secrets.txt").status_code == 404


def test_healthz_reports_store_count_and_version(client, app):
    body = client.get("/healthz").get_json()
    store = app.extensions["kg_current"].served().store
    assert body["ok"] is True and body["store"] == "reachable"
    assert body["triples"] == store.triple_count() and body["version"] == store.version()


def test_etag_last_modified_and_304(client, app):
    first = client.get("/sparql", query_string={"query": SELECT_OBS})
    etag = first.headers["ETag"]
    assert app.extensions["kg_current"].served().store.version() in etag
    assert first.headers["Last-Modified"] and "max-age" in first.headers["Cache-Control"]
    again = client.get(
        "/sparql", query_string={"query": SELECT_OBS}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.headers["ETag"] == etag and not again.data
    other_format = client.get(
        "/sparql",
        query_string={"query": SELECT_OBS},
        headers={"If-None-Match": etag, "Accept": "text/csv"},
    )
    assert other_format.status_code == 200


def test_cors_headers_and_preflight(client):
    response = client.get(
        "/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://elsewhere.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_error_negotiation_html_json_text(client):
    query = {"query": "SELECT * {"}
    html = client.get("/sparql", query_string=query, headers={"Accept": "text/html"})
    soup = BeautifulSoup(html.data, "html.parser")
    assert html.status_code == 400 and "expected" in soup.find(id="error-message").get_text()
    assert_canonical_error(
        client.get("/sparql", query_string=query, headers={"Accept": "application/json"}),
        400,
        "MALFORMED_QUERY",
    )
    text = client.get("/sparql", query_string=query)
    assert text.mimetype == "text/plain"


def test_examples_page_lists_every_example(client, app):
    soup = BeautifulSoup(client.get("/sparql/examples").data, "html.parser")
    titles = [h.get_text() for h in soup.select("li.example h2")]
    assert titles == [e.title for e in app.extensions["kg_examples"]]


def test_access_log_is_structured(make_app, caplog):
    client = make_app(ACCESS_LOG=True).test_client()
    with caplog.at_level("INFO", logger="migkg.access"):
        client.get("/sparql", query_string={"query": SELECT_OBS})
    entry = json.loads(caplog.records[-1].getMessage())
    assert entry["status"] == 200 and entry["path"] == "/sparql"
    assert entry["query"]["form"] == "SELECT" and entry["query"]["bytes"] > 0
    assert "ms" in entry["query"]


def test_many_concurrent_requests_all_succeed(make_app):
    """Threads hammering one app (as gthread workers or the dev server would), one client
    each, get no 500s (and, each within its fair share, no 429s)."""
    app = make_app(QUERY_PROCESSES=2)
    statuses = []

    def worker(n):
        client = app.test_client()
        for i in range(15):
            query = SELECT_OBS if (n + i) % 2 else f"ASK {{ <{KZ}> ?p ?o }}"
            statuses.append(
                client.get(
                    "/sparql",
                    query_string={"query": query},
                    environ_base={"REMOTE_ADDR": client_address(n)},
                ).status_code
            )

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 90 and set(statuses) == {200}


def test_query_in_url_encoded_link_round_trip(client):
    response = client.get("/sparql?format=csv&query=" + quote(SELECT_OBS))
    assert response.status_code == 200 and response.mimetype == "text/csv"
