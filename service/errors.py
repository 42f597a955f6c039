"""The project's exceptions: a stable ``code`` and a sentence for the user, nothing about HTTP.

The store, the build and the web layer raise these; :mod:`service.web.errors` is the one place
that maps them (and Werkzeug's HTTP errors, and anything unexpected) to an HTTP status and the
negotiated error shape. ``retry_after`` says how long a client should wait before retrying,
where waiting helps.
"""

from __future__ import annotations

from typing import Any

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
    "EngineUnavailable",
    "EngineBadResponse",
    "QueryFailed",
    "QueryMemoryLimit",
    "TooManyRequests",
    "UnknownResource",
]


class MigkgError(Exception):
    """Base class: a stable code and a sentence for the client."""

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

    code = "PROTOCOL_ERROR"


class MalformedQuery(MigkgError):
    """The query text does not parse; the message carries the parser's line:column."""

    code = "MALFORMED_QUERY"


class UnsupportedMediaType(MigkgError):
    code = "UNSUPPORTED_MEDIA_TYPE"


class QueryTooLarge(MigkgError):
    code = "QUERY_TOO_LARGE"


class UpdateRefused(MigkgError):
    """SPARQL Update (and LOAD) on the public, read-only endpoint."""

    code = "READ_ONLY"


class ServiceRefused(MigkgError):
    """A federated ``SERVICE`` call to an endpoint that is not allow-listed."""

    code = "SERVICE_REFUSED"


class NotAcceptableError(MigkgError):
    code = "NOT_ACCEPTABLE"


class QueryTimeout(MigkgError):
    """The query ran past ``QUERY_TIMEOUT``; its process was killed."""

    code, retry_after = "QUERY_TIMEOUT", 10


class StoreUnavailable(MigkgError):
    """No dataset loaded, or the store cannot be opened."""

    code, retry_after = "STORE_UNAVAILABLE", 30


class EngineUnavailable(StoreUnavailable):
    """The remote SPARQL engine (``STORE``) cannot be reached, refused the connection or
    answered that it is unavailable; the message names the engine, never its credentials."""

    code = "ENGINE_UNAVAILABLE"


class EngineBadResponse(MigkgError):
    """The remote SPARQL engine answered something that is not a SPARQL 1.1 Protocol response
    (an unexpected status, media type or an unparsable body)."""

    code = "ENGINE_BAD_RESPONSE"


class QueryMemoryLimit(MigkgError):
    """The query process ran out of its memory cap (``QUERY_MEMORY_LIMIT_MB``) and was replaced."""

    code, retry_after = "QUERY_MEMORY_LIMIT", 10


class TooManyRequests(MigkgError):
    """A client is over its fair share (concurrent queries or query time per minute)."""

    code = "RATE_LIMITED"

    def __init__(
        self, message: str, *, retry_after: int, headers: dict[str, str] | None = None, **extra: Any
    ):
        super().__init__(message, retry_after=retry_after, **extra)
        self._headers = {"Retry-After": str(max(1, int(retry_after))), **(headers or {})}

    def headers(self) -> dict[str, str]:
        return dict(self._headers)


class QueryFailed(MigkgError):
    """The engine failed while evaluating a valid query (e.g. an allow-listed SERVICE failed)."""

    code = "QUERY_FAILED"


class UnknownResource(MigkgError):
    """The IRI is well formed but the graph says nothing about it (or nothing is published)."""

    code = "UNKNOWN_RESOURCE"
