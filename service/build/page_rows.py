"""The rows of the pages' costliest queries, materialised once per generation so that a page
reads them from the catalogue instead of asking the store (issue 11, point 3).

**Observation pages.** An observation page asks three page queries about its entity
(``pages/outgoing``, ``pages/incoming``, ``pages/observation``); each was ~2.5 ms through the
store's query process (the pipe round trip, the query analysis, the child's share of the CPU),
three quarters of the page's work on the 50-country dataset (89,804 observations, 98% of the
pages a crawler visits). The build runs the same query files for 1,000 observations at a time
(``?entity`` bound by one ``VALUES`` and projected), serialises each batch with Oxigraph's own
SPARQL JSON writer, and stores each observation's rows zlib-compressed in the ``page_rows``
table. Measured on that dataset: 0.28 + 0.02 + 0.08 ms per observation for the three queries
batched, against 0.55 + 0.17 + 0.49 ms one at a time; 0.58 ms per observation in all with the
JSON and compression (52 s for the 89,804; ~830 bytes each in the catalogue).

**Country pages.** A country's page counts the figures of each of its sections
(``pages/country-sections``: an aggregate over every figure of the area, ~40 ms for one country
of the 50-country dataset, used when the page is faceted), lists its producers' figures, key
laws and role assignments (``country-producer-figures``, ``-laws``, ``-roles``: 7.6, 4 and 3 ms
there); the build runs these once per country, with the page's own query text. A list of more
than :data:`MAX_COUNTRY_ROWS` rows is left to the store.

An observation whose incoming references exceed :data:`MAX_INCOMING` is not materialised: its
page asks the store, as every other kind of page does. The web side
(:meth:`service.web.catalogue.Catalog.page_rows`) reads a row back into the same rows a live
query gives, and the tests compare both pages byte for byte.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from ..queries import load_query

__all__ = ["QUERIES", "COUNTRY_QUERIES", "MAX_INCOMING", "MAX_COUNTRY_ROWS", "write_page_rows"]

#: The page queries materialised for an observation, by the name the page asks them by.
QUERIES = ("outgoing", "incoming", "observation")
#: ... and for a country (one country per query: their text is the page's own).
COUNTRY_QUERIES = ("country-sections", "country-producer-figures", "country-laws", "country-roles")
#: A country query with more rows than this is left to the store (the page caps its lists).
MAX_COUNTRY_ROWS = 10_000
#: Observations with more incoming references than this are left to the store.
MAX_INCOMING = 1000
#: Observations per batch query.
BATCH = 1000


def _values(iris: list[str]) -> str:
    return "VALUES ?entity { " + " ".join(str(ox.NamedNode(i)) for i in iris) + " }"


def _batch_rows(store, name: str, iris: list[str]) -> dict[str, list[dict]]:
    """The SPARQL JSON bindings of page query ``name`` for each of ``iris``."""
    text = load_query(f"pages/{name}")
    text = text.replace("#@values ?entity", _values(iris))  # every marker
    result = store.query(text)
    data = json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))
    by_entity: dict[str, list[dict]] = defaultdict(list)
    for binding in data["results"]["bindings"]:
        entity = binding.pop("entity", None)
        if entity is None:  # a query that does not project ?entity: run for one IRI
            assert len(iris) == 1, name
            entity = {"value": iris[0]}
        by_entity[entity["value"]].append(binding)
    return by_entity


def _materialised(store, observations: list[str]) -> Iterator[tuple[str, bytes]]:
    for start in range(0, len(observations), BATCH):
        iris = observations[start : start + BATCH]
        found = {name: _batch_rows(store, name, iris) for name in QUERIES}
        for iri in iris:
            rows = {name: found[name].get(iri, []) for name in QUERIES}
            if len(rows["incoming"]) > MAX_INCOMING:
                continue
            yield iri, _blob(rows)


def _countries(store, countries: list[str]) -> Iterator[tuple[str, bytes]]:
    for iri in countries:
        rows = {name: _batch_rows(store, name, [iri]).get(iri, []) for name in COUNTRY_QUERIES}
        yield iri, _blob({k: v for k, v in rows.items() if len(v) <= MAX_COUNTRY_ROWS})


def _blob(rows: dict[str, list[dict]]) -> bytes:
    text = json.dumps(rows, separators=(",", ":"), ensure_ascii=False)
    return zlib.compress(text.encode("utf-8"), 6)


def write_page_rows(
    connection: sqlite3.Connection,
    store,
    observations: Iterable[str],
    countries: Iterable[str] = (),
) -> int:
    """Materialise the page rows of ``observations`` and ``countries`` (IRIs) from ``store`` (a
    pyoxigraph Store whose default graph is the merge) into ``connection``; how many entities
    were written."""
    before = connection.total_changes
    insert = "INSERT INTO page_rows VALUES (?, ?)"
    connection.executemany(insert, _materialised(store, sorted(observations)))
    connection.executemany(insert, _countries(store, sorted(set(countries))))
    return connection.total_changes - before
