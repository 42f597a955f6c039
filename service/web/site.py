"""The links every page's header and footer carry (the editor, examples, VoID, status,
downloads, home, browse, search, the style sheet), made with ``url_for`` once per script root
and shared by every template as ``site``.

Twelve ``url_for`` calls per page were ~5% of an observation page's work (cProfile, 50-country
dataset, page memo off); the links depend only on the application and the script root it is
mounted below.
"""

from __future__ import annotations

from flask import Flask, current_app, request, url_for

__all__ = ["init_app"]

#: name in templates -> (endpoint, arguments)
_LINKS = {
    "style": ("static", {"filename": "style.css"}),
    "editor": ("sparql.query", {}),
    "examples": ("sparql.examples", {}),
    "void": ("sparql.void", {}),
    "status": ("sparql.healthz", {}),
    "downloads": ("downloads.downloads", {}),
    "home": ("pages.home", {}),
    "browse": ("pages.browse", {}),
    "search": ("pages.search_page", {}),
}


def _site() -> dict[str, dict[str, str]]:
    made: dict[str, dict[str, str]] = current_app.extensions.setdefault("kg_site", {})
    root = request.script_root if request else ""
    links = made.get(root)
    if links is None:
        links = made[root] = {
            name: url_for(endpoint, **args) for name, (endpoint, args) in _LINKS.items()
        }
    return {"site": links}


def init_app(app: Flask) -> None:
    """Give every template ``site`` (after the blueprints are registered)."""
    app.context_processor(_site)
