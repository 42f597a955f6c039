"""Fair sharing of the SPARQL endpoint between clients, across every gunicorn worker.

Public endpoints guard their engines per client (Wikidata's query service: 60 s of query time
per minute and 5 concurrent queries per client, 429 with ``Retry-After`` beyond). migkg does
the same with two limits per client (``CLIENT_MAX_CONCURRENT`` queries at once, default 2;
``CLIENT_QUERY_SECONDS`` of query time per rolling ``CLIENT_WINDOW`` seconds, default 60 of 60)
and answers :class:`~service.errors.TooManyRequests` beyond them. Together with the two lanes
of query processes (:mod:`service.store.embedded`: the endpoint's ``QUERY_PROCESSES`` children
per worker, default 3, and the pages' own) one client can never take every lane: with 3
children a worker and 2 queries a client, a third lane stays free for everyone else, and pages
and ``/healthz`` never wait for SPARQL.

The state lives in one small SQLite database (``FAIRSHARE_DB``, default ``fairshare.sqlite``
in ``STATE_DIR``) that every worker opens: WAL journal, no fsync (the state is
disposable: a lost row only forgets a few seconds of someone's usage), one short
``BEGIN IMMEDIATE`` transaction per admission and one per release; query time is kept per
client and second (a window sums at most ``CLIENT_WINDOW`` rows, however many queries). Measured
here with ``bench/fairshare_bench.py``: an admission plus its release costs 27 µs (median;
p99 69 µs) — the first design, one row per query, cost 1.06 ms for a client with 20,000
queries in its window. Rows of queries whose worker died are ignored after
``2 × QUERY_TIMEOUT + 10`` seconds.

The client is the peer address, or, when the peer is one of ``TRUSTED_PROXIES``, the
right-most address of ``X-Forwarded-For`` that is not itself a trusted proxy (a client cannot
spoof its identity through a header the proxy appends to).
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import TooManyRequests

__all__ = ["FairShare", "Usage", "client_identity"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inflight (id INTEGER PRIMARY KEY, client TEXT NOT NULL,
                                     started REAL NOT NULL);
CREATE INDEX IF NOT EXISTS inflight_client ON inflight (client);
CREATE TABLE IF NOT EXISTS usage (client TEXT NOT NULL, second INTEGER NOT NULL,
                                  seconds REAL NOT NULL, PRIMARY KEY (client, second))
                                  WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Usage:
    """A client's state after an admission or refusal (for the ``RateLimit-*`` headers)."""

    concurrent: int
    max_concurrent: int
    seconds_used: float
    seconds_limit: float
    window: float
    reset: float  # seconds until the oldest counted query leaves the window

    def headers(self) -> dict[str, str]:
        remaining = max(0, math.floor(self.seconds_limit - self.seconds_used))
        return {
            "RateLimit-Limit": f"{self.seconds_limit:g}",
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(max(0, math.ceil(self.reset))),
            "RateLimit-Policy": (
                f"{self.seconds_limit:g};w={self.window:g};"
                f'comment="seconds of query time per window", '
                f'{self.max_concurrent};comment="concurrent queries"'
            ),
            "X-Concurrent-Queries": f"{self.concurrent}/{self.max_concurrent}",
        }


def client_identity(remote_addr: str | None, forwarded_for: str | None, trusted_proxies) -> str:
    """Who is asking: see the module docstring."""
    peer = remote_addr or "unknown"
    if not forwarded_for or peer not in trusted_proxies:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop[:100]
    return peer


