"""How much a page lists: each cap is a ``PAGE_*`` setting (:mod:`service.config`), a query
reads one row more than its cap to know that there were more (``select_capped``), the store
reports what ``MAX_RESULT_ROWS`` cut (``QueryResult.truncated``), and the page says so. With the
defaults nothing of the real dataset is cut; these tests lower the caps."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup
from kgsupport import BASE, built_dataset_dir

from service.config import DEFAULTS, load_config
from service.web.pages.queries import select_capped

HTML = {"Accept": "text/html"}
CAPS = {
    "PAGE_INCOMING_LIMIT": 1000,
    "PAGE_SOURCE_FIGURES": 200,
    "PAGE_PUBLISHER_FIGURES": 200,
    "PAGE_PUBLICATION_FIGURES": 2000,
    "PAGE_AUTHORITY_FUNCTIONS": 2000,
    "PAGE_AUTHORITY_ROLES": 500,
    "PAGE_COUNTRY_ROLES": 1000,
    "PAGE_COUNTRY_LAWS": 1000,
}
SMALL = {
    "PAGE_INCOMING_LIMIT": 3,
    "PAGE_SOURCE_FIGURES": 3,
    "PAGE_PUBLISHER_FIGURES": 2,
    "PAGE_PUBLICATION_FIGURES": 5,
    "PAGE_AUTHORITY_FUNCTIONS": 4,
    "PAGE_COUNTRY_ROLES": 2,
    "PAGE_COUNTRY_LAWS": 2,
}


def page(client, path: str) -> BeautifulSoup:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, (path, response.status_code)
    return BeautifulSoup(response.data, "html.parser")


def notes(html: BeautifulSoup, part: str) -> list[str]:
    return [p.get_text(" ", strip=True) for p in html.select(f"{part} p.meta")]


@pytest.fixture(scope="module")
def small(make_module_app):
    """The real dataset with every list cap lowered."""
    settings = {"DATASET_DIR": str(built_dataset_dir()), "PAGE_CACHE_SIZE": 0, **SMALL}
    return make_module_app(**settings).test_client()


@pytest.fixture(scope="module")
def whole(built_client):
    return built_client


# -- the settings -------------------------------------------------------------------------------


@pytest.mark.parametrize("key, default", sorted(CAPS.items()))
def test_each_cap_is_a_setting_read_as_an_integer(key, default):
    assert DEFAULTS[key] == default
    assert load_config(environ={f"MIGKG_{key}": "7"})[key] == 7


# -- one more row than the cap ------------------------------------------------------------------


class Store:
    """A store answering every SELECT with ``found`` rows of ?s ?p ?g (and ``truncated``)."""

    def __init__(self, found: int, truncated: bool = False):
        self.found, self.truncated, self.texts = found, truncated, []

    def query(self, text, format):
        self.texts.append(text)
        limit = int(re.search(r"LIMIT (\d+)", text).group(1))
        bindings = [
            {k: {"type": "uri", "value": f"{BASE}id/x/{k}{n}"} for k in ("s", "p", "g")}
            for n in range(min(limit, self.found))
        ]
        body = json.dumps({"results": {"bindings": bindings}})
        return SimpleNamespace(body=body, truncated=self.truncated)


@pytest.mark.parametrize(
    "found, truncated, rows, cut",
    [(2, False, 2, False), (3, False, 3, False), (4, False, 3, True), (2, True, 2, True)],
)
def test_select_capped_reads_one_row_more_than_its_cap(found, truncated, rows, cut):
    store = Store(found, truncated)
    result = select_capped(store, "incoming", 3, entity=BASE + "id/area/kz")
    assert (len(result), result.truncated) == (rows, cut)
    text = store.texts[0]
    # the binding inside the WHERE clause (its #@values marker: a trailing VALUES on an
    # unprojected variable is refused by Virtuoso), the cap the last solution modifier
    assert text.index("VALUES (?entity)") < text.index("LIMIT 4")
    assert text.rstrip().endswith("LIMIT 4")
    ox.Store().query(text)  # parses


# -- the pages say what they leave out ------------------------------------------------------------


def test_referenced_by_lists_the_first_references(small, whole):
    capped = page(small, "/id/publication/mpl-2015").select_one("#statements")
    listed = capped.select("details li")
    assert 0 < len(listed) <= SMALL["PAGE_INCOMING_LIMIT"]
    assert "The first 3 references are shown." in notes(capped, "")
    full = page(whole, "/id/publication/mpl-2015").select_one("#statements")
    assert len(full.select("details li")) > 400 and not full.select("p.meta")


def test_a_publication_lists_its_first_figures(small, whole):
    heading = page(small, "/id/publication/mpl-2015").select_one("#publication h2").get_text()
    assert re.search(r"\(\d, capped\)", heading), heading
    assert "capped" not in page(whole, "/id/publication/mpl-2015").select_one("#publication h2")


def test_a_source_lists_its_first_figures_and_links_to_all(small):
    html = page(small, "/id/source/committee-on-statistics")
    note = html.select_one("#source-capped").get_text()
    assert re.match(r"1\d\d figures; the first 3 are listed", note), note
    assert len(html.select("#source table.figures tbody tr")) <= 3


def test_an_authority_lists_its_first_functions_and_figures(small, whole):
    police = page(small, "/id/authority/migration-police")
    assert "The first 4 are shown." in notes(police, "#authority")
    assert len(police.select("#authority table.functions tbody tr")) == 4
    assert not page(whole, "/id/authority/migration-police").select("#authority p.capped")
    statistics = page(small, "/id/authority/committee-on-statistics")
    assert any(n.startswith("The first 2 are shown;") for n in notes(statistics, "#authority"))
    assert len(statistics.select("#authority table.figures tbody tr")) <= 2


def test_a_country_lists_its_first_roles_and_laws(small, whole):
    html = page(small, "/id/area/kz")
    assert notes(html, "#country").count("The first 2 statements are shown.") == 2
    assert len(html.select("#laws tbody tr")) <= 2
    assert not page(whole, "/id/area/kz").select("#country p.capped")


def test_figures_the_store_cut_at_max_result_rows_are_said_capped(make_app, whole):
    tight = make_app(DATASET_DIR=str(built_dataset_dir()), MAX_RESULT_ROWS=100).test_client()
    heading = page(tight, "/id/area/kz").select("#country h2")[-1].get_text()
    assert heading.startswith("Statistics by publication and section") and "capped" in heading
    assert "capped" not in page(whole, "/id/area/kz").select("#country h2")[-1].get_text()
