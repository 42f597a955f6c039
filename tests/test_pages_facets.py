"""Big indicator and country pages are faceted (``PAGE_MAX_FIGURES``): an index of the areas
(sections of publications) with their counts, and the figures of one entry, chosen by
``?area=<IRI>`` (``?section=<n>``). Pages at or under the limit are unchanged.

The real dataset is small, so these tests lower the limit to 5: Kazakhstan's 350 figures and
the 15 refugee figures (in 3 areas) are faceted, the 5 "orders to leave" (in 4 areas) are not.
Every figure shown is checked against SPARQL over the built dataset. With the default limit no
real page is faceted. Unknown facet values answer 404, the page memo keeps facets apart, and
hostile locators are escaped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup
from kgsupport import BASE, PAYLOAD, QUOTES, built_dataset_dir, country_figures, nt_literal, select
from rdflib import Literal

from service.config import load_config
from service.namespaces import MIG, PROV, RDFS, SDMX_DIMENSION, SDMX_MEASURE
from service.web.pages import bind, load_query

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
LIMIT = 5
KZ = BASE + "id/area/kz"
REFUGEES = BASE + "id/indicator/refugees"
SMALL = "/id/indicator/orders-to-leave"
GI = "General Information"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


@pytest.fixture(scope="module")
def faceted(make_module_app):
    """The real dataset with a limit of 5 figures a page, rendered on every request."""
    return make_module_app(
        DATASET_DIR=str(built_dataset_dir()), PAGE_MAX_FIGURES=LIMIT, PAGE_CACHE_SIZE=0
    ).test_client()


@pytest.fixture(scope="module")
def full(make_module_app):
    """The real dataset with the default limit (no real page is over it)."""
    return make_module_app(DATASET_DIR=str(built_dataset_dir()), PAGE_CACHE_SIZE=0).test_client()


def page(client, url: str) -> BeautifulSoup:
    response = client.get(url, headers=HTML)
    assert response.status_code == 200, (url, response.status_code)
    return BeautifulSoup(response.data, "html.parser")


def observations(element) -> set[str]:
    """The observation IRIs linked from an element (figure cells, chart points)."""
    return {BASE + a["href"][1:] for a in element.select("a[href^='/id/observation/']")}


def figures_of(pattern: str) -> set[str]:
    """Figures (observations with a period and a value) matching a SPARQL pattern on ?obs."""
    rows = select(
        "SELECT DISTINCT ?obs WHERE { ?obs sdmx-dimension:refPeriod ?p ; "
        "sdmx-measure:obsValue ?v . %s }" % pattern
    )
    return {row["obs"] for row in rows}


def area_counts(indicator: str) -> Counter:
    rows = select(
        "SELECT ?area (COUNT(DISTINCT ?obs) AS ?n) WHERE { ?obs mig:indicator <%s> ; "
        "sdmx-dimension:refArea ?area } GROUP BY ?area" % indicator
    )
    return Counter({row["area"]: int(row["n"]) for row in rows})


def index_rows(html: BeautifulSoup, table: str) -> list[dict]:
    """The facet index as data: the entry's links, its count, its facet link."""
    rows = []
    for tr in html.select(f"#{table} tbody tr"):
        facet = tr.select_one("a.facet")
        rows.append(
            {
                "links": [a for a in tr.select("a") if "facet" not in a.get("class", [])],
                "count": int(tr.select("td.num")[-1].get_text().replace(",", "")),
                "href": facet["href"],
                "facet": facet,
                "text": facet.get_text(),
                "current": facet.get("aria-current"),
            }
        )
    return rows


# -- bind(): VALUES where the query marks them, literals serialised by rdflib -----------------


def test_bind_puts_values_at_the_markers_and_serialises_literals():
    text = "SELECT * WHERE {\n  #@values ?entity\n  ?s ?p ?entity . ?s ?q ?section }"
    bound = bind(
        text,
        [{"section": Literal('a "b"\n</script>')}, {"section": Literal("c")}],
        entity=BASE + "id/area/kz",
    )
    assert f"  VALUES (?entity) {{ (<{BASE}id/area/kz>) }}" in bound
    assert "VALUES (?section)" not in bound and "#@values" not in bound
    assert (
        bind("SELECT * { ?s ?p ?o }", entity=BASE + "x")
        .rstrip()
        .endswith(f"VALUES (?entity) {{ (<{BASE}x>) }}")
    ), "no marker: a trailing clause, as before"
    with pytest.raises(ValueError):
        bind(text, entity="http://x/> } ; DROP ALL ; <")
    with pytest.raises(ValueError):
        bind(text, section=Literal("no ?entity for the marker"))
    with pytest.raises(TypeError):
        bind(text, entity=42)


