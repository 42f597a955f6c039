"""The pages' catalogue of the generation being served, opened read-only from the
``catalogue.sqlite`` the build wrote (:mod:`service.build.catalogue`).

Opening reads the small tables into dictionaries (labels, kinds, types, periods, countries,
figure counts: what every page looks up many times) and leaves the names to the FTS5 index
(:class:`service.web.search.NameIndex`). The file is opened with ``mode=ro&immutable=1``: a
generation never changes once published, so SQLite need not lock or check it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ..iris import IriScheme
from .search import NameIndex

log = logging.getLogger("migkg.pages")

__all__ = ["Catalog", "open_catalogue"]


@dataclass
class Catalog:
    """What pages need about every entity, per generation."""

    version: str | None
    scheme: IriScheme
    labels: dict[str, str] = field(default_factory=dict)
    short: dict[str, str] = field(default_factory=dict)
    types: dict[str, tuple[str, ...]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    by_kind: dict[str, list[str]] = field(default_factory=dict)
    periods: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: notes shown with a name wherever it is shown (Kosovo*'s footnote)
    notes: dict[str, str] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)
    figure_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    index: NameIndex | None = None
    seconds: float = 0.0
    connect: Callable[[], sqlite3.Connection] | None = None
    #: labelled links already made (:meth:`service.web.pages.view.View.link`), shared by
    #: every page of this generation in this worker: (root, IRI) -> (markup, label, note)
    links: dict[tuple[str, str], tuple] = field(default_factory=dict, repr=False)
    #: rows of the statements table already made (:meth:`~.pages.view.View.statement_row`):
    #: (root, predicate, IRI, graphs...) -> (row, notes of the entities it links)
    rows: dict[tuple, tuple] = field(default_factory=dict, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def label(self, iri: str) -> str:
        found = self.labels.get(iri)
        return found if found is not None else self.scheme.fallback_label(iri)

    def knows(self, iri: str) -> bool:
        return iri in self.kinds

    def period_start(self, iri: str | None) -> str:
        return self.periods.get(iri or "", ("", ""))[0]

    def figures(self, iri: str, count_kind: str) -> int:
        """Figures of ``iri`` counted at build time (``indicator``, ``country``, ``source``)."""
        return self.figure_counts.get((iri, count_kind), 0)

    def _connection(self) -> sqlite3.Connection | None:
        """This thread's connection to the catalogue file (None: a catalogue without one)."""
        if self.connect is None:
            return None
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self.connect()
        return connection

    def page_rows(self, iri: str) -> dict[str, list[dict]] | None:
        """The SPARQL JSON bindings of the page queries the build materialised for ``iri``, by
        query name (an observation's ``outgoing``, ``incoming`` and ``observation``; a
        country's ``country-sections``: :mod:`service.build.page_rows`), or None."""
        connection = self._connection()
        if connection is None:
            return None
        found = connection.execute("SELECT rows FROM page_rows WHERE iri = ?", (iri,)).fetchone()
        return json.loads(zlib.decompress(found[0])) if found else None

    def rivals(self, iri: str, limit: int = 50) -> list[tuple]:
        """The other observations with all ten dimensions equal to those of ``iri`` (the same
        figure from other sources), as rows of the ``rival`` table without its key."""
        connection = self._connection()
        if connection is None:
            return []
        return connection.execute(
            "SELECT obs, value_kind, value, value_lang, value_datatype, published_kind, "
            "published, published_lang, published_datatype, source, publication FROM rival "
            "WHERE key = (SELECT key FROM figure_key WHERE obs = ?1) AND obs != ?1 "
            "ORDER BY obs LIMIT ?2",
            (iri, limit),
        ).fetchall()


def _connector(path: Path):
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    return connect


def open_catalogue(path: Path, version: str | None, scheme: IriScheme) -> Catalog:
    """Read ``path`` (a generation's catalogue)."""
    started = time.perf_counter()
    connect = _connector(Path(path))
    catalog = Catalog(version, scheme)
    connection = connect()
    try:
        by_kind: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for iri, label, short, kind, types, position in connection.execute(
            "SELECT iri, label, short, kind, types, position FROM entity"
        ):
            if label is not None:
                catalog.labels[iri] = label
            if short is not None:
                catalog.short[iri] = short
            if types:
                catalog.types[iri] = tuple(types.split(" "))
            catalog.kinds[iri] = kind
            by_kind[kind].append((position, iri))
        catalog.by_kind = {k: [iri for _, iri in sorted(v)] for k, v in by_kind.items()}
        catalog.notes = dict(connection.execute("SELECT iri, note FROM note"))
        catalog.periods = {
            iri: (begin, end)
            for iri, begin, end in connection.execute("SELECT iri, begin, end FROM period")
        }
        catalog.countries = [
            iri for (iri,) in connection.execute("SELECT iri FROM country ORDER BY position")
        ]
        catalog.figure_counts = {
            (iri, kind): n
            for iri, kind, n in connection.execute(
                "SELECT iri, count_kind, figures FROM figure_count"
            )
        }
    finally:
        connection.close()
    catalog.index = NameIndex(connect)
    catalog.connect = connect
    catalog.seconds = round(time.perf_counter() - started, 3)
    log.info(
        "catalogue of version %s: %d entities in %.3f s",
        version,
        len(catalog.kinds),
        catalog.seconds,
    )
    return catalog
