"""Entity pages over HTTP (Flask test client) on the real built dataset: content negotiation
for every entity type and format, document URLs, 404/406, the country profile, indicator,
observation, authority and law pages, search and downloads.

RDF responses are parsed back with rdflib and asserted on triples; HTML with BeautifulSoup.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from urllib.parse import unquote

import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup
from kgsupport import BASE, built_dataset_dir, select
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from service.namespaces import MIG, PROV

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORMATS = {  # Accept -> (rdflib format, extension)
    "text/turtle": ("turtle", "ttl"),
    "application/n-triples": ("nt", "nt"),
    "application/ld+json": ("json-ld", "jsonld"),
    "application/rdf+xml": ("xml", "rdf"),
}


@pytest.fixture(scope="module")
def app(built_app):
    return built_app


@pytest.fixture(scope="module")
def client(built_client):
    return built_client


@pytest.fixture(scope="module")
def subjects() -> list[str]:
    """Every IRI of a thing or a named graph (``{MIGKG}id/...``, ``{MIGKG}graph/...``) that is
    the subject of a triple (the ontology's ``def#`` terms have /resource pages instead)."""
    rows = select(
        f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && "
        f'(STRSTARTS(STR(?s), "{BASE}id/") || STRSTARTS(STR(?s), "{BASE}graph/"))) }}'
    )
    return sorted(row["s"] for row in rows)


def path_of(iri: str) -> str:
    assert iri.startswith(BASE)
    return "/" + iri[len(BASE) :]


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.data[:500]
    return BeautifulSoup(response.data, "html.parser")


def parse(response, fmt: str) -> Graph:
    graph = Graph()
    graph.parse(data=response.data, format=fmt)
    return graph


# -- IRIs and content negotiation ----------------------------------------------------------------


def test_no_local_slug_contains_a_dot_so_document_extensions_are_unambiguous(subjects):
    assert subjects
    assert not [s for s in subjects if "." in s[len(BASE) :]]


def test_every_iri_in_the_graph_dereferences_to_turtle_with_itself_as_subject(client, subjects):
    failures = []
    for iri in subjects:
        response = client.get(path_of(iri), headers={"Accept": "text/turtle"})
        if response.status_code != 200:
            failures.append((iri, response.status_code))
            continue
        if (URIRef(iri), None, None) not in parse(response, "turtle"):
            failures.append((iri, "not a subject"))
    assert not failures, failures[:10]


def _samples(subjects) -> dict[str, str]:
    from service.iris import IriScheme

    scheme = IriScheme(BASE)
    by_kind: dict[str, str] = {}
    for iri in subjects:
        by_kind.setdefault(scheme.kind(iri), iri)
    return by_kind


EXPECTED_KINDS = {
    "observation",
    "dataset",
    "indicator",
    "period",
    "area",
    "authority",
    "organisation",
    "law",
    "source",
    "publication",
    "breakdown",
    "function",
    "role",
    "role-assignment",
    "assignment",
    "code",
    "structure",
    "topic",
    "document-type",
    "graph",
    "scheme",
}


def test_negotiation_for_every_entity_type_and_format(client, subjects):
    samples = _samples(subjects)
    assert EXPECTED_KINDS <= set(samples), sorted(EXPECTED_KINDS - set(samples))
    for kind, iri in sorted(samples.items()):
        for accept, (fmt, ext) in FORMATS.items():
            response = client.get(path_of(iri), headers={"Accept": accept})
            assert response.status_code == 200, (kind, accept)
            assert response.mimetype == accept, (kind, accept, response.mimetype)
            assert "Accept" in response.headers["Vary"]
            assert response.headers["Content-Location"] == f"{path_of(iri)}.{ext}"
            assert (URIRef(iri), None, None) in parse(response, fmt), (kind, accept)
            document = client.get(f"{path_of(iri)}.{ext}")
            assert document.status_code == 200 and document.mimetype == accept
            assert "Vary" not in document.headers
            assert (URIRef(iri), None, None) in parse(document, fmt)
        page = client.get(path_of(iri), headers=HTML)
        html = soup(page)
        assert page.mimetype == "text/html" and "Accept" in page.headers["Vary"]
        assert page.headers["Content-Location"] == f"{path_of(iri)}.html"
        assert html.select_one("#iri").get_text() == iri
        assert soup(client.get(f"{path_of(iri)}.html", headers={"Accept": "text/turtle"}))


def test_link_headers_and_link_elements_name_every_other_representation(client):
    path = "/id/authority/committee-of-migration-service"
    response = client.get(path, headers=HTML)
    link = response.headers["Link"]
    for ext, media in (
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("nt", "application/n-triples"),
        ("rdf", "application/rdf+xml"),
    ):
        assert f'<{path}.{ext}>; rel="alternate"; type="{media}"' in link
    alternates = {(el["type"], el["href"]) for el in soup(response).select('link[rel="alternate"]')}
    assert ("text/turtle", f"{path}.ttl") in alternates
    turtle = client.get(path, headers={"Accept": "text/turtle"})
    assert f'<{path}.html>; rel="alternate"; type="text/html"' in turtle.headers["Link"]


def test_curl_without_accept_gets_turtle_and_unknown_media_type_gets_406(client):
    response = client.get("/id/indicator/population", headers={"Accept": "*/*"})
    assert response.mimetype == "text/turtle"
    assert client.get("/id/indicator/population").mimetype == "text/turtle"
    refused = client.get("/id/indicator/population", headers={"Accept": "image/png"})
    assert refused.status_code == 406


def test_conditional_get_answers_304(client):
    first = client.get("/id/law/on-population-migration", headers=HTML)
    etag = first.headers["ETag"]
    again = client.get("/id/law/on-population-migration", headers={**HTML, "If-None-Match": etag})
    assert again.status_code == 304


def test_rdf_description_has_labels_of_linked_resources_and_provenance(client):
    iri = URIRef(BASE + "id/observation/web-gi-population-wb-2024")
    graph = parse(client.get(path_of(str(iri)), headers={"Accept": "text/turtle"}), "turtle")
    source = graph.value(iri, PROV.hadPrimarySource)
    assert source == URIRef(BASE + "id/source/world-bank-wdi")
    publisher = graph.value(source, DCTERMS.publisher)
    assert (
        publisher is not None
        and graph.value(publisher, URIRef("http://www.w3.org/2000/01/rdf-schema#label")) is not None
    )
    assert graph.value(
        URIRef(BASE + "id/indicator/population"),
        URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
    ) == Literal("Population", lang="en")


def test_external_iris_have_local_pages(client):
    response = client.get("/resource", query_string={"iri": str(MIG.Indicator)}, headers=HTML)
    assert soup(response).select_one("#iri").get_text() == str(MIG.Indicator)
    turtle = client.get("/resource", query_string={"iri": str(MIG.Indicator), "format": "ttl"})
    assert (MIG.Indicator, None, None) in parse(turtle, "turtle")
    assert client.get("/resource", query_string={"iri": "http://x/>"}).status_code == 400
    local = client.get("/resource", query_string={"iri": BASE + "id/indicator/population"})
    assert local.status_code == 301 and local.headers["Location"].endswith(
        "/id/indicator/population"
    )


# -- 404 --------------------------------------------------------------------------------------


def test_unknown_iri_gives_a_helpful_404_page(client):
    response = client.get("/id/authority/comittee-of-migration-servise", headers=HTML)
    assert response.status_code == 404
    html = BeautifulSoup(response.data, "html.parser")
    box = html.select_one("form#search-form input[name=q]")
    assert box is not None and "migration" in box["value"]
    suggestions = [a["href"] for a in html.select("#suggestions a")]
    assert "/id/authority/committee-of-migration-service" in suggestions[:3]


def test_unknown_iri_for_rdf_and_json_clients(client):
    turtle = client.get("/id/authority/nope", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 404 and turtle.mimetype == "text/plain"
    as_json = client.get("/id/authority/nope", headers={"Accept": "application/json"})
    assert as_json.status_code == 404
    body = as_json.get_json()
    assert body["ok"] is False and body["status"] == 404 and body["code"] == "UNKNOWN_RESOURCE"


@pytest.mark.parametrize(
    "path",
    [
        "/id/authority/x%3E%20%7D%20DROP",
        "/id/a%22b",
        "/id/..%2Fx",
        "/id/authority/x.exe",
        "/graph/a%20b",
    ],
)
def test_malformed_slugs_never_reach_a_query(client, app, monkeypatch, path):
    store = app.extensions["kg_current"].served().store
    calls = []
    original = store.query
    monkeypatch.setattr(
        store, "query", lambda text, **kw: calls.append(text) or original(text, **kw)
    )
    response = client.get(path, headers=HTML)
    assert response.status_code == 404
    assert not [c for c in calls if "VALUES" in c]


# -- the country profile ------------------------------------------------------------------


def test_country_profile_recreates_the_general_information_block(client):
    rows = select(
        """
        SELECT DISTINCT ?obs ?published ?source ?period WHERE {
          ?obs sdmx-dimension:refArea <%sid/area/kz> ; mig:locator ?loc ;
               mig:publishedValue ?published ; prov:hadPrimarySource ?source ;
               sdmx-dimension:refPeriod ?period .
          FILTER(STRSTARTS(?loc, "General Information")) }"""
        % BASE
    )
    assert len(rows) >= 20
    html = soup(client.get("/id/area/kz", headers=HTML))
    table = html.select_one("#general-information-table")
    items = {}
    for li in table.select("li"):
        links = [unquote(a["href"]) for a in li.select("a")]
        items[links[0]] = (li.select_one("a").get_text(), links)
    for row in rows:
        obs = path_of(row["obs"])
        assert obs in items, f"{obs} missing from the General Information block"
        text, links = items[obs]
        assert text == row["published"]
        assert path_of(row["source"]) in links and path_of(row["period"]) in links
    population = [
        li.get_text(" ", strip=True)
        for li in table.select("li")
        if "20 592 571" in li.get_text() or "20 243 981" in li.get_text()
    ]
    assert any("World Bank" in t and "2024" in t for t in population if "20 592 571" in t)
    assert any("STAT KZ" in t and "2024" in t for t in population if "20 243 981" in t)


def test_country_profile_lists_authorities_by_role_laws_and_sections(client):
    html = soup(client.get("/id/area/kz", headers=HTML))
    country = html.select_one("#country")
    text = country.get_text(" ", strip=True)
    assert "Authorities by role" in text and "Committee of migration service" in text
    assert html.select_one("#laws a[href='/id/law/on-population-migration']")
    assert "§2.2" in text and "Table 1" in text
    hrefs = {a["href"] for a in country.select("a")}
    mpl = select(
        "SELECT ?o WHERE { ?o prov:wasDerivedFrom <%sid/publication/mpl-2015> ; "
        "sdmx-dimension:refArea <%sid/area/kz> ; a qb:Observation }" % (BASE, BASE)
    )
    assert {path_of(r["o"]) for r in mpl} <= hrefs, "every MPL figure links to its observation"


# -- indicator, observation, authority, law, source -------------------------------------------


def test_indicator_page_shows_sources_side_by_side_with_a_chart(client):
    html = soup(client.get("/id/indicator/refugees", headers=HTML))
    area = html.select_one("#indicator section.area")
    assert "Kazakhstan" in area.select_one("h3").get_text()
    headers = [th.get_text(" ", strip=True) for th in area.select("table.side-by-side th")]
    assert any("UNHCR" in h for h in headers) and any("CIS" in h for h in headers)
    svg = area.select_one("svg.chart")
    series = [g["data-series"] for g in svg.select("g.series")]
    assert {"UNHCR", "CIS"} <= set(series)
    assert svg.select("a[href^='/id/observation/']")


def test_observation_page_shows_the_full_provenance_chain(client):
    html = soup(client.get("/id/observation/web-gi-immigration-flow-statkz-2024q3", headers=HTML))
    chain = html.select_one("#provenance")
    hrefs = [a["href"] for a in chain.select("a")]
    assert "/id/publication/profile-2024" in hrefs
    assert "/id/source/stat-kz" in hrefs
    assert "/id/authority/bureau-of-national-statistics" in hrefs
    assert "General Information: Immigration" in chain.select_one("#locator").get_text()
    assert html.select_one("#obs-value").get_text() == "20 383"


def test_observation_page_lists_rival_figures_of_other_sources(client):
    html = soup(client.get("/id/observation/web-gi-population-wb-2024", headers=HTML))
    siblings = html.select_one("#siblings").get_text(" ", strip=True)
    assert "20 243 981" in siblings and "STAT KZ" in siblings


def test_authority_page_functions_roles_and_figures(client):
    html = soup(client.get("/id/authority/ministry-of-internal-affairs", headers=HTML))
    text = html.select_one("#authority").get_text(" ", strip=True)
    assert "as of April 2016" in text and "from 2022" in text
    assert "line ministry" in text.lower()
    bureau = soup(client.get("/id/authority/bureau-of-national-statistics", headers=HTML))
    produced = bureau.select("#authority table.figures tbody tr")
    assert produced, "figures it produced as a primary source"
    for row in produced:
        cells = row.select("td")
        assert cells[3].select_one("a[href^='/id/period/']"), "every figure has its period"
        assert cells[5].select_one("a[href^='/id/source/']"), "every figure has its source"


def test_law_page_shows_title_amendments_and_where_facts_come_from(client):
    law = select("SELECT ?l WHERE { ?l eli:amended_by ?a } LIMIT 1")[0]["l"]
    html = soup(client.get(path_of(law), headers=HTML))
    text = html.select_one("#law").get_text(" ", strip=True)
    assert "Amendments" in text and "Expressions" in text
    graphs = html.select("#statements td.graphs a")
    assert graphs and all(a["href"].startswith("/graph/") for a in graphs)


def test_source_page_lists_its_figures(client):
    html = soup(client.get("/id/source/unhcr-refugee-statistics", headers=HTML))
    rows = html.select("#source table.figures tbody tr")
    assert rows and all(r.select_one("a[href^='/id/observation/']") for r in rows)


def test_pages_embed_their_data_as_json_ld(client):
    html = soup(client.get("/id/authority/committee-of-migration-service", headers=HTML))
    data = json.loads(html.select_one('script[type="application/ld+json"]').string)
    graph = Graph().parse(data=json.dumps(data), format="json-ld")
    iri = URIRef(BASE + "id/authority/committee-of-migration-service")
    assert (iri, RDF.type, MIG.Committee) in graph


def test_home_page_has_size_entry_points_and_examples(client):
    html = soup(client.get("/", headers=HTML))
    assert "triples" in html.select_one("#size").get_text()
    assert html.select_one("#countries a[href='/id/area/kz']")
    assert html.select_one("#entry-authority") and html.select_one("#entry-law")
    assert html.select_one("#entry-indicator") and html.select("#examples a")


# -- search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("STAT KZ", {"/id/authority/bureau-of-national-statistics", "/id/source/stat-kz"}),
        ("committee of migration service", {"/id/authority/committee-of-migration-service"}),
        ("KAZÁKHSTAN", {"/id/area/kz"}),
        ("unhcr", {"/id/organisation/unhcr"}),
    ],
)
def test_search_json_ranks_names_and_short_names_first(client, query, expected):
    body = client.get("/search.json", query_string={"q": query}).get_json()
    top = {hit["url"] for hit in body["results"][: len(expected)]}
    assert top == expected, body["results"][:3]