@pytest.mark.parametrize(
    "value", ["plain", 'quote " and \\ backslash', 'new\nline"', '"""', PAYLOAD, QUOTES, "§2.2 ¶7"]
)
def test_a_bound_literal_matches_exactly_itself(value):
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(BASE + "s"), ox.NamedNode(BASE + "p"), ox.Literal(value)))
    query = bind("SELECT ?s WHERE {\n  #@values ?o\n  ?s ?p ?o }", o=Literal(value))
    assert [row["s"].value for row in store.query(query)] == [BASE + "s"]


def test_every_new_page_query_parses_with_its_bindings():
    store = ox.Store()
    entity, area = BASE + "id/x/y", BASE + "id/area/z"
    section = [{"publication": BASE + "id/publication/p", "section": Literal("Table 1")}]
    queries = [
        bind(load_query("indicator-areas"), entity=entity),
        bind(load_query("indicator-area-figures"), entity=entity, area=area),
        bind(load_query("country-sections"), entity=entity),
        bind(load_query("country-general-figures"), section, entity=entity),
        bind(load_query("country-section-figures"), section, entity=entity),
        bind(load_query("incoming-except"), entity=entity, except1=BASE + "p", except2=BASE + "q"),
    ]
    for query in queries:
        assert "#@values" not in query
        list(store.query(query, base_iri=BASE))


def test_the_limit_is_configured_like_the_other_integers():
    assert load_config(environ={})["PAGE_MAX_FIGURES"] == 500
    assert load_config(environ={"MIGKG_PAGE_MAX_FIGURES": "7"})["PAGE_MAX_FIGURES"] == 7


# -- the indicator page ------------------------------------------------------------------------


def test_a_big_indicator_page_indexes_its_areas_and_shows_the_biggest(faceted):
    counts = area_counts(REFUGEES)
    assert sum(counts.values()) > LIMIT and len(counts) > 1
    html = page(faceted, "/id/indicator/refugees")
    rows = index_rows(html, "areas-index")
    assert {BASE + r["links"][0]["href"][1:]: r["count"] for r in rows} == dict(counts)
    labels = [r["links"][0].get_text() for r in rows]
    assert labels == sorted(labels, key=str.casefold), "the index is in label order"
    current = [r for r in rows if r["current"]]
    assert len(current) == 1
    biggest = max(r["count"] for r in rows)
    default = min(
        (r for r in rows if r["count"] == biggest),
        key=lambda r: r["links"][0].get_text().casefold(),
    )
    assert current[0] is default, "the default area has the most figures (ties by label)"
    area = BASE + default["links"][0]["href"][1:]
    assert parse_qs(urlsplit(default["href"]).query) == {"area": [area]}
    heading = html.select_one("#indicator h2").get_text()
    assert re.search(
        rf"Figures: {sum(counts.values())} in {len(counts)} areas; showing "
        rf".+ \({counts[area]}\)",
        heading,
    ), heading
    blocks = html.select("#indicator section.area")
    assert len(blocks) == 1
    assert observations(blocks[0]) == figures_of(
        f"?obs mig:indicator <{REFUGEES}> ; sdmx-dimension:refArea <{area}>"
    )


def test_the_area_parameter_selects_another_area(faceted):
    counts = area_counts(REFUGEES)
    default = page(faceted, "/id/indicator/refugees")
    chosen = [r for r in index_rows(default, "areas-index") if not r["current"]][0]
    area = BASE + chosen["links"][0]["href"][1:]
    html = page(faceted, chosen["href"])
    current = [r for r in index_rows(html, "areas-index") if r["current"]]
    assert [BASE + r["links"][0]["href"][1:] for r in current] == [area]
    assert f"({counts[area]})" in html.select_one("#indicator h2").get_text()
    assert observations(html.select_one("#indicator section.area")) == figures_of(
        f"?obs mig:indicator <{REFUGEES}> ; sdmx-dimension:refArea <{area}>"
    )