class FairShare:
    """Admission of one query per call of :meth:`admitted`; see the module docstring."""

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        max_concurrent: int,
        seconds: float,
        window: float = 60.0,
        stale_after: float = 70.0,
    ):
        self.path = Path(path)
        self.max_concurrent = int(max_concurrent)
        self.seconds = float(seconds)
        self.window = float(window)
        self.stale_after = float(stale_after)
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db().executescript(_SCHEMA)

    @classmethod
    def from_config(cls, config: Mapping) -> FairShare:
        path = config.get("FAIRSHARE_DB") or Path(config["STATE_DIR"]) / "fairshare.sqlite"
        return cls(
            path,
            max_concurrent=config["CLIENT_MAX_CONCURRENT"],
            seconds=config["CLIENT_QUERY_SECONDS"],
            window=config["CLIENT_WINDOW"],
            stale_after=2 * float(config["QUERY_TIMEOUT"]) + 10,
        )

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None or getattr(self._local, "pid", None) != os.getpid():
            db = sqlite3.connect(
                self.path, timeout=5.0, isolation_level=None, check_same_thread=False
            )
            _set_wal(db)
            db.execute("PRAGMA synchronous=OFF")
            self._local.db, self._local.pid = db, os.getpid()
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _state(self, db, client: str, now: float) -> tuple[int, float, float]:
        (concurrent,) = db.execute(
            "SELECT COUNT(*) FROM inflight WHERE client = ? AND started > ?",
            (client, now - self.stale_after),
        ).fetchone()
        used, oldest = db.execute(
            "SELECT COALESCE(SUM(seconds), 0), MIN(second) FROM usage WHERE client = ? AND second > ?",
            (client, int(now - self.window)),
        ).fetchone()
        reset = (oldest + 1 + self.window - now) if oldest is not None else 0.0
        return concurrent, float(used), reset

    def usage(self, client: str) -> Usage:
        now = time.time()
        with self._transaction() as db:
            concurrent, used, reset = self._state(db, client, now)
        return Usage(concurrent, self.max_concurrent, used, self.seconds, self.window, reset)

    def admit(self, client: str) -> tuple[int, Usage]:
        """Count a query of ``client`` in: its ticket and usage.

        :raises TooManyRequests: over the concurrency or the query-time limit.
        """
        now = time.time()
        with self._transaction() as db:
            concurrent, used, reset = self._state(db, client, now)
            usage = Usage(concurrent, self.max_concurrent, used, self.seconds, self.window, reset)
            if concurrent >= self.max_concurrent:
                raise TooManyRequests(
                    f"too many queries at once from {client}: {concurrent} are running, the "
                    f"limit is {self.max_concurrent}; wait for one to finish",
                    retry_after=1,
                    headers=usage.headers(),
                    limit_concurrent=self.max_concurrent,
                )
            if used >= self.seconds:
                raise TooManyRequests(
                    f"{client} used {used:.1f} s of query time in the last {self.window:g} s; "
                    f"the limit is {self.seconds:g} s (see RateLimit-Reset)",
                    retry_after=math.ceil(reset) or 1,
                    headers=usage.headers(),
                    limit_seconds=self.seconds,
                )
            ticket = db.execute(
                "INSERT INTO inflight (client, started) VALUES (?, ?)", (client, now)
            ).lastrowid
        return ticket, Usage(
            concurrent + 1, self.max_concurrent, used, self.seconds, self.window, reset
        )

    def release(self, ticket: int, client: str, seconds: float) -> None:
        """Count the query out and its ``seconds`` of query time in."""
        now = time.time()
        with self._transaction() as db:
            db.execute("DELETE FROM inflight WHERE id = ?", (ticket,))
            # one row per client and second: a window sums at most CLIENT_WINDOW rows
            db.execute(
                "INSERT INTO usage (client, second, seconds) VALUES (?, ?, ?) "
                "ON CONFLICT (client, second) DO UPDATE SET seconds = seconds + excluded.seconds",
                (client, int(now), max(0.0, seconds)),
            )
            if ticket % 64 == 0:  # now and then, forget what no window can reach any more
                db.execute("DELETE FROM usage WHERE second <= ?", (int(now - self.window),))
                db.execute("DELETE FROM inflight WHERE started <= ?", (now - self.stale_after,))

    @contextmanager
    def admitted(self, client: str) -> Iterator[Usage]:
        """``with fairshare.admitted(client) as usage:`` run one query."""
        ticket, usage = self.admit(client)
        started = time.monotonic()
        try:
            yield usage
        finally:
            self.release(ticket, client, time.monotonic() - started)


def _set_wal(db: sqlite3.Connection, attempts: int = 50) -> None:
    """Switch the database to WAL. Two workers booting at once both do it on a new file, and
    SQLite answers "database is locked" to the second without waiting for its busy timeout
    (seen as a gunicorn worker failing to boot in a fresh-clone run): retry for up to ~5 s."""
    for attempt in range(attempts):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)
