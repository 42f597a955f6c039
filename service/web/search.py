"""Label search: names, alternative names and short names ("STAT KZ") of every entity.

Pure: :class:`LabelIndex` is built from ``(iri, name, field)`` tuples (the pages blueprint
reads them from the store once per dataset version) and answers :meth:`LabelIndex.search`
(ranked, for the search page and the autocomplete endpoint) and :meth:`LabelIndex.suggest`
(typo-tolerant, for the 404 page).

Matching is case- and accent-insensitive (Unicode NFKD, combining marks dropped, casefold;
punctuation separates words): "Komitet" finds "Komitét", "stat kz" finds "STAT KZ". Ranking,
best first: the whole name equals the query; the name starts with the query; every query word
starts a word of the name (words in order rank higher); then shorter names, entities of the
"main" kinds (authorities, organisations, sources, indicators, laws, areas, publications)
before observations and codes, and finally the label, so that equal scores have a stable order.
"""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Hit", "LabelIndex", "normalise", "words"]

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)

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


def normalise(text: str) -> str:
    """Lower-case, accents removed, punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).replace("_", " ").split())


def words(text: str) -> list[str]:
    return normalise(text).split()


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


class LabelIndex:
    """An inverted index from word prefixes to names; immutable once built."""

    def __init__(
        self, names: Iterable[tuple[str, str, str]], labels: dict[str, str], kinds: dict[str, str]
    ):
        self._labels = labels
        self._kinds = kinds
        self._names: list[tuple[str, str, str, str, tuple[str, ...]]] = []
        postings: dict[str, set[int]] = {}
        seen: set[tuple[str, str]] = set()
        for iri, name, field in names:
            norm = normalise(name)
            if not norm or (iri, norm) in seen:
                continue
            seen.add((iri, norm))
            tokens = tuple(norm.split())
            index = len(self._names)
            self._names.append((iri, name, field, norm, tokens))
            keys = set(tokens)
            if 1 < len(tokens) <= 4:
                keys.add("".join(tokens))  # "statkz" finds "STAT KZ"
            for token in keys:
                postings.setdefault(token, set()).add(index)
        self._postings = postings
        self._vocab = sorted(postings)

    def __len__(self) -> int:
        return len(self._names)

    def _prefixed(self, token: str) -> set[int]:
        start = bisect.bisect_left(self._vocab, token)
        found: set[int] = set()
        for word in self._vocab[start:]:
            if not word.startswith(token):
                break
            found |= self._postings[word]
        return found

    def _rank(self, index: int, query: str, qtokens: list[str]) -> float:
        iri, name, field, norm, tokens = self._names[index]
        if norm == query:
            score = 100.0
        elif norm.startswith(query):
            score = 80.0
        else:
            positions = []
            for qt in qtokens:
                positions.append(next((i for i, t in enumerate(tokens) if t.startswith(qt)), -1))
            in_order = all(a < b for a, b in zip(positions, positions[1:], strict=False))
            score = 60.0 if in_order else 50.0
        score += FIELD_WEIGHT.get(field, 0)
        score += MAIN_KINDS.get(self._kinds.get(iri, ""), 0)
        if self._kinds.get(iri) == "observation":
            score -= 5
        return score - min(len(norm), 200) / 100.0

    def search(self, text: str, limit: int = 20, kind: str | None = None) -> list[Hit]:
        """Entities whose names contain every word of ``text`` as a word prefix, best first."""
        query = normalise(text)
        qtokens = query.split()
        if not qtokens:
            return []
        candidates: set[int] | None = None
        for token in sorted(set(qtokens), key=len, reverse=True):
            found = self._prefixed(token)
            candidates = found if candidates is None else candidates & found
            if not candidates:
                return []
        return self._best(candidates or set(), query, qtokens, limit, kind)

    def _best(self, candidates, query, qtokens, limit, kind) -> list[Hit]:
        best: dict[str, tuple[float, int]] = {}
        for index in candidates:
            iri = self._names[index][0]
            if kind and self._kinds.get(iri) != kind:
                continue
            score = self._rank(index, query, qtokens)
            if iri not in best or score > best[iri][0]:
                best[iri] = (score, index)
        ordered = sorted(
            best.items(),
            key=lambda item: (-item[1][0], self._labels.get(item[0], item[0]), item[0]),
        )
        return [
            Hit(
                iri,
                self._labels.get(iri, iri),
                self._names[index][1],
                self._kinds.get(iri, ""),
                score,
            )
            for iri, (score, index) in ordered[:limit]
        ]

    def suggest(self, text: str, limit: int = 8) -> list[Hit]:
        """Nearest names for a misspelt or unknown name (or a URL slug): names sharing the
        most words, where a word may also be a close spelling (difflib ratio >= 0.75)."""
        qtokens = [t for t in words(text) if len(t) > 1]
        if not qtokens:
            return []
        counts: dict[int, int] = {}
        for token in dict.fromkeys(qtokens):
            variants = {token, *difflib.get_close_matches(token, self._vocab, n=4, cutoff=0.75)}
            matched: set[int] = set()
            for variant in variants:
                matched |= (
                    self._prefixed(variant)
                    if len(variant) > 2
                    else self._postings.get(variant, set())
                )
            for index in matched:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return []
        top = max(counts.values())
        threshold = max(1, top - 1)
        chosen = {i for i, n in counts.items() if n >= threshold}
        query = " ".join(qtokens)
        per_iri: dict[str, int] = {}
        for index in chosen:
            iri = self._names[index][0]
            per_iri[iri] = max(per_iri.get(iri, 0), counts[index])
        hits = self._best(chosen, query, qtokens, len(chosen), None)
        hits.sort(key=lambda h: (-per_iri[h.iri], -h.score, h.label))
        return hits[:limit]