def test_the_areas_together_show_every_figure_of_the_indicator(faceted):
    html = page(faceted, "/id/indicator/refugees")
    shown = set()
    for row in index_rows(html, "areas-index"):
        shown |= observations(page(faceted, row["href"]).select_one("#indicator section.area"))
    assert shown == figures_of(f"?obs mig:indicator <{REFUGEES}>")


@pytest.mark.parametrize(
    "value",
    [
        BASE + "id/area/nowhere",
        BASE + "id/indicator/refugees",
        "<script>alert(1)</script>",
        "not an iri",
    ],
)
def test_an_area_the_indicator_has_no_figures_for_is_a_404(faceted, full, value):
    for client in (faceted, full):
        response = client.get("/id/indicator/refugees", query_string={"area": value}, headers=HTML)
        assert response.status_code == 404
        assert b"<script>alert" not in response.data


def test_an_indicator_page_at_the_limit_is_whole_and_checks_its_area_parameter(faceted, full):
    counts = area_counts(BASE + SMALL[1:])
    assert sum(counts.values()) == LIMIT and len(counts) > 1
    html = page(faceted, SMALL)
    assert html.select_one("#areas-index") is None
    assert len(html.select("#indicator section.area")) == len(counts)
    assert faceted.get(SMALL, headers=HTML).data == full.get(SMALL, headers=HTML).data
    area = sorted(counts)[0]
    same = faceted.get(SMALL, query_string={"area": area}, headers=HTML)
    assert same.status_code == 200 and same.data == faceted.get(SMALL, headers=HTML).data, (
        "an area it has figures for: the whole page"
    )
    assert faceted.get(SMALL, query_string={"area": KZ}, headers=HTML).status_code == 404


# -- the country page --------------------------------------------------------------------------


def kz_figures() -> dict[str, list[str]]:
    """Kazakhstan's figures and their locators."""
    rows = select(
        f"SELECT DISTINCT ?obs ?loc WHERE {{ {country_figures(KZ)} ?obs "
        f"sdmx-dimension:refPeriod ?p ; sdmx-measure:obsValue ?v ; mig:locator ?loc }}"
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["obs"], []).append(row["loc"])
    return found


def test_a_big_country_page_keeps_its_general_information_block_whole(faceted, full):
    html, whole = page(faceted, "/id/area/kz"), page(full, "/id/area/kz")
    assert whole.select_one("#sections-index") is None
    block = html.select_one("#general-information-table")
    assert str(block) == str(whole.select_one("#general-information-table"))
    general = {
        obs for obs, locators in kz_figures().items() if any(loc.startswith(GI) for loc in locators)
    }
    assert observations(block) == general
    for part in ("#general-information", "#laws"):
        assert str(html.select_one(part)) == str(whole.select_one(part))
    assert "Authorities by role" in html.select_one("#country").get_text()


def test_a_big_country_page_indexes_its_sections_as_the_whole_page_lists_them(faceted, full):
    figures = kz_figures()
    general = {
        obs for obs, locators in figures.items() if any(loc.startswith(GI) for loc in locators)
    }
    twice = sum(len(set(locators)) - 1 for obs, locators in figures.items() if obs not in general)
    html = page(faceted, "/id/area/kz")
    rows = index_rows(html, "sections-index")
    assert len(figures) > LIMIT
    assert sum(r["count"] for r in rows) + len(general) == len(figures) + twice, (
        "the counts and the General Information block add up to the country's figures (a "
        "figure filed under two sections counts in both, as the whole page lists it twice)"
    )
    whole = page(full, "/id/area/kz")
    listed = [
        re.fullmatch(r"(.+?)(?: — (.+))? \((\d+)\)", s.get_text(strip=True)).groups()
        for s in whole.select("details.section summary")
    ]
    assert [(r["links"][0].get_text(), r["text"], str(r["count"])) for r in rows] == listed
    assert [r["href"] for r in rows] == [
        f"/id/area/kz?section={n}" for n in range(1, len(rows) + 1)
    ]
    assert not any(r["current"] for r in rows), "the overview shows no section's figures"
    assert html.select_one("#section") is None
    heading = html.select_one("#statistics").get_text()
    assert f"{len(figures)} figures: {len(general)} in General Information above" in heading
    assert heading.rstrip().endswith(f"in {len(rows)} sections")
    first = page(faceted, rows[0]["href"]).select_one("#statistics").get_text()
    assert f"in {len(rows)} sections; showing section 1, {rows[0]['text']}" in first


