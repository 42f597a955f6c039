"""The pages' catalogue of a generation, written once at build time (``catalogue.sqlite``).

Before generations, each web worker read this from the store on its first request, in pages of
SPARQL results: 2.3 s at 50-country scale, per worker and per restart. Now the build writes it
once, beside the store, and a worker only opens it (:mod:`service.web.catalogue`).

Tables (``service/catalogue.sql``): ``entity`` (best label, short name, kind, types and place in
its kind's alphabetical list), ``period`` (start and end dates), ``country`` (the home page's
entry points), ``name`` with the FTS5 index ``name_index`` over accent- and case-folded words
(SQLite FTS5, https://www.sqlite.org/fts5.html, ``unicode61 remove_diacritics 2``, prefix
indexes), ``figure_count`` (the totals pages show and facet by) and ``about``.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from ..folding import normalise
from ..iris import IriScheme
from ..labels import LABEL_PREDICATES, SHORT_PREDICATES, label_rank
from ..queries import load_query

__all__ = ["write_catalogue"]

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_FIELD = dict(LABEL_PREDICATES)


def _rows(store, name: str):
    return store.query(load_query(f"catalogue/{name}"))


def _value(term) -> str:
    return "" if term is None else term.value


def search_words(folded: str) -> str:
    """The words the FTS index holds for a folded name: its words, plus the run-together form
    of a 2-4 word name ("statkz" finds "STAT KZ")."""
    tokens = folded.split()
    return folded + " " + "".join(tokens) if 1 < len(tokens) <= 4 else folded


def write_names(connection: sqlite3.Connection, names: Iterable[tuple[str, str, str]]) -> int:
    """Insert ``(iri, name, field)`` names (one row per entity and folded name), their FTS
    index and vocabulary; the number of rows."""
    seen: set[tuple[str, str]] = set()
    rows = []
    vocabulary: set[str] = set()
    for iri, name, field in names:
        folded = normalise(name)
        if folded and (iri, folded) not in seen:
            seen.add((iri, folded))
            indexed = search_words(folded)
            vocabulary.update(indexed.split())
            rows.append((iri, name, field, folded, indexed))
    connection.executemany(
        "INSERT INTO name (iri, name, field, folded, words) VALUES (?, ?, ?, ?, ?)", rows
    )
    connection.execute("INSERT INTO name_index (name_index) VALUES ('rebuild')")
    connection.executemany("INSERT INTO word VALUES (?)", ((w,) for w in sorted(vocabulary)))
    return len(rows)


def _entities(store, scheme: IriScheme):
    best: dict[str, tuple[tuple[int, int], str]] = {}
    short: dict[str, str] = {}
    names: list[tuple[str, str, str]] = []
    types: dict[str, set[str]] = defaultdict(set)
    for row in _rows(store, "names"):
        subject, predicate, obj = row["s"].value, row["p"].value, row["o"]
        if predicate == _RDF_TYPE:
            types[subject].add(obj.value)
            continue
        if not hasattr(obj, "language"):
            continue
        lang = obj.language or ""
        rank = label_rank(predicate, lang)
        if subject not in best or rank < best[subject][0]:
            best[subject] = (rank, obj.value)
        if predicate in SHORT_PREDICATES and len(obj.value) <= 24 and lang in ("en", ""):
            short.setdefault(subject, obj.value)
        names.append((subject, obj.value, _FIELD.get(predicate, "label")))
    labels = {iri: value for iri, (_, value) in best.items()}
    return labels, short, types, names


_DIMENSIONS = (
    "indicator",
    "area",
    "period",
    "sex",
    "counterpart",
    "ethnic",
    "permit",
    "offence",
    "region",
    "facility",
)


def _term_columns(term) -> tuple:
    if term is None:
        return (None, None, None, None)
    if hasattr(term, "language"):
        return ("literal", term.value, term.language or "", term.datatype.value)
    return ("uri", term.value, "", "")


def write_rivals(connection: sqlite3.Connection, store) -> int:
    """The rival-figures table (every observation with its ten dimension values); rows."""
    rows = []
    keys = {}
    for row in _rows(store, "rivals"):
        if any(not hasattr(row[d], "value") or hasattr(row[d], "language") for d in _DIMENSIONS):
            continue  # a dimension with a literal or blank node value: no figure key
        key = "\t".join(row[d].value for d in _DIMENSIONS)
        obs = row["obs"].value
        keys[obs] = key
        rows.append(
            (
                key,
                obs,
                *_term_columns(row["value"]),
                *_term_columns(row["published"]),
                _value(row["source"]) or None,
                _value(row["publication"]) or None,
            )
        )
    connection.executemany("INSERT INTO rival VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    connection.executemany("INSERT INTO figure_key VALUES (?, ?)", keys.items())
    return len(keys)


def write_catalogue(store, path: Path, scheme: IriScheme | None = None) -> dict[str, Any]:
    """Compute the catalogue from ``store`` (a pyoxigraph Store whose default graph is the
    merge) and write it to ``path`` (a new file). Returns its counts."""
    scheme = scheme or IriScheme()
    labels, short, types, names = _entities(store, scheme)

    def label(iri: str) -> str:
        return labels.get(iri) or scheme.fallback_label(iri)

    by_kind: dict[str, list[str]] = defaultdict(list)
    for iri in set(labels) | set(types):
        by_kind[scheme.kind(iri)].append(iri)
    connection = sqlite3.connect(path)
    try:
        connection.executescript(
            resources.files("service").joinpath("catalogue.sql").read_text("utf-8")
        )
        with connection:
            for kind, iris in by_kind.items():
                iris.sort(key=lambda i: (label(i).casefold(), i))
                connection.executemany(
                    "INSERT INTO entity VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        (
                            iri,
                            labels.get(iri),
                            short.get(iri),
                            kind,
                            " ".join(sorted(types.get(iri, ()))),
                            position,
                        )
                        for position, iri in enumerate(iris)
                    ),
                )
            connection.executemany(
                "INSERT OR IGNORE INTO note VALUES (?, ?)",
                ((row["entity"].value, row["note"].value) for row in _rows(store, "notes")),
            )
            connection.executemany(
                "INSERT OR IGNORE INTO period VALUES (?, ?, ?)",
                (
                    (row["period"].value, _value(row["begin"]), _value(row["end"]))
                    for row in _rows(store, "periods")
                ),
            )
            countries = sorted(
                (row["area"].value for row in _rows(store, "countries")),
                key=lambda i: label(i).casefold(),
            )
            connection.executemany(
                "INSERT INTO country (iri) VALUES (?)", ((iri,) for iri in countries)
            )
            name_count = write_names(connection, names)
            rivals = write_rivals(connection, store)
            for count_kind in ("indicator", "country", "source"):
                connection.executemany(
                    "INSERT INTO figure_count VALUES (?, ?, ?)",
                    (
                        (row["entity"].value, count_kind, int(row["figures"].value))
                        for row in _rows(store, f"count-{count_kind}")
                    ),
                )
        connection.execute("INSERT INTO name_index (name_index) VALUES ('optimize')")
        connection.commit()
        connection.execute("VACUUM")
    finally:
        connection.close()
    return {
        "entities": sum(len(v) for v in by_kind.values()),
        "names": name_count,
        "countries": len(countries),
        "figure_keys": rivals,
    }
