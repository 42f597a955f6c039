"""The application factory: configuration in, a Flask app with the SPARQL and pages
blueprints out; the current generation opened read-only (:mod:`service.web.current`)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["create_app"]

_PACKAGE = Path(__file__).resolve().parent.parent

access_log = logging.getLogger("migkg.access")

_CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": (
        "ETag, Last-Modified, Content-Type, X-Result-Rows, "
        "X-Result-Truncated, X-Result-Limit, Retry-After, "
        "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, "
        "RateLimit-Policy, X-Concurrent-Queries, X-Dataset-Version"
    ),
}
_CORS_PREFLIGHT = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}


def create_app(config: Mapping[str, Any] | None = None):
    """The Flask application: configuration layered as defaults, ``MIGKG_*`` environment,
    then ``config``; the current generation opened read-only (``app.extensions["kg_current"]``,
    :mod:`service.web.current`), each request pinned to the generation it started on
    (``g.served``). Nothing here writes to the generations folder.
    """
    from flask import Flask

    from ..config import load_config
    from ..store import open_engine
    from . import downloads, pages, site, sparql
    from .current import CurrentGeneration
    from .errors import register_error_handlers
    from .fairshare import FairShare

    settings = load_config(config)
    app = Flask(
        "service",
        template_folder=str(_PACKAGE / "templates"),
        static_folder=str(_PACKAGE / "static"),
    )
    app.config.update(settings)
    # A form-encoded query is at most ~3x its text; MAX_QUERY_BYTES itself is checked on the
    # decoded query (413 either way).
    app.config["MAX_CONTENT_LENGTH"] = int(settings["MAX_QUERY_BYTES"]) * 3 + 65536
    engine = open_engine(settings)
    current = CurrentGeneration(settings, engine)
    current.start()
    app.extensions["kg_engine"] = engine
    app.extensions["kg_current"] = current
    app.extensions["kg_fairshare"] = FairShare.from_config(settings)
    app.extensions["kg_examples"] = sparql.load_examples()
    app.extensions["kg_yasgui"] = (Path(settings["YASGUI_DIR"]) / "yasgui.min.js").is_file()
    register_error_handlers(app)
    app.before_request(_pin_generation)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(downloads.bp)
    pages.init_app(app)  # entity pages, search, downloads; "/" is its home page
    site.init_app(app)
    app.after_request(_cors)
    if settings["ACCESS_LOG"]:
        app.before_request(_start_timer)
        app.after_request(_log_access)
    if settings["WARMUP"] and current.served().generation is not None:
        from .warmup import warm_up

        warm_up(app)
    return app


def _pin_generation():
    from flask import current_app, g

    g.served = current_app.extensions["kg_current"].served()


def served():
    """The generation the current request is answered from (:class:`~.current.Served`)."""
    from flask import current_app, g

    pinned = g.get("served")
    if pinned is None:  # outside a request (CLI, tests): the current one
        pinned = g.served = current_app.extensions["kg_current"].served()
    return pinned


def _cors(response):
    from flask import g, request

    response.headers.update(_CORS_HEADERS)
    pinned = g.get("served")
    if pinned is not None and pinned.version:
        response.headers["X-Dataset-Version"] = pinned.version
    if request.method == "OPTIONS":
        response.headers.update(_CORS_PREFLIGHT)
    return response


def _start_timer():
    from flask import g

    g.started = time.perf_counter()


def _log_access(response):
    from flask import g, request

    from .warmup import WARMUP_ENVIRON, warming

    if (
        not access_log.isEnabledFor(logging.INFO)
        or request.environ.get(WARMUP_ENVIRON)
        or warming.is_set()
    ):
        return response
    entry = {
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 3),
        "bytes": response.calculate_content_length(),
    }
    sparql_info = g.get("sparql")
    if sparql_info:
        entry["query"] = sparql_info
    access_log.info(json.dumps(entry, separators=(",", ":")))
    return response
