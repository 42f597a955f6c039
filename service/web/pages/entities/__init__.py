"""Entity pages in HTML: the common part (:mod:`.generic`) and one section per kind the entity
is, each built by its module into a typed view model and rendered by its own template
(``templates/pages/entity/<kind>.html``, included by ``templates/pages/entity.html``).

Sections, in page order: :mod:`.observation`, :mod:`.authority` (and organisations),
:mod:`.law`, :mod:`.indicator`, :mod:`.country`, :mod:`.source`, :mod:`.publication`. An entity
can be several kinds (an organisation that publishes), and gets each of their sections.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, render_template

from ....iris import IriScheme
from ...catalogue import Catalog
from ..context import get_store
from ..limits import limits
from ..notfound import unknown_iri
from ..view import View
from . import authority, country, indicator, law, observation, publication, source
from .generic import EntityPage, entity_page, read_incoming, read_subject

__all__ = ["render_entity", "build_entity", "SECTIONS"]

#: The per-kind sections, in page order.
SECTIONS = (observation, authority, law, indicator, country, source, publication)


def build_entity(
    iri: str, path: str, catalog: Catalog, view: View, facets: Mapping[str, Any]
) -> EntityPage:
    """The view model of the page of ``iri``.

    :raises UnknownResource: when the graph has no statement about ``iri``, or a facet
        parameter names nothing on the page.
    """
    store = get_store()
    materialised = bool(current_app.config.get("PAGE_MATERIALISED", True))
    subject = read_subject(store, iri, path, catalog, view, limits(), facets, materialised)
    if source.applies(subject):
        # a source page lists its figures, so "Referenced by" leaves them out
        summaries = [s for s in [source.summary(subject)] if s is not None]
        incoming = read_incoming(subject, "incoming-source")
    else:
        summaries = [
            s for s in (indicator.summary(subject), country.summary(subject)) if s is not None
        ]
        if summaries:
            incoming = read_incoming(
                subject,
                "incoming-except",
                except1=summaries[0].predicate,
                except2=summaries[-1].predicate,
            )
        else:
            incoming = read_incoming(subject, "incoming")
    if not subject.outgoing and not incoming.found:
        unknown_iri(iri, path, html=True)
    sections = [module.build(subject) for module in SECTIONS if module.applies(subject)]
    graph = None
    if subject.kind == "graph":
        meta = store.metadata() or {}
        graph = next((g for g in meta.get("graphs", []) if g["iri"] == iri), None)
    return entity_page(subject, incoming, summaries, sections, graph)


def render_entity(
    iri: str,
    path: str,
    catalog: Catalog,
    scheme: IriScheme,
    facets: Mapping[str, Any] | None = None,
) -> bytes:
    """The HTML page of ``iri``; ``facets`` select the part of a big indicator or country page
    shown (:func:`..negotiation.requested_facets`).

    :raises UnknownResource: see :func:`build_entity`.
    """
    view = View(catalog, scheme)
    page = build_entity(iri, path, catalog, view, facets or {})
    return render_template("pages/entity.html", entity=page, view=view).encode("utf-8")
