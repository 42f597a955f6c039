"""Label search over the generation's catalogue: names, alternative names and short names
("STAT KZ") of every entity, found through the SQLite FTS5 index the build wrote
(``name_index``, :mod:`service.build.catalogue`; https://www.sqlite.org/fts5.html).

:class:`NameIndex` answers :meth:`~NameIndex.search` (ranked, for the search page and the
autocomplete endpoint) and :meth:`~NameIndex.suggest` (typo-tolerant, for the 404 page).

Matching is case- and accent-insensitive (:mod:`service.folding`; the FTS tokenizer also drops
diacritics): "Komitet" finds "Komitét", "stat kz" and "statkz" find "STAT KZ". Every query word
must start a word of the name (FTS5 prefix queries). Ranking, best first: the whole name equals
the query; the name starts with the query; every query word starts a word of the name (words
in order rank higher); then short names and labels before titles and notations, entities of
the "main" kinds (authorities, organisations, sources, indicators, laws, areas, publications)
before observations and codes, shorter names, and finally the label, so that equal scores have
a stable order. Of the names matching a query, the :data:`CANDIDATES` shortest are ranked (at
50-country scale "kazakhstan" matches ~100,000 figure labels; the best matches are short).
"""

from __future__ import annotations

import difflib
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources

from ..folding import normalise, words

__all__ = ["Hit", "NameIndex", "normalise", "words", "CANDIDATES"]

#: Kinds listed first among equally good matches.
MAIN_KINDS = {
    "authority": 6,
    "organisation": 5,
    "source": 5,
    "indicator": 5,
    "law": 4,
    "area": 4,
    "publication": 3,
    "function": 2,
    "topic": 2,
    "graph": 2,
    "role": 2,
}
#: Fields of a name (what predicate it came from): an exact short name is as good as a label.
FIELD_WEIGHT = {"label": 3, "short": 3, "alt": 2, "title": 2, "notation": 1}
#: How many matching names (the shortest) a search ranks.
CANDIDATES = 2000

_MATCH = (
    "SELECT n.iri, n.name, n.field, n.folded, e.kind, e.label FROM name_index "
    "JOIN name n ON n.id = name_index.rowid LEFT JOIN entity e ON e.iri = n.iri "
    "WHERE name_index MATCH ? {kind} ORDER BY length(n.folded) LIMIT ?"
)


@dataclass(frozen=True)
class Hit:
    """One result: the entity, its display label, the name that matched, and why."""

    iri: str
    label: str
    matched: str
    kind: str
    score: float

    def as_json(self) -> dict:
        return {"iri": self.iri, "label": self.label, "matched": self.matched, "kind": self.kind}


def _fts_prefixes(tokens: Iterable[str]) -> str:
    # folded tokens hold word characters only, so quoting them is enough
    return " ".join(f'"{token}"*' for token in tokens)


def _score(row: tuple, query: str, qtokens: list[str]) -> float:
    _, _, field, folded, kind, _ = row
    if folded == query:
        score = 100.0
    elif folded.startswith(query):
        score = 80.0
    else:
        tokens = folded.split()
        positions = [
            next((i for i, t in enumerate(tokens) if t.startswith(q)), -1) for q in qtokens
        ]
        in_order = all(a < b for a, b in zip(positions, positions[1:], strict=False))
        score = 60.0 if in_order else 50.0
    score += FIELD_WEIGHT.get(field, 0)
    score += MAIN_KINDS.get(kind or "", 0)
    if kind == "observation":
        score -= 5
    return score - min(len(folded), 200) / 100.0


class NameIndex:
    """Search over the ``name``/``name_index`` tables of one catalogue (read-only).

    ``connect`` opens a connection; one is kept per thread (sqlite3 connections are not shared
    between threads).
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection]):
        self._connect = connect
        self._local = threading.local()
        self._vocabulary: list[str] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_names(
        cls, names: Iterable[tuple[str, str, str]], labels: dict[str, str], kinds: dict[str, str]
    ) -> NameIndex:
        """An index held in memory, from ``(iri, name, field)`` tuples (tests, tools)."""
        from ..build.catalogue import write_names

        connection = sqlite3.connect(":memory:", check_same_thread=False)
        connection.executescript(
            resources.files("service").joinpath("catalogue.sql").read_text("utf-8")
        )
        connection.executemany(
            "INSERT INTO entity VALUES (?, ?, NULL, ?, '', 0)",
            ((iri, labels.get(iri), kinds.get(iri, "")) for iri in set(labels) | set(kinds)),
        )
        write_names(connection, names)
        connection.commit()
        return cls(lambda: connection)

    def _db(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    def _matches(self, fts: str, kind: str | None, limit: int = CANDIDATES) -> list[tuple]:
        if kind:
            sql, args = _MATCH.format(kind="AND e.kind = ?"), (fts, kind, limit)
        else:
            sql, args = _MATCH.format(kind=""), (fts, limit)
        try:
            return self._db().execute(sql, args).fetchall()
        except sqlite3.OperationalError:  # an FTS syntax the folding let through: no match
            return []

    def search(self, text: str, limit: int = 20, kind: str | None = None) -> list[Hit]:
        """Entities whose names contain every word of ``text`` as a word prefix, best first."""
        query = normalise(text)
        qtokens = query.split()
        if not qtokens:
            return []
        rows = self._matches(_fts_prefixes(dict.fromkeys(qtokens)), kind)
        return self._best(rows, query, qtokens, limit)

    @staticmethod
    def _best(rows: list[tuple], query: str, qtokens: list[str], limit: int) -> list[Hit]:
        best: dict[str, tuple[float, tuple]] = {}
        for row in rows:
            score = _score(row, query, qtokens)
            if row[0] not in best or score > best[row[0]][0]:
                best[row[0]] = (score, row)
        ordered = sorted(
            best.values(), key=lambda item: (-item[0], item[1][5] or item[1][0], item[1][0])
        )
        return [
            Hit(row[0], row[5] or row[0], row[1], row[4] or "", score)
            for score, row in ordered[:limit]
        ]

    def _words(self) -> list[str]:
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = [
                    w for (w,) in self._db().execute("SELECT word FROM word ORDER BY word")
                ]
            return self._vocabulary

    def suggest(self, text: str, limit: int = 8) -> list[Hit]:
        """Nearest names for a misspelt or unknown name (or a URL slug): names sharing the
        most words, where a word may also be a close spelling (difflib ratio >= 0.75)."""
        qtokens = [t for t in words(text) if len(t) > 1]
        if not qtokens:
            return []
        vocabulary = self._words()
        counts: dict[tuple, int] = {}
        for token in dict.fromkeys(qtokens):
            variants = {token, *difflib.get_close_matches(token, vocabulary, n=4, cutoff=0.75)}
            fts = " OR ".join(f'"{v}"*' if len(v) > 2 else f'"{v}"' for v in sorted(variants))
            for row in set(self._matches(fts, None)):
                counts[row] = counts.get(row, 0) + 1
        if not counts:
            return []
        top = max(counts.values())
        chosen = [row for row, n in counts.items() if n >= max(1, top - 1)]
        per_iri: dict[str, int] = {}
        for row in chosen:
            per_iri[row[0]] = max(per_iri.get(row[0], 0), counts[row])
        hits = self._best(chosen, " ".join(qtokens), qtokens, len(chosen))
        hits.sort(key=lambda h: (-per_iri[h.iri], -h.score, h.label))
        return hits[:limit]
