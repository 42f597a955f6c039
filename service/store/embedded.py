"""The embedded store: the built dataset in a persistent pyoxigraph (RocksDB) store.

Layout of ``STORE_DIR``::

    STORE_DIR/
      .lock                      flock(2) held while loading
      current -> gen-<version>-<ns>    symlink, switched atomically with rename(2)
      gen-<version>-<ns>/db/     the RocksDB directory of one generation
      gen-<version>-<ns>/meta.json     version stamp + statistics computed at load time

:func:`load_dataset` bulk-loads ``DATASET_DIR/dataset.nq`` into a *new* generation, computes
its statistics, and only then points ``current`` at it. Readers (the query children) look at
``current`` before every query and reopen when it moved, so a query sees the old data or the
new, never a mix; a load that fails removes its half-made generation and leaves ``current``
alone. The two previous generations are kept so that a child that opened one a moment ago
can finish with it.

The default graph of every query is the RDF merge of the named graphs: at load time every
triple of the built dataset (all of which sit in named graphs) is also written once to the
store's default graph. (Oxigraph's ``use_default_graph_as_union`` would instead return a
triple once per graph that holds it: the same law described by both source documents came
back twice.) ``default-graph-uri`` / ``named-graph-uri`` (or ``FROM`` / ``FROM NAMED``) select
graphs explicitly; ``GRAPH ?g`` ranges over the named graphs only.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import (
    MalformedQuery,
    NotAcceptableError,
    ProtocolError,
    QueryFailed,
    QueryMemoryLimit,
    StoreUnavailable,
)
from ..namespaces import MIGKG
from .pool import QueryPool
from .querytext import analyse

log = logging.getLogger("migkg.store")

__all__ = ["EmbeddedStore", "DatasetLoadError", "load_dataset", "read_dataset_version"]

_KEEP_GENERATIONS = 3

_ERRORS = {
    "MALFORMED_QUERY": MalformedQuery,
    "NOT_ACCEPTABLE": NotAcceptableError,
    "PROTOCOL_ERROR": ProtocolError,
    "STORE_UNAVAILABLE": StoreUnavailable,
    "QUERY_FAILED": QueryFailed,
    "QUERY_MEMORY_LIMIT": QueryMemoryLimit,
}


class DatasetLoadError(Exception):
    """The dataset could not be loaded; the store still serves the previous generation."""


@dataclass(frozen=True)
class QueryResult:
    """A serialised query result, the same type from every backend."""

    kind: str  # "solutions", "boolean" or "graph"
    media_type: str
    content_type: str
    body: bytes
    rows: int | None  # rows / triples, None when not counted (never above the cap)
    truncated: bool
    version: str | None


def read_dataset_version(dataset_dir: str | os.PathLike) -> dict[str, Any] | None:
    """``DATASET_DIR/version.json`` as a dict, or None when there is no built dataset."""
    try:
        with open(Path(dataset_dir) / "version.json", encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


@contextmanager
def _locked(store_dir: Path) -> Iterator[None]:
    store_dir.mkdir(parents=True, exist_ok=True)
    with open(store_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _current_meta(store_dir: Path) -> dict[str, Any] | None:
    try:
        target = os.readlink(store_dir / "current")
        with open(store_dir / target / "meta.json", encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _sha256_prefix(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > 0 else iri


def _statistics(store) -> dict[str, Any]:
    """Counts and samples for VoID and the service description, computed once per load.

    ``entities`` counts the typed IRI subjects (``void:entities``: resources of a class).
    """
    import pyoxigraph as ox

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
    del ox
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
    import pyoxigraph as ox

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


def load_dataset(
    dataset_dir: str | os.PathLike, store_dir: str | os.PathLike, *, force: bool = False
) -> dict[str, Any]:
    """Load ``dataset_dir/dataset.nq`` into a new generation and switch ``current`` to it.

    Returns the new generation's metadata (or the current one when it already holds this
    dataset version and ``force`` is false).

    :raises DatasetLoadError: missing or inconsistent files, unparsable N-Quads; the previous
        generation keeps serving.
    """
    import pyoxigraph as ox

    dataset_dir, store_dir = Path(dataset_dir), Path(store_dir)
    stamp = read_dataset_version(dataset_dir)
    nquads = dataset_dir / "dataset.nq"
    if stamp is None or not nquads.is_file():
        raise DatasetLoadError(
            f"no built dataset in {dataset_dir} (dataset.nq and version.json): run `migkg build`"
        )
    with _locked(store_dir):
        current = _current_meta(store_dir)
        if current and current.get("version") == stamp.get("version") and not force:
            return current
        actual = _sha256_prefix(nquads)
        if actual != stamp.get("version"):
            raise DatasetLoadError(
                f"{nquads} does not match version.json (sha256 prefix {actual}, stamp "
                f"{stamp.get('version')}): the build is incomplete or was changed by hand"
            )
        name = f"gen-{stamp['version']}-{time.time_ns()}"
        generation = store_dir / name
        started = time.perf_counter()
        try:
            generation.mkdir(parents=True)
            store = ox.Store(str(generation / "db"))
            _bulk_load_with_merge(store, nquads)
            store.flush()
            loaded = time.perf_counter()
            # Compacting the freshly written SST files makes every later lookup cheaper
            # (measured 1.3-2.7x on the benchmark graph; see bench/RESULTS.md).
            store.optimize()
            optimized = time.perf_counter()
            meta = dict(stamp)
            meta.update(_statistics(store))
            meta["generation"] = name
            meta["load_seconds"] = round(loaded - started, 3)
            meta["optimize_seconds"] = round(optimized - loaded, 3)
            meta["statistics_seconds"] = round(time.perf_counter() - optimized, 3)
            del store
            gc.collect()
            (generation / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        except (OSError, SyntaxError, ValueError) as exc:
            shutil.rmtree(generation, ignore_errors=True)
            raise DatasetLoadError(f"loading {nquads} failed, previous data kept: {exc}") from exc
        link_tmp = store_dir / f".current-{os.getpid()}"
        if link_tmp.is_symlink():
            link_tmp.unlink()
        os.symlink(name, link_tmp)
        os.replace(link_tmp, store_dir / "current")
        _prune(store_dir, keep=name)
        log.info(
            "loaded dataset %s: %s triples in %.2f s",
            stamp["version"],
            meta["triples"],
            meta["load_seconds"],
        )
        return meta


def _prune(store_dir: Path, keep: str) -> None:
    generations = sorted(
        (p for p in store_dir.glob("gen-*") if p.is_dir()),
        key=lambda p: int(p.name.rsplit("-", 1)[1]),
        reverse=True,
    )
    for old in generations[_KEEP_GENERATIONS:]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


class EmbeddedStore:
    """The store the web layer uses by default; see the module docstring."""

    def __init__(self, config: Mapping[str, Any]):
        self.dataset_dir = Path(config["DATASET_DIR"])
        self.store_dir = Path(config["STORE_DIR"])
        self.timeout = float(config["QUERY_TIMEOUT"])
        self.max_rows = int(config["MAX_RESULT_ROWS"])
        self._link = self.store_dir / "current"
        self._meta_target: str | None = None
        self._meta: dict[str, Any] | None = None
        memory_mb = int(config.get("QUERY_MEMORY_LIMIT_MB", 0))
        child_args = (
            str(self._link),
            MIGKG,
            self.max_rows,
            int(config.get("MEMORY_COPY_MAX_TRIPLES", 0)),
            memory_mb,
        )
        # Two lanes of query children: the SPARQL endpoint's (user queries, which the fair
        # share admits) and the pages' (entity pages, search, /healthz), so that no amount of
        # SPARQL load can take the pages' children.
        self.pool = QueryPool(
            int(config.get("QUERY_PROCESSES", 1)),
            child_args + (int(config.get("QUERY_NICENESS", 0)),),
            memory_limit_mb=memory_mb,
            demote_after=float(config.get("QUERY_DEMOTE_AFTER", 0)),
        )
        self.page_pool = QueryPool(
            int(config.get("PAGE_QUERY_PROCESSES", 1)), child_args + (0,), memory_limit_mb=memory_mb
        )
        self._pools = {"sparql": self.pool, "pages": self.page_pool}

    # -- loading -----------------------------------------------------------------------
    def ensure_loaded(self) -> dict[str, Any] | None:
        """Load the built dataset unless the store already holds its version.

        A missing dataset is not an error here (the store answers 503 until one is built);
        a broken one is logged and the previous generation keeps serving.
        """
        stamp = read_dataset_version(self.dataset_dir)
        if stamp is None:
            log.warning("no built dataset in %s: run `migkg build`", self.dataset_dir)
            return self.metadata()
        current = self.metadata()
        if current and current.get("version") == stamp.get("version"):
            return current
        try:
            return load_dataset(self.dataset_dir, self.store_dir)
        except DatasetLoadError as exc:
            log.error("%s", exc)
            return self.metadata()

    def reload(self, *, force: bool = False) -> dict[str, Any]:
        """Load the dataset now (atomically; see :func:`load_dataset`)."""
        return load_dataset(self.dataset_dir, self.store_dir, force=force)

    # -- the Store interface -----------------------------------------------------------
    def metadata(self) -> dict[str, Any] | None:
        """The current generation's ``meta.json`` (cached until ``current`` moves)."""
        try:
            target = os.readlink(self._link)
        except OSError:
            return None
        if target != self._meta_target:
            meta = _current_meta(self.store_dir)
            self._meta, self._meta_target = meta, target if meta else None
        return self._meta

    def version(self) -> str | None:
        meta = self.metadata()
        return meta["version"] if meta else None

    def triple_count(self) -> int:
        meta = self.metadata()
        return int(meta["triples"]) if meta else 0

    def query(
        self,
        text: str,
        *,
        accept: str | None = None,
        format: str | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        lane: str = "pages",
    ) -> QueryResult:
        """Run a read-only query in a child process of ``lane`` ("sparql" for the endpoint's
        user queries, "pages" for the service's own); the serialised result.

        :raises MalformedQuery, NotAcceptableError, ProtocolError, QueryTimeout,
            QueryFailed, QueryMemoryLimit, StoreUnavailable:
        """
        info = analyse(text)
        request = (
            "query",
            text,
            info.form,
            info.trailing_limit,
            info.prefixes,
            list(default_graphs) if default_graphs is not None else None,
            list(named_graphs) if named_graphs is not None else None,
            accept,
            format,
        )
        reply = self._pools[lane].run(request, self.timeout if timeout is None else timeout)
        return self._result(reply)

    def _result(self, reply: tuple) -> QueryResult:
        if reply[0] == "error":
            _, code, message, extra = reply
            raise _ERRORS.get(code, QueryFailed)(message, **extra)
        _, kind, media_type, content_type, body, rows, truncated, generation = reply
        version = generation.split("-")[1] if generation else None
        return QueryResult(kind, media_type, content_type, body, rows, truncated, version)

    def describe(self, iri: str):
        """The Concise Bounded Description of ``iri`` (Oxigraph's DESCRIBE) as an rdflib Graph."""
        from rdflib import Graph

        result = self._result(self.page_pool.run(("describe", iri), self.timeout))
        graph = Graph()
        graph.parse(data=result.body, format="nt")
        return graph

    def ping(self) -> bool:
        """True when a child can open the current generation."""
        try:
            self._result(self.page_pool.run(("ping",), min(self.timeout, 10.0)))
        except StoreUnavailable:
            return False
        return True

    def close(self) -> None:
        self.pool.close()
        self.page_pool.close()
