"""The ``/linksets`` page: the linksets of the links graph (VoID, https://www.w3.org/TR/void/#linkset)
with their target, link predicate, size, date and how they were made (``prov:wasGeneratedBy``:
method, score threshold, note)."""

from __future__ import annotations

from flask import render_template

from . import bp
from .context import get_catalog, get_scheme, get_store
from .queries import load_query, select
from .view import View

__all__: list[str] = []


@bp.route("/linksets")
def linksets():
    """The linksets of the links graph: target, predicate, count, date and method."""
    rows = select(get_store(), load_query("linksets")).rows
    return render_template("pages/linksets.html", view=View(get_catalog(), get_scheme()), rows=rows)
