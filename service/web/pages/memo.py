"""The response memo: rendered pages kept per dataset version, per app and worker, and how a
memoised response is sent (``ETag``, ``Cache-Control``, ``304`` for ``If-None-Match``).

A page is built once per version and worker: the key holds the dataset version, the script
root, the IRI, the format and the facets (``?area=``, ``?section=``), so a new generation or
another facet is another entry. ``PAGE_CACHE_SIZE`` entries (least recently used dropped
first), 0 to render every request. The ``ETag`` is the dataset version and a digest of the
key, so a revalidation costs no rendering.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from flask import Response, current_app, request

__all__ = ["PagesState", "Memoised", "pages_state", "etag", "finish"]

#: A memoised response: body, status and headers.
Memoised = tuple[bytes, int, dict]


class PagesState:
    """Per-app state: the response memo (``app.extensions["kg_pages"]``)."""

    def __init__(self, cache_size: int):
        self.lock = threading.Lock()
        self.cache: OrderedDict[tuple, Memoised] = OrderedDict()
        self.cache_size = max(0, int(cache_size))

    def remember(self, key: tuple, value: Memoised) -> None:
        if not self.cache_size:
            return
        with self.lock:
            self.cache[key] = value
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)

    def recall(self, key: tuple) -> Memoised | None:
        if not self.cache_size:
            return None
        value = self.cache.get(key)
        if value is not None:
            try:
                self.cache.move_to_end(key)
            except KeyError:
                pass
        return value


def pages_state() -> PagesState:
    """The memo of the current app (made on first use by an app that did not call init_app)."""
    state = current_app.extensions.get("kg_pages")
    if state is None:
        state = PagesState(current_app.config.get("PAGE_CACHE_SIZE", 2048))
        current_app.extensions["kg_pages"] = state
    return state


def etag(version: str | None, *key: str) -> str:
    """The entity tag of a page: the dataset version and a digest of what else chose it."""
    digest = hashlib.blake2b("\0".join(key).encode("utf-8"), digest_size=8).hexdigest()
    return f"{version or 'none'}-{digest}"


def finish(body: bytes, status: int, headers: dict, *, negotiated: bool) -> Response:
    """A memoised response sent: ``Vary: Accept`` when negotiated, cacheable when 200 (for
    ``CACHE_MAX_AGE`` seconds), answered with 304 when the client holds the same ``ETag``."""
    response = Response(body, status, headers=headers)
    if negotiated:
        response.vary.add("Accept")
    if status == 200:
        response.headers["Cache-Control"] = (
            f"public, max-age={int(current_app.config.get('CACHE_MAX_AGE', 300))}"
        )
        response.make_conditional(request)
    return response
