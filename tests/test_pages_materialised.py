"""Observation and country pages read the rows of their costliest queries from the catalogue,
where the build materialised them (issue 11, point 3; service/build/page_rows.py), and are the
same pages as the ones that ask the store: compared byte for byte over every observation and
every country of the real dataset with the producer figures (revisions both ways, Kosovo*'s
footnote, rival figures, producer blocks, key laws, role assignments, faceted sections)."""

from __future__ import annotations

import json
import sqlite3
import zlib

import pyoxigraph as ox
import pytest
from kgsupport import BASE, generations_for, producers_dataset_dir

from service.build import page_rows
from service.generations import CATALOGUE

HTML = {"Accept": "text/html"}
QB_OBSERVATION = "http://purl.org/linked-data/cube#Observation"


@pytest.fixture(scope="module")
def dataset():
    return producers_dataset_dir()


@pytest.fixture(scope="module")
def materialised(make_module_app, dataset):
    return make_module_app(DATASET_DIR=str(dataset), PAGE_CACHE_SIZE=0)


@pytest.fixture(scope="module")
def asked(make_module_app, dataset):
    return make_module_app(DATASET_DIR=str(dataset), PAGE_CACHE_SIZE=0, PAGE_MATERIALISED=False)


def catalogue_rows(dataset) -> dict[str, bytes]:
    current = generations_for(dataset) / "current"
    with sqlite3.connect(current.resolve() / CATALOGUE) as connection:
        return dict(connection.execute("SELECT iri, rows FROM page_rows"))


def observations(dataset) -> set[str]:
    with (dataset / "dataset.nq").open(encoding="utf-8") as handle:
        return {
            line.split(" ", 1)[0][1:-1]
            for line in handle
            if f"> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{QB_OBSERVATION}>" in line
        }


def path_of(iri: str) -> str:
    assert iri.startswith(BASE)
    return "/" + iri[len(BASE) :].lstrip("/")


def test_the_build_materialises_the_rows_of_every_observation_and_country(dataset):
    stored = {
        iri: json.loads(zlib.decompress(blob)) for iri, blob in catalogue_rows(dataset).items()
    }
    expected = observations(dataset)
    assert len(expected) > 400
    assert {iri for iri, rows in stored.items() if "outgoing" in rows} == expected
    countries = {iri for iri in stored if iri not in expected}
    assert f"{BASE}id/area/kz" in countries and f"{BASE}id/area/al" in countries
    assert all(set(stored[iri]) == set(page_rows.COUNTRY_QUERIES) for iri in countries)
    assert all(set(stored[iri]) == set(page_rows.QUERIES) for iri in expected)


def test_every_observation_page_is_the_same_from_the_catalogue_as_from_the_store(
    dataset, materialised, asked
):
    first, second = materialised.test_client(), asked.test_client()
    compared = 0
    for iri in sorted(observations(dataset)):
        path = path_of(iri)
        ours, theirs = first.get(path, headers=HTML), second.get(path, headers=HTML)
        assert ours.status_code == theirs.status_code == 200, path
        assert ours.data == theirs.data, path
        compared += 1
    assert compared > 400


def test_every_country_page_is_the_same_from_the_catalogue_as_from_the_store(
    dataset, materialised, asked
):
    first, second = materialised.test_client(), asked.test_client()
    countries = [
        iri for iri, rows in catalogue_rows(dataset).items() if iri not in observations(dataset)
    ]
    assert len(countries) > 20
    for iri in sorted(countries):
        path = path_of(iri)
        ours, theirs = first.get(path, headers=HTML), second.get(path, headers=HTML)
        assert ours.status_code == theirs.status_code == 200, path
        assert ours.data == theirs.data, path


@pytest.mark.parametrize("cap", [0, 1])
def test_referenced_by_is_cut_at_the_same_cap_either_way(make_app, dataset, cap):
    # the revised figure is referenced by the one that revises it (prov:wasRevisionOf)
    path = "/id/observation/wb-population-al-2023-t--2026-02-24"
    pages = [
        make_app(
            DATASET_DIR=str(dataset),
            PAGE_CACHE_SIZE=0,
            PAGE_INCOMING_LIMIT=cap,
            PAGE_MATERIALISED=flag,
        )
        .test_client()
        .get(path, headers=HTML)
        for flag in (True, False)
    ]
    assert pages[0].status_code == 200
    assert pages[0].data == pages[1].data
    text = pages[0].get_data(as_text=True)
    listed = '<li><a href="/id/observation/wb-population-al-2023-t--2026-07-13">'
    assert ("Referenced by" in text, listed in text) == ((True, True) if cap else (False, False))


def test_an_observation_page_asks_the_store_nothing(make_app, dataset, monkeypatch):
    """Every query the pages send goes through ``BoundStore.query``: an observation page sends
    none (its rows come from the catalogue), a law's page still does."""
    from service.store.embedded import BoundStore

    asked: list[str] = []
    original = BoundStore.query

    def counted(self, text, *args, **kwargs):
        asked.append(text)
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(BoundStore, "query", counted)
    client = make_app(DATASET_DIR=str(dataset), PAGE_CACHE_SIZE=0).test_client()
    observation = client.get("/id/observation/wb-population-al-2023-t--2026-07-13", headers=HTML)
    assert observation.status_code == 200
    assert "Revision of" in observation.get_data(as_text=True)
    assert asked == []
    law = client.get("/id/law/on-refugees", headers=HTML)
    assert law.status_code == 200
    assert len(asked) >= 2


def test_an_observation_with_too_many_references_is_left_to_the_store(monkeypatch, tmp_path):
    store = ox.Store()
    ex = "https://example.org/"
    obs_type = ox.NamedNode(QB_OBSERVATION)
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    graph = ox.NamedNode(ex + "graph")
    quiet, cited = ox.NamedNode(ex + "quiet"), ox.NamedNode(ex + "cited")
    for obs in (quiet, cited):
        store.add(ox.Quad(obs, rdf_type, obs_type, graph))
    store.add(ox.Quad(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "cites"), cited, graph))
    store.add(ox.Quad(ox.NamedNode(ex + "b"), ox.NamedNode(ex + "cites"), cited, graph))
    monkeypatch.setattr(page_rows, "MAX_INCOMING", 1)
    connection = sqlite3.connect(tmp_path / "c.sqlite")
    connection.execute("CREATE TABLE page_rows (iri TEXT PRIMARY KEY, rows BLOB NOT NULL)")
    written = page_rows.write_page_rows(connection, store, [quiet.value, cited.value])
    assert written == 1
    assert [iri for (iri,) in connection.execute("SELECT iri FROM page_rows")] == [quiet.value]


@pytest.fixture(scope="module")
def faceted(make_module_app, dataset):
    """Two apps where Kazakhstan's page is faceted (more figures than ``PAGE_MAX_FIGURES``):
    one reading the section counts (pages/country-sections) from the catalogue, one asking
    the store."""
    settings = {"DATASET_DIR": str(dataset), "PAGE_CACHE_SIZE": 0, "PAGE_MAX_FIGURES": 50}
    return [
        make_module_app(**settings, PAGE_MATERIALISED=flag).test_client() for flag in (True, False)
    ]


@pytest.mark.parametrize("section", [None, 1, 2, 7])
def test_a_faceted_country_page_is_the_same_from_the_catalogue_as_from_the_store(faceted, section):
    query = {"section": section} if section else {}
    pages = [client.get("/id/area/kz", query_string=query, headers=HTML) for client in faceted]
    assert pages[0].status_code == 200
    assert pages[0].data == pages[1].data
    assert 'id="sections"' in pages[0].get_data(as_text=True)