def test_search_page_works_without_javascript(client):
    html = soup(client.get("/search", query_string={"q": "refugees"}, headers=HTML))
    assert html.select_one("#results a[href='/id/indicator/refugees']")


# -- downloads ---------------------------------------------------------------------------------


def test_downloads_gzip_dumps_with_checksums_and_dcat(client):
    html = soup(client.get("/downloads", headers=HTML))
    listed = [a.get_text() for a in html.select("#downloads a")]
    assert listed == [
        "dataset.trig.gz",
        "dataset.nq.gz",
        "dataset.ttl.gz",
        "links.nt.gz",
        "figures.csv.gz",
        "figures.csv-metadata.json",
    ]
    with client.get("/downloads/SHA256SUMS") as response:
        sums = response.get_data(as_text=True)
    expected = dict(reversed(line.split("  ")) for line in sums.strip().splitlines())
    names = listed[:4]
    assert sorted(expected) == sorted(names)
    nquads = (built_dataset_dir() / "dataset.nq").read_bytes()
    for name in names:
        with client.get(f"/downloads/{name}") as response:
            assert response.status_code == 200
            assert hashlib.sha256(response.data).hexdigest() == expected[name]
            assert response.headers["ETag"] == f'"{expected[name]}"'
            data = gzip.decompress(response.data)
        if name == "dataset.nq.gz":
            assert data == nquads
        elif name == "dataset.trig.gz":
            quads = list(ox.parse(data, format=ox.RdfFormat.TRIG))
            assert len(quads) == len(list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)))
        elif name == "links.nt.gz":  # the links graph alone, as N-Triples
            links = list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
            in_links_graph = [
                q
                for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS)
                if q.graph_name.value.endswith("/graph/links")
            ]
            assert len(links) == len(in_links_graph) > 0
        else:
            triples = {
                ox.Triple(q.subject, q.predicate, q.object)
                for q in ox.parse(data, format=ox.RdfFormat.TURTLE)
            }
            merged = {
                ox.Triple(q.subject, q.predicate, q.object)
                for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS)
                if not isinstance(q.subject, ox.BlankNode)
                and not isinstance(q.object, ox.BlankNode)
            }
            assert merged <= triples
    dcat = parse(client.get("/downloads.ttl"), "turtle")
    dataset = dcat.value(None, RDF.type, DCAT.Dataset, any=False)
    assert dataset is not None
    assert dcat.value(dataset, DCTERMS.license) is not None
    assert dcat.value(dataset, DCTERMS.issued) is not None
    assert dcat.value(dataset, DCTERMS.modified) is not None
    distributions = list(dcat.objects(dataset, DCAT.distribution))
    assert len(distributions) == 4
    for distribution in distributions:
        assert dcat.value(distribution, DCAT.downloadURL) is not None
        assert dcat.value(distribution, DCAT.byteSize) is not None
    negotiated = client.get("/downloads", headers={"Accept": "application/ld+json"})
    assert negotiated.mimetype == "application/ld+json"


def test_a_download_is_a_static_file_with_etag_and_ranges(client):
    with client.get("/downloads/dataset.nq.gz") as full:
        etag, body = full.headers["ETag"], full.data
        assert full.headers["Accept-Ranges"] == "bytes"
        assert full.headers["Digest"].startswith("sha-256=")
    with client.get("/downloads/dataset.nq.gz", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""
    with client.get("/downloads/dataset.nq.gz", headers={"Range": "bytes=10-99"}) as part:
        assert part.status_code == 206
        assert part.headers["Content-Range"] == f"bytes 10-99/{len(body)}"
        assert part.data == body[10:100]
    with client.get("/downloads/dataset.nq.gz", headers={"Range": f"bytes={len(body)}-"}) as bad:
        assert bad.status_code == 416


def test_general_information_block_is_in_the_publications_order(client):
    html = soup(client.get("/id/area/kz", headers=HTML))
    headings = [
        th.get_text(strip=True) for th in html.select("#general-information-table tbody th")
    ]
    assert headings == [
        "Population",
        "Immigration",
        "Emigration",
        "Working-age population",
        "Unemployment rate",
        "GDP",
        "Refugees, Asylum seekers, IDPs",
        "Citizenship",
        "Territory",
    ]
