"""Serve the app: gunicorn in production, Flask's development server with ``--dev``.

gunicorn runs ``WORKERS`` worker processes on ``HOST:PORT`` (sync workers, or gthread with
``WORKER_THREADS`` > 1). Each worker's app owns a small pool of query child processes
(``QUERY_PROCESSES``) that enforce ``QUERY_TIMEOUT``; gunicorn's own timeout is set well above
it so that gunicorn never kills a worker that is merely waiting for a query to be stopped.

Nothing is loaded here: ``migkg build`` published a complete generation; the master checks that
one exists (exit 2 with a hint otherwise) and each worker opens it read-only
(:mod:`service.web.current`). ``SIGHUP`` makes gunicorn restart the workers gracefully.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("migkg.serving")

__all__ = ["run", "gunicorn_options"]


def gunicorn_options(config: dict[str, Any]) -> dict[str, Any]:
    """gunicorn settings derived from the configuration."""
    threads = max(1, int(config.get("WORKER_THREADS", 1)))
    options = {
        "bind": f"{config['HOST']}:{config['PORT']}",
        "workers": max(1, int(config["WORKERS"])),
        "worker_class": "gthread" if threads > 1 else "sync",
        "threads": threads,
        "timeout": int(float(config["QUERY_TIMEOUT"])) + 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        # Long GET queries: gunicorn's maximum request line (larger ones must POST).
        "limit_request_line": 8190,
        "accesslog": None,  # the app writes its own structured access log
        "errorlog": "-",
        "loglevel": "info",
        "preload_app": False,
        "proc_name": "migkg",
    }
    if config.get("WARMUP", True):
        from .warmup import warm_worker

        # through gunicorn's own request path once, before the worker takes connections
        options["post_worker_init"] = warm_worker
    return options


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("migkg.access", "migkg.store", "migkg.serving"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def run(config: dict[str, Any], dev: bool = False) -> None:
    """Serve the current generation until interrupted; exit 2 when nothing is published."""
    from .. import generations as gens

    _configure_logging()
    root = Path(config["GENERATIONS_DIR"])
    name = gens.current(root)
    if name is None:
        log.error("no dataset generation in %s: run `migkg build` (or `make build`) first", root)
        sys.exit(2)
    try:
        generation = gens.verify(root / name)
    except gens.GenerationError as exc:
        hint = "" if "migkg build" in str(exc) else "; run `migkg build`"
        log.error("the current generation cannot be served: %s%s", exc, hint)
        sys.exit(2)
    log.info(
        "dataset %s (%s): %s triples in %d named graphs",
        generation.version,
        name,
        generation.meta["triples"],
        len(generation.meta["graphs"]),
    )
    if dev:
        from .app import create_app

        app = create_app(config)
        signal.signal(signal.SIGHUP, lambda *_: app.extensions["kg_current"].check())
        app.run(host=config["HOST"], port=int(config["PORT"]), threaded=True, debug=False)
        return

    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(config).items():
                self.cfg.set(key, value)

        def load(self):
            from .app import create_app

            _configure_logging()
            return create_app(config)

    log.info(
        "serving on http://%s:%s/ with %s gunicorn workers",
        config["HOST"],
        config["PORT"],
        config["WORKERS"],
    )
    _Server().run()
