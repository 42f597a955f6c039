"""The pages of every Prague Process state and of producer figures (issue 12, points 2 and 6),
over the real dataset plus the hand-made producer graph of tests/fixtures/producers/ (two World
Bank releases, one revising Albania's 2023 population; one UNHCR figure; constructed to the
shared design, producer-spec.md): a state without a national profile, its current producer
figures with source, period and release, the revision links of an observation, search by
translated names, and Kosovo*'s footnote."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from kgsupport import BASE, producers_dataset_dir

HTML = {"Accept": "text/html"}
OLD_2023 = "/id/observation/wb-population-al-2023-t--2026-02-24"
NEW_2023 = "/id/observation/wb-population-al-2023-t--2026-07-13"
AL_2024 = "/id/observation/wb-population-al-2024-t--2026-07-13"
STATELESS = "/id/observation/unhcr-stateless-persons-al-2024-t--5e0c7a1f9b2d4c63"


@pytest.fixture(scope="module")
def client(make_module_app):
    return make_module_app(DATASET_DIR=str(producers_dataset_dir())).test_client()


def page(client, path: str) -> BeautifulSoup:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, path
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def producer_rows(html: BeautifulSoup) -> dict[tuple[str, str], dict]:
    """The producer table: (indicator, source) -> the row's period, figure link and release."""
    rows = {}
    for tr in html.select("#producer-figures-table tbody tr"):
        cells = tr.find_all("td")
        figure = cells[3].select_one("a.figure")
        rows[(cells[0].get_text(" ", strip=True), cells[1].get_text(" ", strip=True))] = {
            "period": cells[2].get_text(strip=True),
            "figure": figure.get_text(strip=True),
            "href": figure["href"],
            "release": cells[4].get_text(strip=True),
            "release_href": cells[4].select_one("a")["href"],
            "periods": cells[5].get_text(strip=True),
        }
    return rows


def test_a_state_with_only_producer_figures_says_it_has_no_national_profile(client):
    html = page(client, "/id/area/al")
    assert html.select_one("h1#label").get_text() == "Albania"
    sentence = html.select_one("#no-profile").get_text(" ", strip=True)
    assert "No national migration profile has been transcribed for Albania" in sentence
    assert html.select_one("#general-information") is None


def test_the_producer_block_shows_the_current_latest_figures_with_source_period_release(client):
    rows = producer_rows(page(client, "/id/area/al"))
    population = rows[("Population", "World Bank World Development Indicators (WDI)")]
    assert population == {
        "period": "2024",
        "figure": "2377128",
        "href": AL_2024,
        "release": "2026-07-13",
        "release_href": "/id/dataset/world-bank-wdi--2026-07-13",
        "periods": "3",  # 2022 (first release), 2023 (revised), 2024: current ones only
    }
    stateless = rows[("Stateless persons", "UNHCR refugee statistics")]
    assert stateless["figure"] == "1183" and stateless["period"] == "2024"
    assert stateless["href"] == STATELESS
    assert set(rows) == {
        ("Population", "World Bank World Development Indicators (WDI)"),
        ("Stateless persons", "UNHCR refugee statistics"),
    }


def test_the_replaced_value_is_never_shown_as_current(client):
    html = page(client, "/id/area/al")
    block = html.select_one("#producer-figures-table")
    assert "2811666" not in block.get_text()
    assert html.select_one("#producer-figures").get_text().startswith("Producer figures (4 current")


def test_kazakhstan_keeps_its_profile_and_has_no_no_profile_sentence(client):
    html = page(client, "/id/area/kz")
    assert html.select_one("#no-profile") is None
    assert html.select_one("#general-information-table") is not None
    assert html.select_one("#producer-figures") is None  # no producer figures for it here


def test_a_replaced_observation_links_to_its_replacement_with_values_and_dates(client):
    html = page(client, OLD_2023)
    replaced = html.select_one("dd.replaced-by")
    assert replaced.select_one("a")["href"] == NEW_2023
    assert replaced.select_one("a").get_text() == "2745972"
    text = replaced.get_text(" ", strip=True)
    assert "2026-07-13" in text and "2026-07-14T02:00:00Z" in text
    assert html.select_one("dd.revision-of") is None


def test_the_revision_links_back_to_the_replaced_figure_with_its_value_and_date(client):
    html = page(client, NEW_2023)
    revision = html.select_one("dd.revision-of")
    assert revision.select_one("a")["href"] == OLD_2023
    assert revision.select_one("a").get_text() == "2811666"
    text = revision.get_text(" ", strip=True)
    assert "2026-02-24" in text and "replaced on 2026-07-14T02:00:00Z" in text
    assert html.select_one("dd.replaced-by") is None


