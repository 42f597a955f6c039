"""Domain exceptions and their one mapping to HTTP (:func:`register_error_handlers`).

Every error answers with one shape, negotiated like any other resource:

* ``application/json`` (and SPARQL JSON clients)::

      {"ok": false, "error": "<sentence>", "status": 400, "code": "MALFORMED_QUERY"}

  plus ``"supported": [...]`` for 406 and ``"limit": ...`` where a limit was hit;
* ``text/html`` for browsers (``error.html``);
* ``text/plain`` otherwise (curl, SPARQLWrapper, rdflib's SPARQLStore), the sentence itself.

Status codes follow the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/#query-failure):
400 for a malformed query or request, 403 for what this read-only endpoint refuses (updates,
``SERVICE``), 406/413/415 as HTTP says, and 503 for a query stopped at the time limit: the
service is working but will not spend more on this request (the Protocol leaves the choice
between 500 and 503 open; 503 tells a client the failure is load-related and retryable with a
cheaper query, and we send ``Retry-After``). Codes in ``code`` are stable.
"""

from __future__ import annotations

from typing import Any

PROTOCOL_SPEC = "https://www.w3.org/TR/sparql11-protocol/"

__all__ = [
    "MigkgError",
    "ProtocolError",
    "MalformedQuery",
    "UnsupportedMediaType",
    "QueryTooLarge",
    "UpdateRefused",
    "ServiceRefused",
    "NotAcceptableError",
    "QueryTimeout",
    "StoreUnavailable",
    "QueryFailed",
    "QueryMemoryLimit",
    "TooManyRequests",
    "register_error_handlers",
    "error_body",
]


class MigkgError(Exception):
    """Base class: an HTTP status, a stable code and a sentence for the client."""

    status = 500
    code = "INTERNAL_ERROR"
    #: seconds a client should wait before trying again (``Retry-After``), if any
    retry_after: int | None = None

    def __init__(self, message: str, **extra: Any):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


class ProtocolError(MigkgError):
    """The request breaks the SPARQL 1.1 Protocol (wrong parameters, two queries, ...)."""

    status, code = 400, "PROTOCOL_ERROR"


class MalformedQuery(MigkgError):
    """The query text does not parse; the message carries the parser's line:column."""

    status, code = 400, "MALFORMED_QUERY"


class UnsupportedMediaType(MigkgError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"


class QueryTooLarge(MigkgError):
    status, code = 413, "QUERY_TOO_LARGE"


class UpdateRefused(MigkgError):
    """SPARQL Update (and LOAD) on the public, read-only endpoint."""

    status, code = 403, "READ_ONLY"


class ServiceRefused(MigkgError):
    """A federated ``SERVICE`` call to an endpoint that is not allow-listed."""

    status, code = 403, "SERVICE_REFUSED"


class NotAcceptableError(MigkgError):
    status, code = 406, "NOT_ACCEPTABLE"


class QueryTimeout(MigkgError):
    """The query ran past ``QUERY_TIMEOUT``; its process was killed."""

    status, code, retry_after = 503, "QUERY_TIMEOUT", 10


class StoreUnavailable(MigkgError):
    """No dataset loaded, or the store cannot be opened."""

    status, code, retry_after = 503, "STORE_UNAVAILABLE", 30


class QueryMemoryLimit(MigkgError):
    """The query process ran out of its memory cap (``QUERY_MEMORY_LIMIT_MB``) and was replaced."""

    status, code, retry_after = 503, "QUERY_MEMORY_LIMIT", 10


class TooManyRequests(MigkgError):
    """A client is over its fair share (concurrent queries or query time per minute)."""

    status, code = 429, "RATE_LIMITED"

    def __init__(
        self, message: str, *, retry_after: int, headers: dict[str, str] | None = None, **extra: Any
    ):
        super().__init__(message, retry_after=retry_after, **extra)
        self._headers = {"Retry-After": str(max(1, int(retry_after))), **(headers or {})}

    def headers(self) -> dict[str, str]:
        return dict(self._headers)


class QueryFailed(MigkgError):
    """The engine failed while evaluating a valid query (e.g. an allow-listed SERVICE failed)."""

    status, code = 500, "QUERY_FAILED"


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


def _render(status: int, code: str, message: str, extra: dict[str, Any], headers: dict[str, str]):
    from flask import current_app, jsonify, make_response, render_template, request

    from .web.negotiation import parse_accept, prefers_html

    accept = request.headers.get("Accept")
    if prefers_html(accept):
        response = make_response(
            render_template(
                "error.html",
                status=status,
                code=code,
                message=message,
                extra=extra,
                spec=PROTOCOL_SPEC,
            ),
            status,
        )
    elif any(
        media in ("application/json", "application/sparql-results+json", "application/ld+json")
        for media, _, _ in parse_accept(accept)
    ):
        response = make_response(jsonify(error_body(status, code, message, **extra)), status)
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
        return _render(error.status, error.code, error.message, error.extra, error.headers())

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
        message = error.description or error.name
        return _render(
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
        return _render(
            500,
            "INTERNAL_ERROR",
            "The server failed to answer this request; the error has been logged.",
            {},
            {},
        )
