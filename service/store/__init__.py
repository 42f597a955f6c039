"""The store interface the web layer talks to, and :func:`open_engine`.

An engine runs over the published generations (:mod:`service.generations`);
``engine.at(generation, meta)`` gives the view one request uses, the :class:`Store`:

* ``query(text, *, format, graph_format, default_graphs, named_graphs, timeout, lane)`` →
  :class:`QueryResult`, the result already serialised in the format the web layer resolved
  (a key of :mod:`service.formats`; the store never sees an ``Accept`` header), which the web
  layer streams as they are;
* ``describe(iri)`` → an rdflib ``Graph``;
* ``triple_count()`` → int, ``version()`` → the dataset version string (or None);
* ``metadata()`` → the generation's ``meta.json`` (statistics VoID and the service
  description publish).

The engine is chosen once, at startup, by ``STORE_BACKEND``. Only ``"embedded"`` (pyoxigraph
child processes opening each generation's RocksDB store, :mod:`service.store.embedded`) exists
today; a remote SPARQL 1.1 engine can be added as another class with the same methods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from .embedded import BoundStore, EmbeddedStore, QueryResult

__all__ = ["Store", "QueryResult", "open_engine", "EmbeddedStore", "BoundStore", "BACKENDS"]


@runtime_checkable
class Store(Protocol):
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
    ) -> QueryResult: ...

    def describe(self, iri: str) -> Any: ...

    def triple_count(self) -> int: ...

    def version(self) -> str | None: ...

    def metadata(self) -> dict[str, Any] | None: ...

    def ping(self) -> bool: ...


BACKENDS = {"embedded": EmbeddedStore}


def open_engine(config: Mapping[str, Any]) -> EmbeddedStore:
    """The configured engine (it opens nothing until the first query).

    :raises ValueError: for an unknown ``STORE_BACKEND``.
    """
    name = config.get("STORE_BACKEND", "embedded")
    try:
        backend = BACKENDS[name]
    except KeyError:
        raise ValueError(f"STORE_BACKEND={name!r}: expected one of {sorted(BACKENDS)}") from None
    return backend(config)
