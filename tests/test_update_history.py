"""The revision model of producer updates (service/update/history.py), on figures built here.

A producer's release becomes an immutable dataset; an observation is minted only for a new
figure or a changed value or status; a revision links both ways and the old observation stays.
The end-to-end runs (replay servers, the CLI, publication) are in tests/test_update_run.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pyoxigraph as ox
import pytest

from service.update.fetched import Fetched
from service.update.history import PRODUCERS_GRAPH, apply_releases
from service.update.records import ProducerFigure, Release, Response

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def population(values: dict[tuple[str, int], int], version: str, body: bytes = b"[]") -> Fetched:
    """A World Bank release of SP.POP.TOTL with these (ISO3, year) -> values."""
    response = Response("worldbank", "https://api.example.test/v2/x", T0, body, "application/json")
    figures = tuple(
        ProducerFigure(
            "worldbank",
            "population",
            "SP.POP.TOTL",
            area,
            year,
            "T",
            Decimal(value),
            str(value),
            "A",
            response.sha256,
            order,
        )
        for order, ((area, year), value) in enumerate(sorted(values.items()), start=1)
    )
    release = Release("worldbank", version, date.fromisoformat(version), figures, (response,))
    return Fetched("worldbank", (release,), (response,), skipped_null=1)


def label(iri) -> str:
    return str(iri).rsplit("/", 1)[-1]


def apply(previous: bytes, fetched: Fetched, when: datetime = T0):
    return apply_releases(previous, [fetched], started=when, ended=when, label=label)


def select(nquads: bytes, query: str) -> list[tuple[str, ...]]:
    store = ox.Store()
    store.bulk_load(nquads, ox.RdfFormat.N_QUADS)
    prefixes = (
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dct: <http://purl.org/dc/terms/> "
        "PREFIX qb: <http://purl.org/linked-data/cube#> PREFIX dcat: <http://www.w3.org/ns/dcat#> "
        "PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#> "
    )
    return sorted(
        tuple(term.value if term is not None else "" for term in row)
        for row in store.query(prefixes + query, use_default_graph_as_union=True)
    )


def test_a_first_run_mints_one_observation_per_figure_in_one_release():
    changes, graph = apply(
        b"", population({("ALB", 2023): 2_745_972, ("KAZ", 2023): 20_033_546}, "2026-07-13")
    )
    assert changes.stats["worldbank"].new == 2 and changes.stats["worldbank"].skipped_null == 1
    rows = select(
        graph,
        "SELECT ?o ?v ?ds WHERE { ?o a qb:Observation ; sdmx-measure:obsValue ?v ; qb:dataSet ?ds }",
    )
    assert [r[1] for r in rows] == ["2745972", "20033546"]
    assert {r[2] for r in rows} == {"https://w3id.org/migkg/id/dataset/world-bank-wdi--2026-07-13"}
    assert all(b"<%s>" % str(PRODUCERS_GRAPH).encode() in line for line in graph.splitlines())


def test_the_same_figures_again_add_nothing():
    figures = {("ALB", 2023): 2_745_972}
    _, graph = apply(b"", population(figures, "2026-07-13"))
    changes, again = apply(graph, population(figures, "2026-07-13"), T1)
    assert not changes.changed and again == graph
    assert changes.stats["worldbank"].unchanged == 1


def test_a_new_release_with_the_same_values_adds_nothing():
    figures = {("ALB", 2023): 2_745_972}
    _, graph = apply(b"", population(figures, "2026-07-13"))
    changes, again = apply(graph, population(figures, "2026-10-01", b"[1]"), T1)
    assert not changes.changed and again == graph


def test_a_revised_value_is_a_new_observation_linked_both_ways_and_the_old_one_stays():
    _, graph = apply(
        b"", population({("ALB", 2023): 2_745_972, ("KAZ", 2023): 20_033_546}, "2026-07-13")
    )
    changes, revised = apply(
        graph,
        population({("ALB", 2023): 2_745_000, ("KAZ", 2023): 20_033_546}, "2026-10-01", b"[1]"),
        T1,
    )
    assert (changes.stats["worldbank"].revised, changes.stats["worldbank"].unchanged) == (1, 1)
    rows = select(
        revised,
        """SELECT ?old ?oldv ?new ?newv ?when ?newds ?prev WHERE {
             ?new prov:wasRevisionOf ?old ; sdmx-measure:obsValue ?newv ; qb:dataSet ?newds .
             ?old dct:isReplacedBy ?new ; prov:invalidatedAtTime ?when ; sdmx-measure:obsValue ?oldv .
             ?newds dcat:previousVersion ?prev }""",
    )
    assert len(rows) == 1
    old, oldv, new, newv, when, newds, prev = rows[0]
    assert (oldv, newv) == ("2745972", "2745000")
    assert when.startswith("2026-11-02T09:00:00")
    assert newds.endswith("world-bank-wdi--2026-10-01") and prev.endswith(
        "world-bank-wdi--2026-07-13"
    )
    current = select(
        revised,
        "SELECT ?o WHERE { ?o a qb:Observation FILTER NOT EXISTS { ?o dct:isReplacedBy ?n } }",
    )
    assert len(current) == 2 and (old,) not in current and (new,) in current
    # and a third release changing it back is a revision of the revision
    changes, third = apply(revised, population({("ALB", 2023): 2_745_972}, "2026-12-01", b"[2]"))
    assert changes.stats["worldbank"].revised == 1
    assert len(select(third, "SELECT ?o WHERE { ?o dct:isReplacedBy ?n }")) == 2


def test_a_figure_stated_twice_in_one_release_is_refused():
    fetched = population({("ALB", 2023): 1}, "2026-07-13")
    release = fetched.releases[0]
    doubled = Release(
        release.source, release.version, release.issued, release.figures * 2, release.responses
    )
    with pytest.raises(ValueError, match="stated twice"):
        apply(b"", Fetched("worldbank", (doubled,), fetched.responses, 0))
