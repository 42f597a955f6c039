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

The engine is chosen once, at startup: ``STORE`` = ``"embedded"`` (the default) takes
``STORE_BACKEND``, whose one value ``"embedded"`` is pyoxigraph child processes opening each
generation's RocksDB store (:mod:`service.store.embedded`); ``STORE`` = an http(s) URL is a
remote engine's SPARQL 1.1 Protocol query endpoint (:mod:`service.store.remote`), holding
what ``migkg publish --to`` loaded (:mod:`service.store.publish`). Both views carry
``engine_name`` ("embedded", or the engine's URL without credentials) for ``/healthz``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from .embedded import BoundStore, EmbeddedStore, QueryResult
from .remote import RemoteBoundStore, RemoteStore, is_endpoint_url

__all__ = [
    "Store",
    "QueryResult",
    "open_engine",
    "EmbeddedStore",
    "BoundStore",
    "RemoteStore",
    "RemoteBoundStore",
    "BACKENDS",
]


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


def open_engine(config: Mapping[str, Any]) -> EmbeddedStore | RemoteStore:
    """The configured engine (it opens nothing until the first query).

    :raises ValueError: for an unknown ``STORE_BACKEND``, or a ``STORE`` that is neither
        ``"embedded"`` nor an http(s) URL.
    """
    store = config.get("STORE", "embedded") or "embedded"
    if is_endpoint_url(store):
        return RemoteStore(config)
    if store != "embedded":
        raise ValueError(
            f"STORE={store!r}: expected 'embedded' or a SPARQL query endpoint URL (http(s)://...)"
        )
    name = config.get("STORE_BACKEND", "embedded")
    try:
        backend = BACKENDS[name]
    except KeyError:
        raise ValueError(f"STORE_BACKEND={name!r}: expected one of {sorted(BACKENDS)}") from None
    return backend(config)
