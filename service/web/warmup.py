"""A new worker answers one request of each kind before it takes any from a client.

Opening a generation (:mod:`service.web.current`) leaves costs that only a request pays: Jinja
compiles each template on its first render, modules imported on first use (rdflib's
serialisers, the charts), the first SQLite statement of the catalogue, the first message to
each query process. Measured at 50-country scale (bench/RESULTS.md, "Generations"), a fresh
worker's first observation page took ~210 ms against ~9 ms for the next ones. So the factory
sends these requests itself, through the test client, before gunicorn hands the worker a
connection: the home page, an observation page, a country page, search, a SPARQL ASK, VoID,
the downloads and an unknown IRI (the 404 page). They are not logged, and their answers are
thrown away (a failure here is logged and ignored: the worker still starts).

That leaves what only a request through the server costs: measured on a fresh gunicorn worker
(bench/RESULTS.md), the first ``/healthz`` took ~80 ms end to end against 2-3 ms for the next,
17 ms of it in the app; a bare Flask route showed the same 43-68 ms: gunicorn's request path
run for the first time in a forked process (its C parser and ``encodings.idna`` imported on
first use, ~15 ms by ``-X importtime``, the rest first-touch costs of its code). So under
gunicorn a hook (:func:`warm_worker`, ``post_worker_init``) also sends a few requests through
the worker's own connection handler over a socket pair, before the worker takes connections.
"""

from __future__ import annotations

import logging
import socket
import threading

from ..iris import IriScheme

log = logging.getLogger("migkg.serving")

__all__ = ["warm_up", "warm_worker", "WARMUP_ENVIRON", "warming"]

#: WSGI environ key marking a warm-up request (the access log skips them).
WARMUP_ENVIRON = "migkg.warmup"

#: Set while :func:`warm_worker` runs (before the worker serves anyone): the access log skips
#: those requests. A process-wide flag, not a header: no client can hide from the log.
warming = threading.Event()

#: Requests :func:`warm_worker` sends through the server (the kinds a client asks first).
_SERVER_PATHS = (
    ("/healthz", "application/json"),
    ("/sparql?query=ASK%7B%7D", "application/sparql-results+json"),
    ("/search.json?q=migration", "application/json"),
    ("/", "text/html"),
)


def _paths(app) -> list[tuple[str, str]]:
    catalog = app.extensions["kg_current"].served().catalog
    scheme = IriScheme()
    paths = [
        ("/healthz", "application/json"),
        ("/", "text/html"),
        ("/search.json?q=migration", "application/json"),
        ("/search?q=migration", "text/html"),
        ("/sparql?query=ASK%7B%7D", "application/sparql-results+json"),
        ("/.well-known/void", "text/turtle"),
        ("/downloads", "text/html"),
        ("/id/observation/-warm-up-unknown-", "text/html"),
    ]
    for kind in ("observation", "authority", "law", "indicator", "source"):
        entities = catalog.by_kind.get(kind)
        if entities:
            paths.append((scheme.page_url(entities[0]), "text/html"))
    if catalog.countries:
        paths.append((scheme.page_url(catalog.countries[0]), "text/html"))
    return paths


def warm_up(app) -> int:
    """Send the warm-up requests; how many answered below 500."""
    answered = 0
    client = app.test_client()
    for path, accept in _paths(app):
        try:
            response = client.get(
                path, headers={"Accept": accept}, environ_base={WARMUP_ENVIRON: True}
            )
            response.close()
            answered += response.status_code < 500
        except Exception:  # a warm-up must never stop a worker from starting
            log.exception("warm-up request %s failed", path)
    return answered


def warm_worker(worker) -> int:
    """gunicorn's ``post_worker_init`` hook: a few requests through the worker's own handler
    (parser, WSGI environ, the app, the response writer) over a socket pair; how many were
    answered. Never raises: a worker must start even if this fails."""
    answered = 0
    warming.set()
    try:
        listener = worker.sockets[0] if worker.sockets else None
        server = listener.getsockname() if listener is not None else ("127.0.0.1", 0)
        for path, accept in _SERVER_PATHS:
            answered += _through_worker(worker, listener, server, path, accept)
        log.info(
            "worker %s warmed through gunicorn: %d of %d requests answered",
            worker.pid,
            answered,
            len(_SERVER_PATHS),
        )
    except Exception:  # gunicorn's internals may change: log, start anyway
        log.warning("warming the worker through gunicorn failed", exc_info=True)
    finally:
        warming.clear()
    return answered


def _through_worker(worker, listener, server, path: str, accept: str) -> bool:
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(
            f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n"
            "Connection: close\r\n\r\n".encode("ascii")
        )
        client = ("127.0.0.1", 0)
        if hasattr(worker, "tpool"):  # gthread: the connection object its threads handle
            from gunicorn.workers.gthread import TConn

            worker.handle(TConn(worker.cfg, ours, client, server))
        else:  # sync
            worker.handle(listener, ours, client)
        theirs.settimeout(5)
        answer = theirs.recv(64)
        return answer.startswith(b"HTTP/1.1 2") or answer.startswith(b"HTTP/1.1 3")
    finally:
        ours.close()
        theirs.close()
