"""migkg: a linked-data knowledge graph of migration profiles.

The package is laid out as its architecture (README, "How it fits together"):

* :mod:`service.build` — the build side: sources → validation → a dataset generation
  (``migkg build``), and the tools that write data files (``migkg link``, ``migkg review``);
* :mod:`service.generations` — the published artefact: one folder per dataset version and the
  ``current`` pointer, the only contract between the two sides;
* :mod:`service.store` — the query engine over a generation (embedded pyoxigraph today), with
  no knowledge of HTTP;
* :mod:`service.web` — the read-only web side: :func:`create_app`, the SPARQL endpoint, the
  entity pages, downloads; it opens generations and never writes them.
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(config=None):
    """The Flask application (:func:`service.web.app.create_app`)."""
    from .web.app import create_app as factory

    return factory(config)
