"""The store interface the web layer talks to, and :func:`open_store`.

A backend answers four questions and returns the same types whatever it is:

* ``query(text, *, accept, format, default_graphs, named_graphs)`` → :class:`QueryResult`,
  the result already serialised in the negotiated format (the web layer streams the bytes; it
  never rebuilds rows in Python);
* ``describe(iri)`` → an rdflib ``Graph``;
* ``triple_count()`` → int, ``version()`` → the dataset version string (or None);
* ``metadata()`` → the statistics VoID and the service description publish.

The backend is chosen once, at startup, by ``STORE_BACKEND``. Only ``"embedded"`` (a
pyoxigraph store in ``STORE_DIR``, :mod:`service.store.embedded`) exists today; a remote SPARQL
1.1 server can be added as another class with the same methods, without touching the web layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from .embedded import DatasetLoadError, EmbeddedStore, QueryResult, load_dataset

__all__ = [
    "Store",
    "QueryResult",
    "open_store",
    "load_dataset",
    "DatasetLoadError",
    "EmbeddedStore",
    "BACKENDS",
]


@runtime_checkable
class Store(Protocol):
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
    ) -> QueryResult: ...

    def describe(self, iri: str) -> Any: ...

    def triple_count(self) -> int: ...

    def version(self) -> str | None: ...

    def metadata(self) -> dict[str, Any] | None: ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...


BACKENDS = {"embedded": EmbeddedStore}


def open_store(config: Mapping[str, Any]) -> Store:
    """The configured backend, with the built dataset loaded if it is newer than the store.

    :raises ValueError: for an unknown ``STORE_BACKEND``.
    """
    name = config.get("STORE_BACKEND", "embedded")
    try:
        backend = BACKENDS[name]
    except KeyError:
        raise ValueError(f"STORE_BACKEND={name!r}: expected one of {sorted(BACKENDS)}") from None
    store = backend(config)
    store.ensure_loaded()
    return store
