"""Safety: labels and IRIs with ``<script>``, quotes and ``</script>`` are escaped in every
page and in the embedded JSON-LD (issue 4, §5). The fixture graph is written here, inline;
:func:`hostile_dataset` is shared with the browser test, which checks that nothing executes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from service.namespaces import MIGKG

BASE = MIGKG  # the persistent namespace: the same wherever the service runs
PAYLOAD = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
QUOTES = "He said \"hello\" & 'bye' <b>bold</b>"
HOSTILE_PATHS = [
    "/id/authority/hostile",
    "/id/indicator/hostile",
    "/id/observation/hostile-1",
    "/id/area/hx",
    "/id/source/hostile",
    "/",
]


def _lit(text: str, lang: str = "en") -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def hostile_dataset(folder: Path) -> Path:
    """A tiny built dataset (dataset.nq + version.json) whose labels try to break out."""
    g = f"<{BASE}graph/reference>"
    rdfs = "http://www.w3.org/2000/01/rdf-schema#"
    mig = "https://w3id.org/migkg/def#"
    dim = "http://purl.org/linked-data/sdmx/2009/dimension#"
    measure = "http://purl.org/linked-data/sdmx/2009/measure#"
    prov = "http://www.w3.org/ns/prov#"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    a, ind, obs = (
        f"<{BASE}id/authority/hostile>",
        f"<{BASE}id/indicator/hostile>",
        f"<{BASE}id/observation/hostile-1>",
    )
    area, period, src = (
        f"<{BASE}id/area/hx>",
        f"<{BASE}id/period/2024>",
        f"<{BASE}id/source/hostile>",
    )
    lines = [
        f"{a} {rdf_type} <{mig}Committee> {g} .",
        f"{a} <{rdfs}label> {_lit(PAYLOAD)} {g} .",
        f"{a} <{mig}shortName> {_lit(QUOTES)} {g} .",
        f"{a} <http://purl.org/dc/terms/description> {_lit('</script><!-- ' + PAYLOAD)} {g} .",
        f'{a} <http://www.w3.org/2000/01/rdf-schema#seeAlso> <http://example.org/a?b=1&c="2"> {g} .'.replace(
            '"2"', "%222%22"
        ),
        f"{a} <http://www.w3.org/2000/01/rdf-schema#seeAlso> <javascript:window.pwned=4> {g} .",
        f"{ind} {rdf_type} <{mig}Indicator> {g} .",
        f"{ind} <{rdfs}label> {_lit('Indicator ' + PAYLOAD)} {g} .",
        f"{area} {rdf_type} <{mig}Country> {g} .",
        f"{area} <{rdfs}label> {_lit('Land ' + QUOTES)} {g} .",
        f"{period} <{rdfs}label> {_lit('2024')} {g} .",
        f"{src} {rdf_type} <http://www.w3.org/ns/dcat#Dataset> {g} .",
        f"{src} <{rdfs}label> {_lit('Source ' + PAYLOAD)} {g} .",
        f"{src} <http://purl.org/dc/terms/publisher> {a} {g} .",
        f"{obs} {rdf_type} <http://purl.org/linked-data/cube#Observation> {g} .",
        f"{obs} <{rdfs}label> {_lit('Figure ' + PAYLOAD)} {g} .",
        f"{obs} <{mig}indicator> {ind} {g} .",
        f"{obs} <{dim}refArea> {area} {g} .",
        f"{obs} <{dim}refPeriod> {period} {g} .",
        f'{obs} <{measure}obsValue> "42"^^<http://www.w3.org/2001/XMLSchema#integer> {g} .',
        f"{obs} <{mig}publishedValue> {_lit('<script>window.pwned=3</script>42', '')} {g} .",
        f"{obs} <{mig}locator> {_lit('General Information: ' + PAYLOAD, '')} {g} .",
        f"{obs} <{prov}hadPrimarySource> {src} {g} .",
    ]
    data = ("\n".join(sorted(lines)) + "\n").encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.nq").write_bytes(data)
    version = hashlib.sha256(data).hexdigest()[:16]
    (folder / "version.json").write_text(
        json.dumps(
            {
                "version": version,
                "built": "2026-01-01T00:00:00+00:00",
                "triples": len(lines),
                "graphs": [f"{BASE}graph/reference"],
            }
        ),
        encoding="utf-8",
    )
    return folder


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