def test_the_section_parameter_shows_exactly_that_section(faceted):
    rows = index_rows(page(faceted, "/id/area/kz"), "sections-index")
    second = rows[1]
    publication = BASE + second["links"][0]["href"][1:]
    html = page(faceted, "/id/area/kz?section=2")
    assert [bool(r["current"]) for r in index_rows(html, "sections-index")][:3] == [
        False,
        True,
        False,
    ]
    expected = figures_of(
        f"{country_figures(KZ)} ?obs prov:wasDerivedFrom <{publication}> ; "
        f"mig:locator {Literal(second['text']).n3()} . FILTER NOT EXISTS {{ ?obs mig:locator "
        f'?gi FILTER(STRSTARTS(?gi, "{GI}")) }}'
    )
    section = html.select_one("#section")
    assert observations(section) == expected and len(expected) == second["count"]
    assert len(section.select("table.figures tbody tr")) == second["count"]
    assert second["text"] in section.select_one("h3").get_text()


def test_the_general_information_block_and_the_sections_show_every_figure(faceted):
    html = page(faceted, "/id/area/kz")
    shown = observations(html.select_one("#general-information-table"))
    for row in index_rows(html, "sections-index"):
        shown |= observations(page(faceted, row["href"]).select_one("#section"))
    assert shown == set(kz_figures())


@pytest.mark.parametrize("value", ["0", "-1", "x", "1.5", "999", "٣", "9" * 5000])
def test_a_section_that_is_not_in_the_index_is_a_404(faceted, full, value):
    for client in (faceted, full):
        response = client.get("/id/area/kz", query_string={"section": value}, headers=HTML)
        assert response.status_code == 404, value


