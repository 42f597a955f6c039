"""How much a page shows, read from the app's configuration (:mod:`service.config`)."""

from __future__ import annotations

from flask import current_app

__all__ = ["max_figures"]


def max_figures() -> int:
    """``PAGE_MAX_FIGURES``: an indicator or country page with more figures is faceted."""
    return max(0, int(current_app.config.get("PAGE_MAX_FIGURES", 500)))
