"""Safety: labels and IRIs with ``<script>``, quotes and ``</script>`` are escaped in every
page and in the embedded JSON-LD (issue 4, §5). The fixture graph is written inline
(:func:`kgsupport.hostile_dataset`, shared with the browser test, which checks that nothing
executes)."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from kgsupport import BASE, PAYLOAD, QUOTES, hostile_dataset

HOSTILE_PATHS = [
    "/id/authority/hostile",
    "/id/indicator/hostile",
    "/id/observation/hostile-1",
    "/id/area/hx",
    "/id/source/hostile",
    "/",
]


@pytest.fixture(scope="module")
def client(make_module_app, tmp_path_factory):
    folder = hostile_dataset(tmp_path_factory.mktemp("hostile") / "dataset")
    app = make_module_app(DATASET_DIR=str(folder), PAGE_CACHE_SIZE=0)
    return app.test_client()


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_nothing_unescaped_reaches_the_page(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("type") == "application/ld+json", f"unexpected script: {script}"
        assert "pwned" not in script.get_text() or "\\u003c" in script.get_text()
    assert not soup.find_all("img"), "an injected element became markup"
    assert not [t for t in soup.find_all(True) if any(a.startswith("on") for a in t.attrs)]
    assert not [a for a in soup.find_all("a", href=True) if not a["href"].startswith(("/", "http"))]
    assert "<script>window.pwned" not in html
    assert "</script><script>" not in html


def test_labels_are_shown_as_text(client):
    soup = BeautifulSoup(
        client.get("/id/authority/hostile", headers={"Accept": "text/html"}).data, "html.parser"
    )
    assert soup.select_one("#label").get_text() == PAYLOAD
    assert QUOTES in soup.get_text()


def test_embedded_json_ld_cannot_close_its_script_tag_and_round_trips(client):
    html = client.get("/id/authority/hostile", headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    end = html.index("</script>", start)
    block = html[start:end]
    assert "<" not in block and ">" not in block
    data = json.loads(block)
    labels = [
        v["@value"]
        for node in data
        for v in node.get("http://www.w3.org/2000/01/rdf-schema#label", [])
    ]
    assert PAYLOAD in labels


def test_search_json_and_page_escape(client):
    body = client.get("/search.json", query_string={"q": "script"}).get_json()
    assert any(hit["label"] == PAYLOAD for hit in body["results"])
    page = client.get(
        "/search", query_string={"q": '<script>"'}, headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    assert '<script>"' not in page


def test_rdf_documents_keep_the_literal_exactly(client):
    from rdflib import Graph, URIRef

    for ext, fmt in (("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt"), ("rdf", "xml")):
        graph = Graph().parse(data=client.get(f"/id/authority/hostile.{ext}").data, format=fmt)
        labels = {
            str(o)
            for o in graph.objects(
                URIRef(BASE + "id/authority/hostile"),
                URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
            )
        }
        assert labels == {PAYLOAD}
