"""The ways into the dataset: the home page (what it is, its size, entry points and example
queries), browsing every entity by kind (the crawler's guarantee that everything is reachable),
and label search as a page and as JSON for autocompletion (:class:`service.web.search.NameIndex`).
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, render_template, request

from . import bp
from .context import get_catalog, get_scheme, get_store
from .memo import etag, finish, pages_state
from .view import View

__all__ = ["ENTRY_KINDS", "BROWSE_PAGE_SIZE"]

#: Entry points listed on the home page, in order: (kind, heading).
ENTRY_KINDS = (
    ("authority", "Authorities"),
    ("law", "Laws and policy documents"),
    ("indicator", "Indicators"),
    ("source", "Primary sources"),
    ("organisation", "Organisations"),
    ("publication", "Publications"),
)
#: Entities listed per browse page.
BROWSE_PAGE_SIZE = 500
#: Longest search text read (characters); results on the search page and in search.json.
_MAX_TEXT = 200
_PAGE_HITS = 100
_MAX_JSON_HITS = 50


@bp.route("/")
def home():
    """What the dataset is, its size, entry points and example queries (memoised per
    version)."""
    catalog = get_catalog()
    scheme = get_scheme()
    state = pages_state()
    key = (catalog.version, scheme.root, "/", "home")
    cached = state.recall(key)
    if cached is None:
        meta = get_store().metadata() or {}
        entries = [(kind, heading, catalog.by_kind.get(kind, [])) for kind, heading in ENTRY_KINDS]
        body = render_template(
            "pages/home.html",
            view=View(catalog, scheme),
            meta=meta,
            entries=entries,
            authorities=list(catalog.by_kind.get("authority", [])),
            countries=catalog.countries,
            kinds=sorted((k, len(v)) for k, v in catalog.by_kind.items()),
            examples=current_app.extensions.get("kg_examples", []),
        ).encode("utf-8")
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "ETag": f'"{etag(catalog.version, "home")}"',
        }
        cached = (body, 200, headers)
        state.remember(key, cached)
    body, status, headers = cached
    return finish(body, status, dict(headers), negotiated=False)


@bp.route("/browse")
@bp.route("/browse/<kind>")
def browse(kind: str | None = None):
    """Every entity by kind, ``BROWSE_PAGE_SIZE`` a page (``?page=``).

    :raises NotFound: (404) for a kind without entities or a page past the last.
    """
    catalog = get_catalog()
    view = View(catalog, get_scheme())
    if kind is None:
        kinds = sorted((k, len(v)) for k, v in catalog.by_kind.items())
        return render_template("pages/browse.html", view=view, kinds=kinds, kind=None)
    iris = catalog.by_kind.get(kind)
    if iris is None:
        abort(404, description=f"no entities of kind {kind!r}")
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        abort(400, description="page must be a positive integer")
    pages = max(1, -(-len(iris) // BROWSE_PAGE_SIZE))
    if page > pages:
        abort(404, description=f"page {page} of {pages}")
    shown = iris[(page - 1) * BROWSE_PAGE_SIZE : page * BROWSE_PAGE_SIZE]
    return render_template(
        "pages/browse.html",
        view=view,
        kind=kind,
        iris=shown,
        page=page,
        pages=pages,
        total=len(iris),
    )


@bp.route("/search")
def search_page():
    """Label search as a page (works without JavaScript)."""
    catalog = get_catalog()
    text = request.args.get("q", "")[:_MAX_TEXT]
    kind = request.args.get("kind") or None
    hits = catalog.index.search(text, limit=_PAGE_HITS, kind=kind) if text.strip() else []
    return render_template(
        "pages/search.html", view=View(catalog, get_scheme()), text=text, hits=hits, kind=kind
    )


@bp.route("/search.json")
def search_json():
    """Autocomplete: ``?q=`` (and optional ``kind``, ``limit`` <= 50) -> JSON results."""
    catalog = get_catalog()
    text = request.args.get("q", "")[:_MAX_TEXT]
    kind = request.args.get("kind") or None
    try:
        limit = min(_MAX_JSON_HITS, max(1, int(request.args.get("limit", "10"))))
    except ValueError:
        abort(400, description="limit must be an integer")
    scheme = get_scheme()
    hits = catalog.index.search(text, limit=limit, kind=kind) if text.strip() else []
    response = jsonify(
        {
            "ok": True,
            "query": text,
            "results": [dict(hit.as_json(), url=scheme.page_url(hit.iri)) for hit in hits],
        }
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    # the catalogue's version and what chose the hits: the same on every replica serving it
    response.set_etag(etag(catalog.version, "search", scheme.root, text, kind or "", str(limit)))
    return response.make_conditional(request)
