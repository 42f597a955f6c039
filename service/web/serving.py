"""Serve the app: gunicorn in production, Flask's development server with ``--dev``.

gunicorn runs ``WORKERS`` worker processes on ``HOST:PORT`` (sync workers, or gthread with
``WORKER_THREADS`` > 1). Each worker's app owns a small pool of query child processes
(``QUERY_PROCESSES``) that enforce ``QUERY_TIMEOUT``; gunicorn's own timeout is set well above
it so that gunicorn never kills a worker that is merely waiting for a query to be stopped.

The dataset is loaded into the store once, in the master, before any worker starts; workers
then only open it read-only (through their query children).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

log = logging.getLogger("migkg.serving")

__all__ = ["run", "gunicorn_options"]


def gunicorn_options(config: dict[str, Any]) -> dict[str, Any]:
    """gunicorn settings derived from the configuration."""
    threads = max(1, int(config.get("WORKER_THREADS", 1)))
    return {
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
    """Load the built dataset if it is newer than the store, then serve until interrupted."""
    from ..store import DatasetLoadError, load_dataset
    from ..store.embedded import read_dataset_version

    _configure_logging()
    if read_dataset_version(config["DATASET_DIR"]) is not None:
        try:
            meta = load_dataset(config["DATASET_DIR"], config["STORE_DIR"])
            log.info(
                "dataset %s: %s triples in %d named graphs",
                meta["version"],
                meta["triples"],
                len(meta["graphs"]),
            )
        except DatasetLoadError as exc:
            log.error("%s", exc)
    else:
        log.warning(
            "no built dataset in %s: run `migkg build` (queries answer 503 until then)",
            config["DATASET_DIR"],
        )
    if dev:
        from .app import create_app

        app = create_app(config)
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
