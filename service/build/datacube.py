"""The W3C Data Cube integrity constraints (IC-1 ... IC-21), run on Oxigraph.

The queries are the official ones (service/queries/datacube/ic-*.rq, copied from the Data
Cube Recommendation's editors), each an ASK that is true when the data *violates* the
constraint. IC-12 as published compares every pair of observations; validation runs the
grouped equivalent (ic-12-grouped.rq) instead, and the tests show the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph

from ..queries import PREFIX_BLOCK, load_query

#: constraint id -> query file used by validation
VALIDATION_QUERIES = {
    "IC-1": "ic-1.rq",
    "IC-2": "ic-2.rq",
    "IC-3": "ic-3.rq",
    "IC-4": "ic-4.rq",
    "IC-5": "ic-5.rq",
    "IC-6": "ic-6.rq",
    "IC-7": "ic-7.rq",
    "IC-8": "ic-8.rq",
    "IC-9": "ic-9.rq",
    "IC-10": "ic-10.rq",
    "IC-11": "ic-11.rq",
    "IC-12": "ic-12-grouped.rq",
    "IC-13": "ic-13.rq",
    "IC-14": "ic-14.rq",
    "IC-15": "ic-15.rq",
    "IC-16": "ic-16.rq",
    "IC-17": "ic-17.rq",
    "IC-18": "ic-18.rq",
    "IC-19a": "ic-19a.rq",
    "IC-19b": "ic-19b.rq",
    "IC-20": "ic-20.rq",
    "IC-21": "ic-21.rq",
}


def query_text(name: str) -> str:
    """The text of the query ``datacube/<name>`` (with the project's PREFIX block)."""
    return load_query("datacube/" + name.removesuffix(".rq"))


def description(name: str) -> str:
    """The query's first comment line: what the constraint says."""
    for line in query_text(name).splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return name


@dataclass(frozen=True)
class ICResult:
    constraint: str
    violated: bool
    description: str


def store_from_graph(graph: Graph) -> ox.Store:
    """An in-memory Oxigraph store holding the graph (as its default graph)."""
    store = ox.Store()
    store.bulk_load(graph.serialize(format="nt").encode("utf-8"), ox.RdfFormat.N_TRIPLES)
    return store


def ask(store: ox.Store, name: str) -> bool:
    return bool(store.query(query_text(name)))


_TEMPLATED = {"ic-20.rq": "eg:child", "ic-21.rq": "eg:parent"}


def _instances(store: ox.Store, name: str, union: bool = False) -> list[str]:
    """IC-20 and IC-21 are templates over each hierarchical code list's
    qb:parentChildProperty (written eg:child / eg:parent in the Recommendation): one query per
    property in the data. With no hierarchical code list they hold trivially."""
    text = query_text(name)
    if name not in _TEMPLATED:
        return [text]
    props = [
        row[0]
        for row in store.query(
            PREFIX_BLOCK
            + "SELECT DISTINCT ?p WHERE { ?list a qb:HierarchicalCodeList ; qb:parentChildProperty ?p }",
            use_default_graph_as_union=union,
        )
    ]
    return [text.replace(_TEMPLATED[name], str(p)) for p in props]


def check(graph: Graph, queries: dict[str, str] | None = None) -> list[ICResult]:
    """Run every integrity constraint; each result says whether it is violated."""
    return check_store(store_from_graph(graph), queries)


def check_nquads(nquads: bytes) -> list[ICResult]:
    """The same over N-Quads (a whole dataset about to be published), all graphs as one."""
    store = ox.Store()
    store.bulk_load(nquads, ox.RdfFormat.N_QUADS)
    return check_store(store, union=True)


def check_store(
    store: ox.Store, queries: dict[str, str] | None = None, *, union: bool = False
) -> list[ICResult]:
    """``union``: the named graphs are read as one default graph."""
    return [
        ICResult(
            ic,
            any(
                bool(store.query(text, use_default_graph_as_union=union))
                for text in _instances(store, name, union)
            ),
            description(name),
        )
        for ic, name in (queries or VALIDATION_QUERIES).items()
    ]
