"""Proven-cheap queries answered inside the web worker, without the round trip to a child.

pyoxigraph 0.5 cannot interrupt a running query, which is why every query starts in a child
process (:mod:`.pool`) that is killed at the time limit. That hard stop costs each request a
pipe round trip and a second process's share of the CPU: measured in-process on the real
dataset, an ``ASK`` through the whole app took 0.78 ms, of which ~0.23 ms were the pipe
write and the wait for the child, and wrk over HTTP saw ~1,000 ``ASK`` a second against
34,000 from Oxigraph's own server on the same store.

A generation never changes once published, so the work a query does on it is fixed by its
text, its dataset parameters and its formats. This module remembers the requests a child has
answered within ``QUERY_INPROCESS_MS`` (default 20 ms) with a body of at most
``QUERY_INPROCESS_MAX_BYTES`` (1 MB), per generation, and runs those again here, with the same
:class:`~.executor.Executor` code and the same read-only store (copied into memory under the
same ``MEMORY_COPY_MAX_TRIPLES`` rule). A request never seen, or one that took longer, still
goes to a child, so a runaway still meets the hard stop: it can only become in-process after it
has finished fast once. A proven request that takes more than four times the threshold here
(a loaded host) is forgotten and goes back to the children.

What is remembered is the request, not its answer: every in-process run evaluates the query
again (results are not cached here). ``QUERY_INPROCESS_MS = 0`` turns this off.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

from .executor import Executor

__all__ = ["InProcess"]

_ELIGIBLE = ("query", "describe")
_DEMOTION_FACTOR = 4


def request_key(generation: str | None, request: tuple) -> Hashable | None:
    """What identifies the work of ``request`` on ``generation`` (None: never in-process)."""
    if not generation or request[0] not in _ELIGIBLE:
        return None
    if request[0] == "describe":
        return (generation, "describe", request[1])
    _, text, _form, _limit, _prefixes, default_graphs, named_graphs, results, graphs = request
    return (
        generation,
        text,
        tuple(default_graphs) if default_graphs is not None else None,
        tuple(named_graphs) if named_graphs is not None else None,
        results,
        graphs,
    )


class InProcess:
    """The proven requests of one web worker and the read-only stores that answer them."""

    def __init__(
        self,
        root: str,
        base_iri: str,
        max_rows: int,
        memory_copy_max_triples: int,
        *,
        max_ms: float,
        max_bytes: int,
        entries: int = 4096,
    ):
        self.executor_args = (root, base_iri, max_rows, memory_copy_max_triples)
        self.max_seconds = max(0.0, float(max_ms)) / 1000.0
        self.max_bytes = int(max_bytes)
        self.entries = int(entries)
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._proven: OrderedDict[Hashable, None] = OrderedDict()
        # One executor per generation (the two most recent), so that each reports the
        # generation it answered from whatever other threads open meanwhile.
        self._executors: OrderedDict[str, Executor] = OrderedDict()
        self.answered = 0  # requests answered here (for tests and /healthz-style counters)

    @property
    def enabled(self) -> bool:
        return self.max_seconds > 0

    def _forked(self) -> None:
        """After a fork nothing inherited is used: stores and proofs start afresh."""
        if self._pid != os.getpid():
            self._executors = OrderedDict()
            self._proven = OrderedDict()
            self._pid = os.getpid()

    def proven(self, key: Hashable | None) -> bool:
        if key is None or not self.enabled:
            return False
        with self._lock:
            self._forked()
            return key in self._proven

    def record(self, key: Hashable | None, seconds: float, reply: tuple) -> None:
        """A child answered ``key`` in ``seconds``: prove it when cheap and small."""
        if key is None or not self.enabled or reply[0] != "ok":
            return
        if seconds > self.max_seconds or len(reply[4]) > self.max_bytes:
            return
        with self._lock:
            self._forked()
            self._proven[key] = None
            self._proven.move_to_end(key)
            while len(self._proven) > self.entries:
                self._proven.popitem(last=False)

    def _executor(self, generation: str) -> Executor:
        with self._lock:
            self._forked()
            executor = self._executors.get(generation)
            if executor is None:
                executor = Executor(*self.executor_args)
                executor._open(generation)  # opened once, under the lock
                self._executors[generation] = executor
                while len(self._executors) > 2:
                    self._executors.popitem(last=False)
            return executor

    def warm(self, generation: str) -> None:
        """Open ``generation`` here now (RocksDB read-only, or its in-memory copy: ~0.3 s for
        the real dataset), so that the first proven request does not pay for it."""
        if self.enabled and generation:
            self._executor(generation)

    def run(self, key: Hashable, generation: str, request: tuple) -> tuple:
        """Answer a proven request here; the same reply tuple a child would send."""
        executor = self._executor(generation)
        started = time.perf_counter()
        reply = executor.handle((generation, request))
        elapsed = time.perf_counter() - started
        if elapsed > self.max_seconds * _DEMOTION_FACTOR or reply[0] != "ok":
            with self._lock:
                self._proven.pop(key, None)
        self.answered += 1
        return reply
