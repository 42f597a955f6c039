"""The one mapping from errors to HTTP (:func:`register_error_handlers`).

Every error answers with one shape, negotiated like any other resource, by :func:`render`:

* ``application/json`` (and SPARQL JSON clients)::

      {"ok": false, "error": "<sentence>", "status": 400, "code": "MALFORMED_QUERY"}

  plus ``"supported": [...]`` for 406 and ``"limit": ...`` where a limit was hit;
* ``text/html`` for browsers (``error.html``, or the page a blueprint registered for the code
  with :func:`html_page`: the 404 page of an unknown IRI offers a search box and the nearest
  names);
* ``text/plain`` otherwise (curl, SPARQLWrapper, rdflib's SPARQLStore), the sentence itself.

Status codes follow the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/#query-failure):
400 for a malformed query or request, 403 for what this read-only endpoint refuses (updates,
``SERVICE``), 404 for what the dataset does not know, 406/413/415 as HTTP says, 429 over the
fair share, 502 when a remote engine (``STORE``) answers something that is not a protocol
response, and 503 for a query stopped at the time or memory limit or a store (or remote engine) that cannot
answer: the service is working but will not spend more on this request (the Protocol leaves the
choice between 500 and 503 open; 503 tells a client the failure is load-related and retryable
with a cheaper query, and we send ``Retry-After``). Codes in ``code`` are stable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import MigkgError

__all__ = ["STATUS", "register_error_handlers", "error_body", "html_page", "render"]

PROTOCOL_SPEC = "https://www.w3.org/TR/sparql11-protocol/"

#: HTTP status of each error code.
STATUS: dict[str, int] = {
    "PROTOCOL_ERROR": 400,
    "MALFORMED_QUERY": 400,
    "READ_ONLY": 403,
    "SERVICE_REFUSED": 403,
    "UNKNOWN_RESOURCE": 404,
    "NOT_ACCEPTABLE": 406,
    "QUERY_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
    "QUERY_FAILED": 500,
    "INTERNAL_ERROR": 500,
    "ENGINE_BAD_RESPONSE": 502,
    "QUERY_TIMEOUT": 503,
    "STORE_UNAVAILABLE": 503,
    "QUERY_MEMORY_LIMIT": 503,
    "ENGINE_UNAVAILABLE": 503,
}

#: code -> function(error) returning (template, context) for the HTML answer
_HTML_PAGES: dict[str, Callable[[MigkgError], tuple[str, dict[str, Any]]]] = {}


def html_page(code: str):
    """Decorator: the HTML page for errors of ``code`` (a function ``error -> (template,
    context)``); JSON and plain-text answers stay the common shape."""

    def register(function):
        _HTML_PAGES[code] = function
        return function

    return register


def error_body(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON error shape (see the module docstring)."""
    body: dict[str, Any] = {"ok": False, "error": message, "status": status, "code": code}
    body.update(extra)
    return body


_HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "QUERY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def render(
    status: int,
    code: str,
    message: str,
    extra: dict[str, Any],
    headers: dict[str, str],
    error: MigkgError | None = None,
):
    """The error response, negotiated (see the module docstring). ``extra["html"]`` forces
    HTML (an ``.html`` document URL); only ``iri``, ``supported`` and ``limit_*`` entries of
    ``extra`` reach the JSON body."""
    from flask import current_app, jsonify, make_response, render_template, request

    from .negotiation import parse_accept, prefers_html

    accept = request.headers.get("Accept")
    if prefers_html(accept) or extra.get("html"):
        page = _HTML_PAGES.get(code) if error is not None else None
        if page is not None:
            template, context = page(error)
        else:
            template = "error.html"
            context = {"code": code, "extra": extra, "spec": PROTOCOL_SPEC}
        response = make_response(
            render_template(template, status=status, message=message, **context), status
        )
    elif any(
        media in ("application/json", "application/sparql-results+json", "application/ld+json")
        for media, _, _ in parse_accept(accept)
    ):
        public = {
            k: v for k, v in extra.items() if k in ("iri", "supported") or k.startswith("limit")
        }
        response = make_response(jsonify(error_body(status, code, message, **public)), status)
    else:
        response = make_response(message + "\n", status)
        response.mimetype = "text/plain"
    response.headers.update(headers)
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept")
    current_app.logger.debug("error %s %s: %s", status, code, message)
    return response


def register_error_handlers(app) -> None:
    """Map :class:`MigkgError` and Werkzeug's HTTP errors to the negotiated error shape."""
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(MigkgError)
    def _domain_error(error: MigkgError):
        status = STATUS.get(error.code, 500)
        return render(status, error.code, error.message, error.extra, error.headers(), error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
        message = error.description or error.name
        return render(
            status,
            _HTTP_CODES.get(status, error.name.upper().replace(" ", "_")),
            message,
            {},
            headers,
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        """A bug: logged with its traceback, answered in the error shape (never Flask's page)."""
        if isinstance(error, HTTPException):
            return _http_error(error)
        app.logger.exception("unhandled %s", type(error).__name__)
        return render(
            500,
            "INTERNAL_ERROR",
            "The server failed to answer this request; the error has been logged.",
            {},
            {},
        )
