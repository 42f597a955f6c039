"""The one HTTP client of the producer updates: :class:`ProducerClient` over
:class:`requests.Session`.

It talks to one configured base URL and nowhere else (redirects are not followed: a producer
that moves raises :class:`UpdateError`, see producer-apis.md, "redirects to another portal"),
names the project in its User-Agent, sets connect and read timeouts, and retries 429, 5xx and
connection failures with exponential back-off. ``Retry-After`` (RFC 9110 §10.2.3:
delay-seconds or an HTTP-date) is honoured, capped at ``max_retry_after``. Every other status,
a wrong content type or too many attempts raise :class:`UpdateError`. A success is a
:class:`~service.update.records.Response` holding the body exactly as received.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import metadata
from urllib.parse import urlencode

import requests

from .errors import UpdateError
from .records import Response

__all__ = ["JSON", "XLSX", "ProducerClient", "user_agent"]

log = logging.getLogger(__name__)

JSON = "application/json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def user_agent() -> str:
    """``migkg/<version> (+https://w3id.org/migkg)``, the version from the installed package."""
    try:
        version = metadata.version("migkg")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"migkg/{version} (+https://w3id.org/migkg)"


class ProducerClient:
    """GET requests to one producer's ``base_url``, with retries; use as a context manager.

    ``timeout`` is (connect, read) in seconds, or one number for both. A retried request waits
    ``Retry-After`` when the producer sends one, else ``backoff * 2**(attempt-1)``; either is
    capped at ``max_retry_after``. After ``attempts`` attempts the request fails.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | tuple[float, float] = (10.0, 60.0),
        attempts: int = 4,
        backoff: float = 1.0,
        max_retry_after: float = 60.0,
        session: requests.Session | None = None,
        agent: str | None = None,
    ):
        if not re.match(r"https?://[^/]+", base_url):
            raise UpdateError(f"the producer base URL {base_url!r} is not an http(s) URL")
        if attempts < 1:
            raise UpdateError(f"{base_url}: attempts must be at least 1, not {attempts}")
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.agent = agent or user_agent()

    def __enter__(self) -> ProducerClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the session's connections."""
        self.session.close()

    def url(self, path: str = "", params: Mapping[str, object] | None = None) -> str:
        """The URL of ``path`` under the base URL, with ``params`` as its query (``:``, ``,``
        and ``;`` left readable, as the producers document them)."""
        if "://" in path or path.startswith("//"):
            raise UpdateError(f"{path!r} is not a path under {self.base_url}")
        url = self.base_url + ("/" + path.lstrip("/") if path else "")
        if params:
            url += "?" + urlencode({k: str(v) for k, v in params.items()}, safe=":,;")
        return url

    def get(
        self,
        path: str = "",
        params: Mapping[str, object] | None = None,
        *,
        source: str,
        expect: Collection[str] = (JSON,),
    ) -> Response:
        """GET ``path`` (relative to the base URL) for ``source`` (``worldbank``, ...); the body
        of a 200 whose media type is one of ``expect``.

        :raises UpdateError: on any other status, a redirect, another media type, or when every
            attempt failed.
        """
        url = self.url(path, params)
        headers = {"User-Agent": self.agent, "Accept": ", ".join(expect)}
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.session.get(
                    url, headers=headers, timeout=self.timeout, allow_redirects=False
                ) as reply:
                    body = reply.content
                    status, reason = reply.status_code, reply.reason
                    content_type = reply.headers.get("Content-Type", "")
                    retry_after = reply.headers.get("Retry-After")
                    location = reply.headers.get("Location", "")
            except _TRANSIENT as error:
                failure = f"{type(error).__name__}"
                wait = self._backoff(attempt)
            else:
                media_type = content_type.split(";")[0].strip().lower()
                if status == 200:
                    if media_type not in expect:
                        raise UpdateError(
                            f"{source}: {url} answered {media_type or 'no content type'}, "
                            f"expected {' or '.join(expect)}: {_snippet(body)}"
                        )
                    return Response(
                        source=source,
                        url=url,
                        retrieved=datetime.now(UTC),
                        body=body,
                        media_type=media_type,
                    )
                if 300 <= status < 400:
                    raise UpdateError(
                        f"{source}: {url} redirected (HTTP {status}) to {location or '?'}; "
                        "only the configured base URL is used"
                    )
                failure = f"HTTP {status} {reason}".strip()
                if status not in RETRY_STATUSES:
                    raise UpdateError(
                        f"{source}: {url} answered {failure} ({media_type or '?'}): "
                        f"{_snippet(body)}"
                    )
                wait = self._retry_after(retry_after, attempt)
            if attempt >= self.attempts:
                raise UpdateError(
                    f"{source}: {url} failed after {attempt} attempts (last: {failure})"
                )
            log.info("%s: %s: %s; retrying in %.1f s", source, url, failure, wait)
            time.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff * 2 ** (attempt - 1), self.max_retry_after)

    def _retry_after(self, value: str | None, attempt: int) -> float:
        """The wait a ``Retry-After`` header asks for (seconds or an HTTP-date), capped; the
        back-off when there is none or it cannot be read."""
        if value is None:
            return self._backoff(attempt)
        value = value.strip()
        if value.isdigit():
            return min(float(value), self.max_retry_after)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return self._backoff(attempt)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
        return min(max(seconds, 0.0), self.max_retry_after)


def _snippet(body: bytes, length: int = 160) -> str:
    """The start of a body as one line of text (an HTML head and tags dropped)."""
    text = body[:4000].decode("utf-8", "replace")
    text = re.sub(r"<head\b.*?</head>", " ", text, flags=re.IGNORECASE | re.DOTALL)
    text = re.sub(r"<[^>]*>", " ", text)
    text = " ".join(text.split())
    return (text[:length] + "…") if len(text) > length else (text or "(empty body)")
