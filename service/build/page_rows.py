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
there; on the update bench's data, 15,214 producer figures, the producer figures' query takes
~0.4 s for a country because Oxigraph scans the producers graph); the build runs each query
once for every country (1.1 s for the 54 countries there). A list of more than
:data:`MAX_COUNTRY_ROWS` rows is left to the store.

Both run in the background while the build writes its dumps and figures table
(:class:`PageRows`), batches on two threads.

An observation whose incoming references exceed :data:`MAX_INCOMING` is not materialised: its
page asks the store, as every other kind of page does. The web side
(:meth:`service.web.catalogue.Catalog.page_rows`) reads a row back into the same rows a live
query gives, and the tests compare both pages byte for byte.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pyoxigraph as ox

from ..queries import bind, load_query

__all__ = [
    "QUERIES",
    "COUNTRY_QUERIES",
    "MAX_INCOMING",
    "MAX_COUNTRY_ROWS",
    "PageRows",
    "write_page_rows",
]

#: The page queries materialised for an observation, by the name the page asks them by.
QUERIES = ("outgoing", "incoming", "observation")
#: ... and for a country.
COUNTRY_QUERIES = ("country-sections", "country-producer-figures", "country-laws", "country-roles")
#: A country query with more rows than this is left to the store (the page caps its lists).
MAX_COUNTRY_ROWS = 10_000
#: Observations with more incoming references than this are left to the store.
MAX_INCOMING = 1000
#: Observations per batch query.
BATCH = 1000
_OBSERVATION = "http://purl.org/linked-data/cube#Observation"


def _batch_rows(store, name: str, iris: list[str]) -> dict[str, list[dict]]:
    """The SPARQL JSON bindings of page query ``name`` for each of ``iris`` (the query binds
    ``?entity`` at its ``#@values`` markers and projects it)."""
    text = bind(load_query(f"pages/{name}"), [{"entity": iri} for iri in iris])
    result = store.query(text)
    data = json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))
    by_entity: dict[str, list[dict]] = defaultdict(list)
    for binding in data["results"]["bindings"]:
        by_entity[binding.pop("entity")["value"]].append(binding)
    return by_entity


def _observations(store, iris: list[str]) -> list[tuple[str, bytes]]:
    """The rows of one batch of observations (at most :data:`BATCH`)."""
    found = {name: _batch_rows(store, name, iris) for name in QUERIES}
    blobs = []
    for iri in iris:
        rows = {name: found[name].get(iri, []) for name in QUERIES}
        if len(rows["incoming"]) <= MAX_INCOMING:
            blobs.append((iri, _blob(rows)))
    return blobs


def _countries(store, iris: list[str]) -> list[tuple[str, bytes]]:
    """The rows of a batch of countries: every query for all of them at once (the producer
    figures' query costs ~0.4 s for one country or 54 on the update bench's data: 1.1 s for
    the 54 at once, 22 s one by one)."""
    found = {name: _batch_rows(store, name, iris) for name in COUNTRY_QUERIES}
    blobs = []
    for iri in iris:
        rows = {name: found[name].get(iri, []) for name in COUNTRY_QUERIES}
        blobs.append((iri, _blob({k: v for k, v in rows.items() if len(v) <= MAX_COUNTRY_ROWS})))
    return blobs


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
    rows = list(_all_blobs(store, sorted(observations), sorted(set(countries)), threads=1))
    connection.executemany("INSERT INTO page_rows VALUES (?, ?)", rows)
    return len(rows)


def _all_blobs(store, observations: list[str], countries: list[str], threads: int):
    jobs = [(_countries, countries[i : i + BATCH]) for i in range(0, len(countries), BATCH)]
    jobs += [
        (_observations, observations[i : i + BATCH]) for i in range(0, len(observations), BATCH)
    ]
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for blobs in pool.map(lambda job: job[0](store, job[1]), jobs):
            yield from blobs


class PageRows:
    """The page rows of a generation computed in the background while the build writes the
    rest (its dumps and figures table): Oxigraph releases the GIL while it evaluates and
    serialises a query, so on two cores the rows cost the build little wall time (measured:
    two threads did the batches of 4,000 observations in 0.84 s against 1.48 s in one)."""

    def __init__(self, store, catalogue: Path, threads: int | None = None):
        with closing(sqlite3.connect(catalogue)) as connection:
            observations = sorted(
                iri
                for iri, types in connection.execute("SELECT iri, types FROM entity")
                if _OBSERVATION in types.split(" ")
            )
            countries = [iri for (iri,) in connection.execute("SELECT iri FROM country")]
        self.catalogue = catalogue
        threads = threads or min(2, os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._future = self._pool.submit(
            lambda: list(_all_blobs(store, observations, sorted(set(countries)), threads))
        )

    def abandon(self) -> None:
        """Wait for the background work to end and drop its rows (the build failed)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def finish(self) -> int:
        """Wait for the rows and write them into the catalogue; how many entities.

        :raises Exception: whatever the background work raised.
        """
        try:
            rows = self._future.result()
        finally:
            self._pool.shutdown()
        connection = sqlite3.connect(self.catalogue)
        try:
            with connection:
                connection.executemany("INSERT INTO page_rows VALUES (?, ?)", rows)
        finally:
            connection.close()
        return len(rows)
