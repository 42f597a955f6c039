"""Blueprint ``pages``: every IRI of the graph as a working address, with HTML for people and
RDF for machines; the home page, label search, browsing by kind and the linksets.

One job per module:

* :mod:`.negotiation`: ``/id/...``, ``/graph/...``, ``/def``, ``/resource``: dereferencing,
  content negotiation, ``Link`` and ``Content-Location`` headers, ``ETag``; the facet
  parameters of big pages.
* :mod:`.entities`: the HTML entity page, :mod:`.entities.generic` (what every page has) and
  one module per kind returning a typed view model rendered by its own template
  (``templates/pages/entity/<kind>.html``).
* :mod:`.figures`: figures as tables and charts show them. :mod:`.statements`: statements
  grouped, and the embedded JSON-LD. :mod:`.view`: what templates call (labels, links,
  literals, numbers), every one escaped.
* :mod:`.queries`: the pages' SPARQL (``service/queries/pages/*.rq``), bound by ``VALUES``.
  :mod:`.limits`: how much a page shows (``PAGE_*`` settings of :mod:`service.config`).
* :mod:`.memo`: rendered responses memoised per dataset version; :mod:`.context`: the
  request's generation (store, catalogue) and IRI scheme; :mod:`.notfound`: the 404 page.
* :mod:`.home` (home, browse, search, ``search.json``) and :mod:`.linksets`.

**Per-request work.** A page runs a few small SELECTs, the entity bound by ``VALUES`` with the
IRI serialised by rdflib after :func:`service.iris.is_safe_iri`; labels come from the
:class:`~service.web.catalogue.Catalog` the build wrote (labels, kinds, periods, figure counts,
the search index). Rendered responses are memoised per dataset version (``PAGE_CACHE_SIZE``
entries, 0 to turn off), so a page is built once per version and worker; ``ETag`` (the dataset
version) answers ``If-None-Match`` with 304.

**Big pages are faceted.** An indicator or a country with more than ``PAGE_MAX_FIGURES``
figures shows an index (areas with their counts; sections of publications with theirs) and the
figures of one entry, chosen by ``?area=<IRI>`` / ``?section=<n>``
(:mod:`.entities.indicator`, :mod:`.entities.country`), so the store reads only those figures;
smaller pages are unchanged.
"""

from __future__ import annotations

from flask import Blueprint
from markupsafe import escape

# what other modules and the tests use (the rest is imported from its module)
from .context import get_catalog, get_scheme
from .memo import PagesState
from .queries import bind, load_query
from .view import View, format_number

#: The blueprint; the route modules register on it when :func:`init_app` imports them.
bp = Blueprint("pages", __name__)

__all__ = [
    "bp",
    "init_app",
    "View",
    "bind",
    "format_number",
    "get_catalog",
    "get_scheme",
    "load_query",
]


def init_app(app) -> None:
    """Register the blueprint with its routes (called by :func:`service.create_app`)."""
    from . import home, linksets, negotiation, notfound  # noqa: F401  (they register routes)

    app.register_blueprint(bp)
    app.extensions["kg_pages"] = PagesState(app.config.get("PAGE_CACHE_SIZE", 2048))
    app.jinja_env.globals.setdefault("escape", escape)
