"""Load a built dataset into a new RocksDB store: every named graph plus the default-graph merge.

The default graph of every query is the RDF merge of the named graphs: every triple of the
built dataset (all of which sit in named graphs) is also written once to the store's default
graph. (Oxigraph's ``use_default_graph_as_union`` would instead return a triple once per graph
that holds it: the same law described by both source documents came back twice.)
``default-graph-uri`` / ``named-graph-uri`` (or ``FROM`` / ``FROM NAMED``) select graphs
explicitly; ``GRAPH ?g`` ranges over the named graphs only.

The store is then compacted (``optimize``: every later lookup 1.3-2.7x cheaper on the benchmark
graph, bench/RESULTS.md) and its statistics computed once, for VoID and the service
description.
"""

from __future__ import annotations

import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyoxigraph as ox

__all__ = ["load_store"]


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > 0 else iri


def _statistics(store) -> dict[str, Any]:
    """Counts and samples for VoID and the service description, computed once per load.

    ``entities`` counts the typed IRI subjects (``void:entities``: resources of a class).
    """

    def rows(query: str):
        return list(store.query(query))  # the default graph is the merge of the named graphs

    graphs = []
    for row in rows(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    ):
        graphs.append({"iri": row["g"].value, "triples": int(row["n"].value)})
    merged = int(rows("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"].value)
    predicates = [r["p"].value for r in rows("SELECT DISTINCT ?p WHERE { ?s ?p ?o }")]
    classes = [
        (r["c"].value, int(r["n"].value), r["x"].value)
        for r in rows(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) (MIN(STR(?s)) AS ?x) "
            "WHERE { ?s a ?c FILTER(isIRI(?s) && isIRI(?c)) } GROUP BY ?c ORDER BY DESC(?n) ?c"
        )
    ]
    entities = int(
        rows("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?s)) }")[0]["n"].value
    )
    vocabularies = sorted(
        {_namespace(p) for p in predicates} | {_namespace(c) for c, _, _ in classes}
    )
    # The dataset's triples are those of the default graph, the merge: a triple that two
    # source documents both state counts once (per graph in "graphs").
    return {
        "triples": merged,
        "graphs": graphs,
        "entities": entities,
        "properties": len(predicates),
        "classes": [{"iri": c, "entities": n} for c, n, _ in classes],
        "vocabularies": vocabularies,
        "examples": list(dict.fromkeys(x for _, _, x in classes))[:8],
    }


# The graph name at the end of an N-Quads line: " <iri> .". Literals cannot hide a line end
# (N-Quads escapes newlines), so the match is always the line's own last term.

_GRAPH_NAME = re.compile(rb" <[^>\n]*> \.\n")
_LOAD_CHUNK_BYTES = 32 << 20


def _bulk_load_with_merge(store, nquads: Path, chunk_bytes: int = _LOAD_CHUNK_BYTES) -> None:
    """Bulk-load the named-graph quads of ``nquads`` and, beside them, the default graph.

    Two threads each feed Oxigraph's bulk loader ~32 MB pieces of the file: one the quads as
    they are, one the same lines without their graph name (the merge: RocksDB keeps one key
    per triple, so a triple two documents state is stored once). Measured on the 1 M-triple
    benchmark graph (bench/RESULTS.md): 6.2 s and 0.56 GB, against 15.5 s and 1.04 GB for a
    bulk load followed by a Python pass writing the default graph, and 7.7 s but 1.5 GB for
    one bulk load of both (the loader's memory grows with the size of one call).

    The bulk loader gives the blank nodes of each call fresh identities, which would split a
    blank node whose lines fall in two pieces and give the default graph other blank nodes
    than the named graphs. So lines with a blank node (a few hundred in the real data) are
    parsed together once, which keeps their labels, and written with ``bulk_extend``.

    The build puts every triple in a named graph; a default-graph line with an IRI object
    would lose its object here and fails the load with a SyntaxError (previous data kept).
    """
    with_blank_nodes: list[bytes] = []

    def feed(strip_graph: bool) -> None:
        with open(nquads, "rb") as handle:
            while True:
                lines = handle.readlines(chunk_bytes)
                if not lines:
                    return
                if lines[-1][-1:] != b"\n":
                    lines[-1] += b"\n"
                plain = [line for line in lines if b"_:" not in line]
                if not strip_graph and len(plain) < len(lines):
                    with_blank_nodes.extend(line for line in lines if b"_:" in line)
                data = b"".join(plain)
                if strip_graph:
                    data = _GRAPH_NAME.sub(b" .\n", data)
                if data:
                    store.bulk_load(input=data, format=ox.RdfFormat.N_QUADS, lenient=True)

    with ThreadPoolExecutor(max_workers=2) as threads:
        for done in [threads.submit(feed, False), threads.submit(feed, True)]:
            done.result()
    if with_blank_nodes:
        quads = list(ox.parse(b"".join(with_blank_nodes), format=ox.RdfFormat.N_QUADS))
        store.bulk_extend(quads)
        store.bulk_extend(
            ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads
        )


def load_store(nquads: bytes, store_dir: Path) -> tuple[ox.Store, dict[str, Any]]:
    """Bulk-load ``nquads`` (the build's sorted N-Quads) into a new store at ``store_dir``;
    the open store and its statistics (with the load, optimise and statistics timings).

    :raises SyntaxError: unparsable N-Quads.
    """
    started = time.perf_counter()
    store = ox.Store(str(store_dir))
    with tempfile.NamedTemporaryFile(suffix=".nq", dir=store_dir.parent) as handle:
        handle.write(nquads)
        handle.flush()
        _bulk_load_with_merge(store, Path(handle.name))
    store.flush()
    loaded = time.perf_counter()
    store.optimize()
    optimized = time.perf_counter()
    statistics = _statistics(store)
    statistics["load_seconds"] = round(loaded - started, 3)
    statistics["optimize_seconds"] = round(optimized - loaded, 3)
    statistics["statistics_seconds"] = round(time.perf_counter() - optimized, 3)
    return store, statistics
