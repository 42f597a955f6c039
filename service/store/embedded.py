"""The embedded store: pyoxigraph over the published dataset generations.

The build writes each generation's RocksDB store (``GENERATIONS_DIR/gen-*/store``, with the
default-graph merge; :mod:`service.build.store_loader`). This module only reads: each web
worker owns two lanes of query child processes (:mod:`.pool`, :mod:`.executor`) that open a
generation read-only, and :class:`EmbeddedStore.at` gives a view bound to one generation, so
every query of a web request is answered from the generation the request started on, even if
the server switches to a newer one meanwhile (:mod:`service.web.current`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import DEFAULTS
from ..errors import (
    MalformedQuery,
    NotAcceptableError,
    ProtocolError,
    QueryFailed,
    QueryMemoryLimit,
    StoreUnavailable,
)
from ..formats import GRAPH_FORMATS, RESULT_FORMATS, by_key
from ..namespaces import MIGKG
from .inprocess import InProcess, request_key
from .pool import QueryPool
from .querytext import analyse

log = logging.getLogger("migkg.store")

__all__ = ["EmbeddedStore", "BoundStore", "QueryResult"]

_ERRORS = {
    "MALFORMED_QUERY": MalformedQuery,
    "NOT_ACCEPTABLE": NotAcceptableError,
    "PROTOCOL_ERROR": ProtocolError,
    "STORE_UNAVAILABLE": StoreUnavailable,
    "QUERY_FAILED": QueryFailed,
    "QUERY_MEMORY_LIMIT": QueryMemoryLimit,
}


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


class EmbeddedStore:
    """The query engine of one web worker over ``GENERATIONS_DIR``; see the module docstring."""

    def __init__(self, config: Mapping[str, Any]):
        self.root = Path(config["GENERATIONS_DIR"])
        self.timeout = float(config["QUERY_TIMEOUT"])
        self.max_rows = int(config["MAX_RESULT_ROWS"])
        memory_mb = int(config.get("QUERY_MEMORY_LIMIT_MB", 0))
        child_args = (
            str(self.root),
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
        # Requests a child answered fast are answered in the worker next time (:mod:`.inprocess`)
        self.inprocess = InProcess(
            *child_args[:4],
            max_ms=float(config.get("QUERY_INPROCESS_MS", DEFAULTS["QUERY_INPROCESS_MS"])),
            max_bytes=int(
                config.get("QUERY_INPROCESS_MAX_BYTES", DEFAULTS["QUERY_INPROCESS_MAX_BYTES"])
            ),
        )

    def at(self, generation: str | None, meta: Mapping[str, Any] | None) -> BoundStore:
        """A view of the store that answers from ``generation`` (None: nothing published)."""
        return BoundStore(self, generation, dict(meta) if meta else None)

    def warm(self, generation: str) -> int:
        """Start every query process and have it open ``generation`` now, and open it for the
        proven requests answered in this process; how many query processes did."""
        self.inprocess.warm(generation)
        return sum(
            pool.warm((generation, ("ping",)), self.timeout) for pool in self._pools.values()
        )

    def run(
        self, generation: str | None, request: tuple, lane: str, timeout: float | None = None
    ) -> QueryResult:
        key = request_key(generation, request)
        if self.inprocess.proven(key):
            return self._result(self.inprocess.run(key, generation, request), generation)
        started = time.perf_counter()
        reply = self._pools[lane].run(
            (generation, request), self.timeout if timeout is None else timeout
        )
        self.inprocess.record(key, time.perf_counter() - started, reply)
        return self._result(reply, generation)

    def _result(self, reply: tuple, generation: str | None) -> QueryResult:
        if reply[0] == "error":
            _, code, message, extra = reply
            raise _ERRORS.get(code, QueryFailed)(message, **extra)
        _, kind, media_type, content_type, body, rows, truncated, answered_by = reply
        version = answered_by.split("-")[1] if answered_by else None
        return QueryResult(kind, media_type, content_type, body, rows, truncated, version)

    def close(self) -> None:
        self.pool.close()
        self.page_pool.close()


class BoundStore:
    """The store interface (:class:`service.store.Store`) for one generation."""

    def __init__(self, engine: EmbeddedStore, generation: str | None, meta: dict[str, Any] | None):
        self.engine = engine
        self.generation = generation
        self._meta = meta
        self.pool = engine.pool  # for /healthz's count of stopped queries
        self.engine_name = "embedded"

    def metadata(self) -> dict[str, Any] | None:
        """The generation's ``meta.json``."""
        return self._meta

    def version(self) -> str | None:
        return self._meta["version"] if self._meta else None

    def triple_count(self) -> int:
        return int(self._meta["triples"]) if self._meta else 0

    def query(
        self,
        text: str,
        *,
        format: str | None = "json",
        graph_format: str | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        lane: str = "pages",
    ) -> QueryResult:
        """Run a read-only query in a child process of ``lane`` ("sparql" for the endpoint's
        user queries, "pages" for the service's own); the serialised result.

        ``format`` is the key (:mod:`service.formats`) of solutions and booleans, ``graph_format``
        that of graphs (default: ``format`` if it is a graph format, else Turtle); None: the
        client takes no result of that kind (NotAcceptableError if the query produces one).

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
            format if by_key(RESULT_FORMATS, format) else None,
            graph_format or (format if by_key(GRAPH_FORMATS, format) else "turtle"),
        )
        return self.engine.run(self.generation, request, lane, timeout)

    def describe(self, iri: str):
        """The Concise Bounded Description of ``iri`` (Oxigraph's DESCRIBE) as an rdflib Graph."""
        from rdflib import Graph

        result = self.engine.run(self.generation, ("describe", iri), "pages")
        graph = Graph()
        graph.parse(data=result.body, format="nt")
        return graph

    def ping(self) -> bool:
        """True when a child can open the generation."""
        try:
            self.engine.run(self.generation, ("ping",), "pages", min(self.engine.timeout, 10.0))
        except StoreUnavailable:
            return False
        return True
