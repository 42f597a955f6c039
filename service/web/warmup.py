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
"""

from __future__ import annotations

import logging

from ..iris import IriScheme

log = logging.getLogger("migkg.serving")

__all__ = ["warm_up", "WARMUP_ENVIRON"]

#: WSGI environ key marking a warm-up request (the access log skips them).
WARMUP_ENVIRON = "migkg.warmup"


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
