"""Persistent IRIs, served on any host: the data names things ``https://w3id.org/migkg/...``
whatever host, port or path prefix serves it; the service maps its own ``/id/...`` and
``/graph/...`` paths to those IRIs and back, says which IRI to cite (``rel="canonical"``), and
names itself absolutely only where it must (VoID, Service Description, DCAT), from
``PUBLIC_URL`` or the request's host. Bad addresses are 4xx in the project's error shape.
"""

from __future__ import annotations

import re
import urllib.request

import pytest
from bs4 import BeautifulSoup
from kgsupport import ROOT, built_dataset_dir
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF, RDFS, SKOS

from service.namespaces import DATASET, ID, MIG, MIGKG, SD, VOID

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"Accept": "application/json"}
KZ = ID["area/kz"]


@pytest.fixture(scope="module")
def client(built_client):
    return built_client


def turtle(response) -> Graph:
    assert response.status_code == 200, response.data[:300]
    return Graph().parse(data=response.get_data(as_text=True), format="turtle")


def test_the_namespace_is_w3id_and_independent_of_the_deployment():
    assert MIGKG == "https://w3id.org/migkg/"
    assert str(KZ) == "https://w3id.org/migkg/id/area/kz"


def test_an_entity_path_answers_with_its_persistent_iri_and_cites_it(client):
    response = client.get("/id/area/kz", headers={"Accept": "text/turtle"})
    assert (KZ, RDF.type, MIG.Country) in turtle(response)
    links = response.headers["Link"]
    assert f'<{KZ}>; rel="canonical"' in links
    assert '</id/area/kz.jsonld>; rel="alternate"' in links


