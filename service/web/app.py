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
        "RateLimit-Policy, X-Concurrent-Queries"
    ),
}
_CORS_PREFLIGHT = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}


def create_app(config: Mapping[str, Any] | None = None):
    """The Flask application: configuration layered as defaults, ``MIGKG_*`` environment,
    then ``config``; the store opened once (loading the built dataset if it is newer) and
    kept in ``app.extensions["kg_store"]``.
    """
    from flask import Flask

    from ..config import load_config
    from ..errors import register_error_handlers
    from ..store import open_store
    from . import pages, sparql
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
    app.extensions["kg_store"] = open_store(settings)
    app.extensions["kg_fairshare"] = FairShare.from_config(settings)
    app.extensions["kg_examples"] = sparql.load_examples()
    app.extensions["kg_yasgui"] = (Path(settings["YASGUI_DIR"]) / "yasgui.min.js").is_file()
    app.extensions["kg_description_cache"] = {}
    register_error_handlers(app)
    app.register_blueprint(sparql.bp)
    pages.init_app(app)  # entity pages, search, downloads; "/" is its home page
    app.after_request(_cors)
    if settings["ACCESS_LOG"]:
        app.before_request(_start_timer)
        app.after_request(_log_access)
    return app


def _cors(response):
    from flask import request

    response.headers.update(_CORS_HEADERS)
    if request.method == "OPTIONS":
        response.headers.update(_CORS_PREFLIGHT)
    return response


def _start_timer():
    from flask import g

    g.started = time.perf_counter()


def _log_access(response):
    from flask import g, request

    if not access_log.isEnabledFor(logging.INFO):
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