def test_parameters_a_page_does_not_facet_on_are_ignored(faceted):
    base = faceted.get("/id/area/kz", headers=HTML).data
    assert (
        faceted.get("/id/area/kz", query_string={"area": "x", "page": "2"}, headers=HTML).data
        == base
    )
    indicator = faceted.get("/id/indicator/refugees", headers=HTML).data
    assert faceted.get("/id/indicator/refugees?section=99", headers=HTML).data == indicator
    turtle = faceted.get("/id/area/kz?section=99", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200, "RDF documents have no facets"


def test_references_through_the_faceted_predicate_are_summarised_not_listed(faceted, full):
    html = page(faceted, "/id/area/kz")
    statements = html.select_one("#statements")
    note = statements.select_one("p.facet-note").get_text()
    assert f"{len(kz_figures())} figures" in note
    listed = observations(statements)
    own = figures_of(f"?obs sdmx-dimension:refArea <{KZ}>")
    assert not listed & own, "its own figures are reached through the sections"
    # references through the counterpart stay listed, its people abroad among them (which the
    # sections show too: they are the country's figures, placed by residence)
    assert listed == figures_of(f"?obs mig:counterpartArea <{KZ}>"), "figures about others stay"
    assert observations(page(full, "/id/area/kz").select_one("#statements")) & set(kz_figures())
    assert page(full, "/id/area/kz").select_one("p.facet-note") is None
    assert statements.select("a[href='/id/area/almaty']"), "other references stay"


# -- the page memo keeps the facets apart -------------------------------------------------------


def test_the_page_memo_keeps_facets_apart(make_app):
    client = make_app(DATASET_DIR=str(built_dataset_dir()), PAGE_MAX_FIGURES=LIMIT).test_client()
    first = client.get("/id/indicator/refugees", headers=HTML)
    other = [
        r
        for r in index_rows(BeautifulSoup(first.data, "html.parser"), "areas-index")
        if not r["current"]
    ][0]
    chosen = client.get(other["href"], headers=HTML)
    assert chosen.status_code == 200 and chosen.data != first.data
    assert "?area=" in chosen.headers["Content-Location"]
    assert chosen.headers["ETag"] != first.headers["ETag"]
    again = client.get("/id/indicator/refugees", headers=HTML)
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert client.get(other["href"], headers=HTML).data == chosen.data
    sections = [client.get(f"/id/area/kz?section={n}", headers=HTML).data for n in (1, 2, 1)]
    assert sections[0] != sections[1] and sections[2] == sections[0]
    assert client.get("/id/area/kz", headers=HTML).data != sections[1]
    assert client.get("/id/area/kz?section=01", headers=HTML).data == sections[0]
    revalidated = client.get(
        other["href"], headers={**HTML, "If-None-Match": chosen.headers["ETag"]}
    )
    assert revalidated.status_code == 304
    state = client.application.extensions["kg_pages"]
    assert len({key[-1] for key in state.cache}) >= 4


# -- with the default limit nothing real is faceted ------------------------------------------------


def test_with_the_default_limit_no_real_page_is_faceted(full):
    indicators = [
        "/" + row["i"][len(BASE) :]
        for row in select("SELECT DISTINCT ?i WHERE { ?i a mig:Indicator }")
    ]
    countries = [
        "/" + row["a"][len(BASE) :]
        for row in select(
            "SELECT DISTINCT ?a WHERE { ?a a mig:Country . ?o sdmx-dimension:refArea ?a }"
        )
    ]
    assert len(indicators) > 50 and "/id/area/kz" in countries
    for url in sorted(indicators) + sorted(countries):
        html = page(full, url)
        assert not html.select(".facets, #areas-index, #sections-index, .facet-note"), url


# -- hostile locators and labels in the facet indexes ---------------------------------------------


def hostile_facets_dataset(folder: Path) -> Path:
    """A country and an indicator with a few figures whose locators and labels try to break
    out; with PAGE_MAX_FIGURES=1 both pages are faceted."""
    g = f"<{BASE}graph/reference>"
    rdfs, mig, dim, measure, prov = map(str, (RDFS, MIG, SDMX_DIMENSION, SDMX_MEASURE, PROV))
    a = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    country, other = f"<{BASE}id/area/hx>", f"<{BASE}id/area/hy>"
    ind, pub = f"<{BASE}id/indicator/hostile>", f"<{BASE}id/publication/hostile>"
    period = f"<{BASE}id/period/2024>"
    lines = [f"{period} <{rdfs}label> {nt_literal('2024')} {g} ."]
    for node, kind, label in (
        (country, "Country", "Land " + QUOTES),
        (other, "Country", "Area " + PAYLOAD),
        (ind, "Indicator", "Indicator " + PAYLOAD),
        (pub, "Publication", "Publication " + PAYLOAD),
    ):
        lines += [
            f"{node} {a} <{mig}{kind}> {g} .",
            f"{node} <{rdfs}label> {nt_literal(label)} {g} .",
        ]
    locators = [
        (country, PAYLOAD),
        (country, QUOTES),
        (country, GI + ": " + PAYLOAD),
        (other, 'Table "1" <b>'),
    ]
    for n, (area, locator) in enumerate(locators, start=1):
        obs = f"<{BASE}id/observation/hostile-{n}>"
        lines += [
            f"{obs} {a} <http://purl.org/linked-data/cube#Observation> {g} .",
            f"{obs} <{mig}indicator> {ind} {g} .",
            f"{obs} <{dim}refArea> {area} {g} .",
            f"{obs} <{dim}refPeriod> {period} {g} .",
            f'{obs} <{measure}obsValue> "{n}"^^<{XSD_INTEGER}> {g} .',
            f"{obs} <{mig}locator> {nt_literal(locator, '')} {g} .",
            f"{obs} <{prov}wasDerivedFrom> {pub} {g} .",
        ]
    data = ("\n".join(sorted(lines)) + "\n").encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.nq").write_bytes(data)
    (folder / "version.json").write_text(
        json.dumps(
            {
                "version": hashlib.sha256(data).hexdigest()[:16],
                "built": "2026-01-01T00:00:00+00:00",
                "triples": len(lines),
                "graphs": [f"{BASE}graph/reference"],
            }
        ),
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def hostile(make_module_app, tmp_path_factory):
    folder = hostile_facets_dataset(tmp_path_factory.mktemp("hostile-facets") / "dataset")
    return make_module_app(
        DATASET_DIR=str(folder), PAGE_MAX_FIGURES=1, PAGE_CACHE_SIZE=0
    ).test_client()


def assert_inert(html: str) -> BeautifulSoup:
    soup = BeautifulSoup(html, "html.parser")
    assert "<script>window.pwned" not in html and "</script><script>" not in html
    assert all(s.get("type") == "application/ld+json" for s in soup.find_all("script"))
    assert not soup.find_all("img") and not soup.find_all("b")
    assert not [t for t in soup.find_all(True) if any(k.startswith("on") for k in t.attrs)]
    return soup


def test_hostile_locators_are_escaped_in_the_section_index_and_still_select(hostile):
    soup = assert_inert(hostile.get("/id/area/hx", headers=HTML).get_data(as_text=True))
    rows = index_rows(soup, "sections-index")
    assert sorted(r["text"] for r in rows) == sorted([PAYLOAD, QUOTES])
    assert soup.select_one("#general-information-table tbody th").get_text() == PAYLOAD
    for row in rows:
        chosen = assert_inert(hostile.get(row["href"], headers=HTML).get_data(as_text=True))
        assert row["text"] in chosen.select_one("#statistics").get_text()
        assert len(chosen.select("#section table.figures tbody tr")) == 1, (
            "the literal bound into the query matched its figure"
        )


def test_hostile_area_labels_are_escaped_in_the_area_index(hostile):
    soup = assert_inert(hostile.get("/id/indicator/hostile", headers=HTML).get_data(as_text=True))
    rows = index_rows(soup, "areas-index")
    assert sorted(r["links"][0].get_text() for r in rows) == sorted(
        ["Land " + QUOTES, "Area " + PAYLOAD]
    )
    for row in rows:
        assert_inert(hostile.get(row["href"], headers=HTML).get_data(as_text=True))


# -- source pages list up to PAGE_MAX_FIGURES figures and link to all of them ----------------------

STATS_OFFICE = BASE + "id/source/committee-on-statistics"


def test_a_big_source_page_lists_the_first_figures_and_links_to_every_one(faceted):
    everything = figures_of(f"?obs prov:hadPrimarySource <{STATS_OFFICE}>")
    html = page(faceted, "/id/source/committee-on-statistics")
    listed = observations(html.select_one("#source table"))
    assert len(listed) == LIMIT and listed <= everything
    note = html.select_one("#source-capped")
    assert f"{len(everything)} figures; the first {LIMIT} are listed" in note.get_text()
    links = {a.get_text(): a["href"] for a in note.select("a")}
    csv_rows = faceted.get(links["as CSV"]).data.decode("utf-8").strip().split("\r\n")
    assert {
        BASE + "id/" + line.split(",")[0].split("/id/", 1)[1] for line in csv_rows[1:]
    } == everything, "the CSV link returns every figure of the source"
    table = faceted.get(links["as a table"], headers=HTML)
    assert table.status_code == 200 and table.mimetype == "text/html"
    shown = BeautifulSoup(table.data, "html.parser").select(
        f"#results-table a[href^='{BASE}id/observation/']"
    )
    assert {a["href"] for a in shown} == everything


def test_a_big_source_page_summarises_the_figures_citing_it(faceted, full):
    html = page(faceted, "/id/source/committee-on-statistics")
    notes = [p.get_text(" ", strip=True) for p in html.select(".facet-note")]
    count = len(figures_of(f"?obs prov:hadPrimarySource <{STATS_OFFICE}>"))
    assert any(f"{count} figures, listed above" in n for n in notes), notes
    cited_by = {BASE + a["href"][1:] for a in html.select("#statements details a[href^='/id/']")}
    assert not cited_by & figures_of(f"?obs prov:hadPrimarySource <{STATS_OFFICE}>"), (
        "no figure of the source is listed again under Referenced by"
    )
    datasets = {
        row["d"]
        for row in select(
            f"SELECT ?d WHERE {{ ?d a qb:DataSet ; prov:hadPrimarySource <{STATS_OFFICE}> }}"
        )
    }
    assert datasets and datasets <= cited_by, "the datasets citing the source still are"
    whole = page(full, "/id/source/committee-on-statistics")
    assert whole.select_one("#source-capped") is None, "150 figures: all listed by default"
    assert len(observations(whole.select_one("#source table"))) == count