def test_sparql_results_carry_persistent_iris(client):
    response = client.get(
        "/sparql",
        query_string={
            "query": "PREFIX mig: <https://w3id.org/migkg/def#> SELECT ?c WHERE { ?c a mig:Country }"
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    values = [b["c"]["value"] for b in response.get_json()["results"]["bindings"]]
    assert str(KZ) in values and all(v.startswith(MIGKG + "id/area/") for v in values)


def test_relative_iris_in_a_query_resolve_against_the_namespace(client):
    response = client.get(
        "/sparql",
        query_string={"query": "ASK { <id/area/kz> a <https://w3id.org/migkg/def#Country> }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.get_json()["boolean"] is True


def test_behind_a_path_prefix_pages_link_locally_and_show_the_persistent_iri(client):
    response = client.get("/id/area/kz", headers=HTML, environ_overrides={"SCRIPT_NAME": "/kg"})
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one("#iri").get_text() == str(KZ)
    hrefs = [a["href"] for a in page.select("a[href]")]
    entity_links = [h for h in hrefs if "/id/" in h and not h.startswith(("http:", "https:"))]
    assert entity_links and all(h.startswith("/kg/id/") for h in entity_links)
    assert response.headers["Content-Location"] == "/kg/id/area/kz.html"


def test_public_url_names_the_deployment_and_never_the_data(make_app):
    app = make_app(DATASET_DIR=str(built_dataset_dir()), PUBLIC_URL="https://kg.example.net/mirror")
    client = app.test_client()
    void = turtle(client.get("/.well-known/void", headers={"Accept": "text/turtle"}))
    assert (DATASET, VOID.sparqlEndpoint, URIRef("https://kg.example.net/mirror/sparql")) in void
    dumps = {str(d) for d in void.objects(DATASET, VOID.dataDump)}
    assert "https://kg.example.net/mirror/downloads/dataset.nq.gz" in dumps
    assert str(void.value(DATASET, VOID.uriSpace)) == MIGKG
    assert URIRef(MIGKG + "graph/mpl-2015") in set(void.objects(DATASET, VOID.subset))
    service = turtle(client.get("/sparql", headers={"Accept": "text/turtle"}))
    assert (
        URIRef("https://kg.example.net/mirror/sparql"),
        SD.endpoint,
        URIRef("https://kg.example.net/mirror/sparql"),
    ) in service
    dcat = turtle(client.get("/downloads.ttl"))
    urls = {str(u) for u in dcat.objects(None, DCAT.downloadURL)}
    assert urls and all(u.startswith("https://kg.example.net/mirror/downloads/") for u in urls)
    assert (DATASET, RDF.type, DCAT.Dataset) in dcat


def test_without_public_url_the_request_host_is_used(client):
    void = turtle(
        client.get(
            "/.well-known/void",
            headers={"Accept": "text/turtle"},
            base_url="http://proxy.internal:9000",
        )
    )
    assert (DATASET, VOID.sparqlEndpoint, URIRef("http://proxy.internal:9000/sparql")) in void


def test_resource_accepts_the_persistent_iri_and_redirects_to_the_local_path(client):
    response = client.get("/resource", query_string={"iri": str(KZ)})
    assert response.status_code == 301 and response.headers["Location"] == "/id/area/kz"
    response = client.get("/resource", query_string={"iri": str(KZ), "format": "ttl"})
    assert response.headers["Location"] == "/id/area/kz.ttl"


def test_the_ontology_document_is_served_at_def(client):
    response = client.get("/def", headers={"Accept": "text/turtle"})
    graph = turtle(response)
    assert (MIG.Indicator, RDFS.subClassOf, SKOS.Concept) in graph
    assert (
        URIRef(MIGKG + "def"),
        RDF.type,
        URIRef("http://www.w3.org/2002/07/owl#Ontology"),
    ) in graph
    assert f'<{MIGKG}def>; rel="canonical"' in response.headers["Link"]
    assert "Accept" in response.headers["Vary"]
    jsonld = client.get("/def", query_string={"format": "jsonld"})
    assert jsonld.mimetype == "application/ld+json"
    page = client.get("/def", headers=HTML)
    assert page.status_code == 303
    assert client.get(page.headers["Location"], headers=HTML).status_code == 200
    assert client.get("/def", query_string={"format": "exe"}, headers=JSON).status_code == 400


# -- bad addresses: 4xx in the error shape, never a 500 ---------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/authority/" + "a" * 7_000,
        "/id/" + "x" * 10_000,
        "/graph/" + "g" * 10_000 + ".ttl",
        "/id/authority/%3Cscript%3E",
        "/id/authority/a%20b",
        "/id//",
        "/id/law/x.y.z",
    ],
)
def test_malformed_or_huge_entity_paths_are_404_in_the_error_shape(client, path):
    response = client.get(path, headers=JSON)
    assert response.status_code == 404
    body = response.get_json()
    assert (
        body["ok"] is False
        and body["status"] == 404
        and body["code"] in ("UNKNOWN_RESOURCE", "NOT_FOUND")
    )
    page = client.get(path, headers=HTML)
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert len(page.data) < 20_000


@pytest.mark.parametrize(
    "iri, status",
    [
        ("javascript:alert(1)", 400),
        ("ftp://example.org/x", 400),
        ("urn:isbn:0451450523", 400),
        ("mailto:someone@example.org", 400),
        ("", 400),
        ("https://example.org/" + "z" * 5_000, 400),
        ("https://example.org/not-in-the-graph", 404),
        (MIGKG + "id/area/atlantis", 404),
    ],
)
def test_resource_refuses_non_http_iris_and_unknown_ones(client, iri, status):
    response = client.get("/resource", query_string={"iri": iri}, headers=JSON)
    if response.status_code == 301:  # a persistent IRI: redirected, then unknown
        response = client.get(response.headers["Location"], headers=JSON)
    assert response.status_code == status
    body = response.get_json()
    assert body["ok"] is False and body["status"] == status


def test_an_unexpected_error_is_a_500_in_the_error_shape(make_app):
    app = make_app()

    @app.route("/boom")
    def boom():
        raise ValueError("not a usable IRI")

    client = app.test_client()
    response = client.get("/boom", headers=JSON)
    assert response.status_code == 500
    assert response.get_json() == {
        "ok": False,
        "status": 500,
        "code": "INTERNAL_ERROR",
        "error": response.get_json()["error"],
    }
    assert "usable" not in response.get_json()["error"]  # no internals leaked
    page = client.get("/boom", headers=HTML)
    assert page.status_code == 500 and b"Internal Server Error" not in page.data


# -- the texts users copy from -----------------------------------------------------------------

RELATIVE_IRI = re.compile(r"<(?:id|graph)/[^>\s]*>")
TEXTS = sorted(
    [
        *(ROOT / "service" / "queries").rglob("*.rq"),
        *(ROOT / "bench" / "queries").glob("*.rq"),
        ROOT / "README.md",
        *(ROOT / "graph_data").rglob("*.ttl"),
        *(ROOT / "ontology").glob("*.ttl"),
    ]
)


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_relative_iri_is_left_in_queries_data_or_readme(path):
    text = path.read_text(encoding="utf-8")
    assert not RELATIVE_IRI.findall(text)
    if path.suffix != ".md":  # the README's curl examples address the local server, rightly
        assert "127.0.0.1:8080/id/" not in text and "127.0.0.1:8080/graph/" not in text


# -- a real server on a random port ------------------------------------------------------------


def test_a_server_on_a_random_port_serves_the_persistent_iris(start_module_server):
    server = start_module_server(DATASET_DIR=str(built_dataset_dir()))
    request = urllib.request.Request(server.url + "id/area/kz", headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=30) as response:
        graph = Graph().parse(data=response.read().decode("utf-8"), format="turtle")
    assert (KZ, RDF.type, MIG.Country) in graph
    linked = sorted(
        {
            o
            for o in graph.objects(KZ, None)
            if isinstance(o, URIRef) and str(o).startswith(MIGKG + "id/")
        }
    )
    assert linked
    for iri in linked:  # every IRI it names dereferences on the same server
        local = server.url + str(iri)[len(MIGKG) :]
        request = urllib.request.Request(local, headers={"Accept": "text/turtle"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            assert (iri, None, None) in Graph().parse(
                data=response.read().decode(), format="turtle"
            )
