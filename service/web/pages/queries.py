"""The pages' SPARQL: loading their queries (``service/queries/pages/*.rq``), binding values
into them, and reading SELECT results as rows of :class:`Term`.

**Caps.** Query files state no ``LIMIT``. A list a page shows in part (``PAGE_*_LIMIT``-like
settings, :mod:`.limits`) is read by :func:`select_capped`, which appends ``LIMIT cap + 1`` and
keeps ``cap`` rows: one more row than the cap tells that there were more. Every other query is
capped by the store at ``MAX_RESULT_ROWS``, which reports it (``QueryResult.truncated``). Either
way :attr:`Rows.truncated` says so, and the page tells the reader.

Values never reach a query as text: :func:`service.queries.bind` writes a ``VALUES`` clause of terms serialised
by rdflib (IRIs checked by :func:`service.iris.is_safe_iri` first), at the ``#@values`` markers
of the query or at its end (SPARQL 1.1 §10.2, https://www.w3.org/TR/sparql11-query/#inline-data).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from rdflib import Literal

from ... import queries
from ...queries import bind
from ...store import Store

__all__ = [
    "load_query",
    "bind",
    "Term",
    "Rows",
    "rows_of",
    "select",
    "capped",
    "select_capped",
    "stored_or_select",
    "stored_or_select_capped",
]


def load_query(name: str) -> str:
    """The text of ``service/queries/pages/<name>.rq`` with the PREFIX block."""
    return queries.load_query("pages/" + name)


class Term(NamedTuple):
    """One RDF term from a SPARQL JSON result (a named tuple: pages make ~60 of them each,
    and a frozen dataclass's ``__init__`` was 3.5% of an observation page under gunicorn,
    py-spy)."""

    kind: str  # "uri", "literal", "bnode"
    value: str
    lang: str = ""
    datatype: str = ""

    @property
    def is_iri(self) -> bool:
        return self.kind == "uri"

    def n3ish(self) -> tuple:
        return (self.kind, self.value, self.lang, self.datatype)

    def literal(self) -> Literal:
        """The term as an rdflib ``Literal`` (to bind it into another query)."""
        return Literal(self.value, lang=self.lang or None, datatype=self.datatype or None)


def _term(binding: dict | None) -> Term | None:
    if binding is None:
        return None
    kind = binding["type"]
    if kind == "typed-literal":
        kind = "literal"
    return Term(kind, binding["value"], binding.get("xml:lang", ""), binding.get("datatype", ""))


@dataclass(frozen=True)
class Rows:
    """The rows of a SELECT (a :class:`Term` per bound variable), and whether the result was cut:
    by the store at ``MAX_RESULT_ROWS``, or at the cap of :func:`select_capped`."""

    rows: list[dict[str, Term]]
    truncated: bool = False

    def __iter__(self) -> Iterator[dict[str, Term]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def rows_of(bindings: Iterable[dict], truncated: bool = False) -> Rows:
    """SPARQL JSON ``bindings`` (https://www.w3.org/TR/sparql11-results-json/) as rows."""
    return Rows(
        [{name: _term(value) for name, value in row.items()} for row in bindings], truncated
    )


def select(store: Store, text: str) -> Rows:
    """Run a SELECT through the store (SPARQL JSON); its rows, truncated when the store cut
    the result at ``MAX_RESULT_ROWS``."""
    result = store.query(text, format="json")
    data = json.loads(result.body)
    return rows_of(data.get("results", {}).get("bindings", []), bool(result.truncated))


def capped(rows: Rows, cap: int) -> Rows:
    """The first ``cap`` of ``rows``, truncated when there were more."""
    cap = max(0, int(cap))
    return Rows(rows.rows[:cap], rows.truncated or len(rows.rows) > cap)


def select_capped(store: Store, name: str, cap: int, /, **values) -> Rows:
    """The first ``cap`` rows of the page query ``name`` bound to ``values`` (:func:`bind`),
    truncated when there were more: the query runs with ``LIMIT cap + 1`` (an integer from
    configuration, appended as a solution modifier before the binding, so that a trailing
    ``VALUES`` clause stays last)."""
    cap = max(0, int(cap))
    text = bind(f"{load_query(name)}\nLIMIT {cap + 1}\n", **values)
    return capped(select(store, text), cap)


def stored_or_select(store: Store, stored: Mapping[str, list] | None, name: str, iri: str) -> Rows:
    """The rows of page query ``name`` about ``iri``: the ones the build materialised when
    ``stored`` (the entity's ``page_rows``, :mod:`service.build.page_rows`) has them, else asked
    of the store."""
    if stored is not None and name in stored:
        return rows_of(stored[name])
    return select(store, bind(load_query(name), entity=iri))


def stored_or_select_capped(
    store: Store, stored: Mapping[str, list] | None, name: str, cap: int, iri: str
) -> Rows:
    """:func:`stored_or_select` for a list a page shows in part: the first ``cap`` rows,
    truncated when there were more (:func:`select_capped`)."""
    if stored is not None and name in stored:
        return capped(rows_of(stored[name]), cap)
    return select_capped(store, name, cap, entity=iri)
