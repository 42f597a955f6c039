"""A small pool of query child processes with a hard time limit.

pyoxigraph 0.5 has no way to cancel a running query, and gunicorn's worker timeout only drops
the connection. So each query runs in a child process (:mod:`service.store.executor`) that
opens the store read-only; the parent waits on the pipe for at most the time limit and, past
it, kills the child (SIGKILL) and starts a replacement. The request gets
:class:`~service.errors.QueryTimeout`; the web worker and the other children carry on.

The pool belongs to one process: it is created lazily on first use and re-created if the
process has forked since (gunicorn forks its workers after the app may have been imported).
It is thread-safe: a thread checks a child out, uses it alone, and puts it back.
Children are started with ``spawn``, never ``fork``, so they inherit no threads, locks or
sockets from the web worker. A query still running after ``demote_after`` seconds
(``QUERY_DEMOTE_AFTER``) has its process lowered to nice 19, so that on a busy host long queries
take the CPU only when nothing short wants it; that process is replaced when the query ends
(an unprivileged process cannot raise its priority back). A child's first request is never
demoted: it includes the child's own start, and on a loaded host that alone can pass the delay,
after which every replacement would be demoted and replaced in turn.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time

from ..errors import QueryFailed, QueryMemoryLimit, QueryTimeout, StoreUnavailable
from . import executor as executor_module
from .executor import MEMORY_MESSAGE

__all__ = ["QueryPool"]


class _Child:
    __slots__ = ("process", "conn", "answered")

    def __init__(self, ctx, args: tuple):
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=executor_module.main, args=(child_conn, *args), daemon=True, name="migkg-query"
        )
        self.process.start()
        child_conn.close()
        self.conn = parent_conn
        # False until the child has answered once: its first request includes its own start
        # (spawn, imports, opening the generation), which is not the query's running time
        self.answered = False

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.join(timeout=5)
        finally:
            self.conn.close()


class QueryPool:
    """``size`` children answering requests for one store directory."""

    def __init__(
        self, size: int, child_args: tuple, *, memory_limit_mb: int = 0, demote_after: float = 0.0
    ):
        self.size = max(1, int(size))
        self._child_args = child_args
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._idle: queue.LifoQueue[_Child] = queue.LifoQueue()
        self._children: list[_Child] = []
        self.replaced = 0  # children killed at the time limit (for /healthz, tests)
        self.died = 0  # children that died mid-request and were replaced
        self.demoted = 0  # children lowered to nice 19 for a long query
        self.demote_after = float(demote_after)  # seconds before a long query is demoted
        self.memory_limit_mb = int(memory_limit_mb)  # the children's cap, for error messages

    def _ensure_started(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            # After a fork the inherited children belong to the parent: forget them.
            self._idle = queue.LifoQueue()
            self._children = [_Child(self._ctx, self._child_args) for _ in range(self.size)]
            for child in self._children:
                self._idle.put(child)
            self._pid = os.getpid()

    def _replace(self, child: _Child) -> _Child:
        child.kill()
        fresh = _Child(self._ctx, self._child_args)
        with self._lock:
            self._children = [c for c in self._children if c is not child] + [fresh]
        return fresh

    def run(self, request: tuple, timeout: float, *, retry: bool = True) -> tuple:
        """Send ``request`` to an idle child; its reply, or an exception after ``timeout`` s.
        A child that dies mid-request (killed, crashed) is replaced and the request, read-only,
        is sent once more to the fresh child.

        :raises QueryTimeout: the child ran past ``timeout`` and was replaced.
        :raises StoreUnavailable: every child stayed busy for ``timeout`` seconds.
        :raises QueryMemoryLimit: the child aborted on its memory cap and was replaced.
        :raises QueryFailed: the child died twice and was replaced.
        """
        self._ensure_started()
        started = time.monotonic()
        try:
            child = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise StoreUnavailable(
                f"all {self.size} query processes stayed busy for {timeout:g} s; try again later"
            ) from None
        remaining = max(0.001, timeout - (time.monotonic() - started))
        demoted = False
        try:
            child.conn.send(request)
            if (
                self.demote_after
                and child.answered
                and remaining > self.demote_after
                and not child.conn.poll(self.demote_after)
            ):
                # A long query yields the CPU to everything short: its process drops to the
                # lowest priority (and is replaced afterwards: it cannot be raised back).
                demoted = self._demote(child)
                remaining = max(0.001, timeout - (time.monotonic() - started))
            if not child.conn.poll(remaining):
                child = self._replace(child)
                self.replaced += 1
                raise QueryTimeout(
                    f"the query ran longer than the time limit of {timeout:g} s and was "
                    "stopped; narrow it (LIMIT, more specific patterns) or run it on a copy "
                    "of the dataset (see /.well-known/void for the dumps)",
                    limit_seconds=timeout,
                )
            reply = child.conn.recv()
            child.answered = True
            if demoted:
                child = self._replace(child)
            return reply
        except (EOFError, OSError) as exc:
            child.process.join(timeout=1)
            code = child.process.exitcode
            child = self._replace(child)
            self.died += 1
            if code == -signal.SIGABRT:
                # Oxigraph aborts when an allocation fails: the memory cap was reached.
                raise QueryMemoryLimit(MEMORY_MESSAGE, limit_mb=self.memory_limit_mb) from None
            if retry:
                # A read-only query is safe to run again: once, on the fresh child.
                self._idle.put(child)
                child = None
                return self.run(
                    request, max(0.001, timeout - (time.monotonic() - started)), retry=False
                )
            raise QueryFailed(
                f"the query process failed ({type(exc).__name__}, exit code "
                f"{code}) twice and was restarted"
            ) from None
        finally:
            if child is not None:
                self._idle.put(child)

    def warm(self, request: tuple, timeout: float) -> int:
        """Start the children if needed and send ``request`` (e.g. a ping that opens a
        generation) to each idle one, so that no user request pays for a child's start or its
        first open of a generation. Busy children are skipped; returns how many answered."""
        self._ensure_started()
        taken: list[_Child] = []
        try:
            while True:
                try:
                    taken.append(self._idle.get_nowait())
                except queue.Empty:
                    break
            for child in taken:
                child.conn.send(request)
            answered = 0
            for child in taken:
                if child.conn.poll(timeout):
                    child.conn.recv()
                    child.answered = True
                    answered += 1
            return answered
        except (EOFError, OSError):
            return 0
        finally:
            for child in taken:
                self._idle.put(child)

    def _demote(self, child: _Child) -> bool:
        try:
            os.setpriority(os.PRIO_PROCESS, child.process.pid, 19)
        except OSError:
            return False
        self.demoted += 1
        return True

    def close(self) -> None:
        with self._lock:
            if self._pid != os.getpid():
                return
            for child in self._children:
                child.kill()
            self._children = []
            self._idle = queue.LifoQueue()
            self._pid = None