def test_the_revision_history_link_lists_every_version_oldest_first(client):
    href = page(client, NEW_2023).select_one("#revision-history")["href"]
    query = parse_qs(urlsplit(href).query)["query"][0]
    body = client.get(
        "/sparql",
        query_string={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    ).get_json()
    rows = body["results"]["bindings"]
    assert [r["figure"]["value"] for r in rows] == [BASE + OLD_2023[1:], BASE + NEW_2023[1:]]
    assert [r["value"]["value"] for r in rows] == ["2811666", "2745972"]
    assert rows[0]["invalidated"]["value"] == "2026-07-14T02:00:00Z"
    assert "invalidated" not in rows[1]


def test_an_unrevised_figure_has_no_revision_section(client):
    html = page(client, AL_2024)
    assert html.select_one("#revisions") is None and html.select_one("#revision-history") is None


def test_kosovo_shows_its_footnote_with_its_name(client):
    html = page(client, "/id/area/kosovo")
    assert html.select_one("h1#label").get_text() == "Kosovo*"
    note = html.select_one("#scope-note").get_text(" ", strip=True)
    assert note.startswith("Kosovo*")
    assert "in line with UNSCR 1244/1999 and the ICJ Opinion" in note
    assert (
        producer_rows(html)[("Population", "World Bank World Development Indicators (WDI)")][
            "figure"
        ]
        == "1756374"
    )


def test_kosovo_s_footnote_follows_its_name_to_every_page_that_links_it(client):
    """The vocabulary notes: keep the footnote wherever the name is shown. Its figure's page
    links the area: the link is marked and the note closes the page."""
    html = page(client, "/id/observation/wb-population-kosovo-2024-t--2026-07-13")
    link = html.find("a", href="/id/area/kosovo")
    assert link is not None and link.get_text() == "Kosovo*"
    assert "UNSCR 1244/1999" in link.find_next_sibling("sup", class_="footnote")["title"]
    notes = [p.get_text() for p in html.select("aside.footnotes p.footnote")]
    assert notes == [
        "† Kosovo*: without prejudice to positions on status, in line with UNSCR 1244/1999 and "
        "the ICJ Opinion"
    ]
    # and a page that does not name it carries no note
    assert not page(client, "/id/area/al").select("aside.footnotes")


@pytest.mark.parametrize(
    ("query", "area"),
    [
        ("Moldau", "md"),  # German
        ("Казахстан", "kz"),  # Russian
        ("Қазақстан", "kz"),  # Kazakh
        ("Arnavutluk", "al"),  # Turkish
        ("Tschechien", "cz"),  # German, with the hand-written English "Czech Republic"
        ("moldova republic", "md"),  # pycountry's name ("Moldova, Republic of")
        ("Turkiye", "tr"),  # accents folded
        ("North Macedonia", "mk"),
        ("kosovo", "kosovo"),
    ],
)
def test_search_finds_every_state_by_name_and_translation(client, query, area):
    body = client.get("/search.json", query_string={"q": query}).get_json()
    assert body["results"], query
    assert body["results"][0]["url"] == f"/id/area/{area}", body["results"][:3]


# -- example queries over the producers' graph ---------------------------------------------------


def run_example(client, slug: str) -> list[dict]:
    from service.web.sparql import load_examples

    example = next(e for e in load_examples() if e.slug == slug)
    response = client.post(
        "/sparql",
        data=example.query.encode("utf-8"),
        content_type="application/sparql-query",
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.data[:500]
    return [
        {name: cell["value"] for name, cell in row.items()}
        for row in response.get_json()["results"]["bindings"]
    ]


def test_the_revisions_example_lists_old_and_new_values_with_releases_and_date(client):
    rows = run_example(client, "16-producer-revisions")
    assert rows == [
        {
            "stateName": "Albania",
            "indicatorName": "Population",
            "period": f"{BASE}id/period/2023",
            "oldValue": "2811666",
            "oldRelease": "2026-02-24",
            "newValue": "2745972",
            "newRelease": "2026-07-13",
            "invalidated": "2026-07-14T02:00:00Z",
            "old": BASE + OLD_2023[1:],
            "new": BASE + NEW_2023[1:],
        }
    ]


def test_the_every_state_example_lists_current_figures_and_every_state(client):
    rows = run_example(client, "17-current-producer-figures-of-every-state")
    assert len({r["stateName"] for r in rows}) == 49
    albania = {
        (r["indicatorName"], r["period"][-4:], r["value"])
        for r in rows
        if r["stateName"] == "Albania"
    }
    assert albania == {
        ("Population", "2022", "2777689"),
        ("Population", "2023", "2745972"),  # the revised value, not 2811666
        ("Population", "2024", "2377128"),
        ("Stateless persons", "2024", "1183"),
    }
    assert [r for r in rows if r["stateName"] == "Austria"] == [{"stateName": "Austria"}]
