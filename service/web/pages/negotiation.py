"""Every IRI of the graph as a working address: ``/id/...``, ``/graph/...``, the ontology
document ``/def`` and ``/resource?iri=`` for IRIs outside the namespace, each with HTML for
people and RDF for machines.

Linked Data conventions: https://www.w3.org/TR/cooluris/ and https://www.w3.org/TR/ldp-bp/.

**Content negotiation: direct, with ``Vary: Accept`` (no 303).** An entity IRI answers ``200``
with HTML when the request prefers ``text/html`` (:func:`service.web.negotiation.prefers_html`:
browsers) and with RDF otherwise (Turtle for ``*/*`` or no ``Accept``; N-Triples, JSON-LD or
RDF/XML when asked), always with ``Vary: Accept``, ``Content-Location`` naming the document URL
of the representation sent and ``Link: <...>; rel="alternate"; type="..."`` for every other
representation (and ``rel="canonical"``: the persistent IRI). One round trip instead of two,
and every response is cacheable by its URL plus ``Accept``. The document URLs (``.html``,
``.ttl``, ``.nt``, ``.jsonld``, ``.rdf``; :mod:`service.iris`) never negotiate. An IRI the
graph does not know answers ``404`` (:mod:`.notfound`).

Responses are memoised per dataset version (:mod:`.memo`); the facet parameters of a big page
(``?area=``, ``?section=``: :mod:`.entities.indicator`, :mod:`.entities.country`) are part of
the memo key, the ``ETag`` and the ``Content-Location``; other parameters are ignored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, redirect, request

from ...errors import NotAcceptableError, UnknownResource
from ...iris import DOCUMENT_FORMATS, EXTENSIONS, IriScheme, is_web_iri
from ...namespaces import MIGKG
from ..catalogue import Catalog
from ..negotiation import GRAPH_FORMATS, NotAcceptable, choose_format, prefers_html
from . import bp
from .context import get_catalog, get_scheme, get_store
from .entities import render_entity
from .entities.country import is_country, section_parameter
from .entities.indicator import area_parameter, is_indicator
from .memo import etag, finish, pages_state
from .notfound import unknown_iri
from .queries import bind, load_query

__all__ = ["ENTITY_FORMATS", "ONTOLOGY", "describe_entity", "requested_facets"]

#: The formats an entity's RDF description is offered in (rows of GRAPH_FORMATS).
ENTITY_FORMATS = tuple(
    f for f in GRAPH_FORMATS if f.key in ("turtle", "ntriples", "jsonld", "rdfxml")
)
#: The ontology document.
ONTOLOGY = MIGKG + "def"
_EXT_OF_KEY = {key: ext for ext, (key, _) in DOCUMENT_FORMATS.items()}


@bp.route("/id/<path:rest>")
def entity_id(rest: str):
    """An entity IRI ``{MIGKG}id/...`` (served at ``/id/...`` on any host), or one of its
    document URLs (``.ttl``, ...)."""
    return _dereference("id/" + rest)


@bp.route("/graph/<path:rest>")
def entity_graph(rest: str):
    """A named graph's IRI ``{MIGKG}graph/...`` (its description), or a document URL."""
    return _dereference("graph/" + rest)


@bp.route("/def")
def ontology_document():
    """The ontology document ``{MIGKG}def`` (where the w3id.org rule for ``def`` and its terms
    ``def#...`` sends): its page for browsers (303), the whole ontology graph as RDF otherwise,
    negotiated like an entity (``?format=ttl`` and the other extensions choose one)."""
    ext = _format_parameter()
    accept = request.headers.get("Accept")
    if ext == "html" or (ext is None and prefers_html(accept)):
        response = redirect(get_scheme().page_url(ONTOLOGY), 303)
        response.vary.add("Accept")
        return response
    try:
        row = choose_format(ENTITY_FORMATS, accept, DOCUMENT_FORMATS[ext][0] if ext else None)
    except NotAcceptable as exc:
        raise NotAcceptableError(str(exc), supported=exc.supported + ["text/html"]) from None
    result = get_store().query(load_query("ontology"), format=row.key)
    response = Response(result.body, 200, content_type=result.content_type)
    response.headers["Link"] = f'<{ONTOLOGY}>; rel="canonical"'
    response.vary.add("Accept")
    return response


@bp.route("/resource")
def resource():
    """Any IRI of the graph that is not local (ontology terms, units, codes): ``?iri=``; a
    local IRI is redirected (301) to its own address."""
    iri = request.args.get("iri", "")
    ext = _format_parameter()
    if not is_web_iri(iri):
        abort(400, description="iri must be an absolute http: or https: IRI")
    if IriScheme().local_path(iri) is not None:
        scheme = get_scheme()
        return redirect(scheme.page_url(iri) if ext is None else scheme.document_url(iri, ext), 301)
    return _respond(iri, iri, ext)


def _format_parameter() -> str | None:
    """``?format=``: a document extension, or None (negotiated).

    :raises BadRequest: (400) for another value.
    """
    ext = request.args.get("format") or None
    if ext is not None and ext not in DOCUMENT_FORMATS:
        abort(400, description=f"format must be one of {', '.join(DOCUMENT_FORMATS)}")
    return ext


def _dereference(path: str):
    stem, ext = get_scheme().split_document(path)
    iri = IriScheme().iri_for(stem)
    if iri is None:
        shown = path if len(path) <= 200 else path[:200] + "…"
        raise UnknownResource(
            f"/{shown} is not an address of this dataset (IRIs look like /id/<kind>/<slug>)",
            text=shown.replace("/", " "),
            html=ext == "html",
        )
    return _respond(iri, stem, ext)


def _negotiate() -> str:
    """The extension of the representation the request's ``Accept`` prefers.

    :raises NotAcceptableError: (406) when none is acceptable.
    """
    accept = request.headers.get("Accept")
    if prefers_html(accept):
        return "html"
    try:
        return _EXT_OF_KEY[choose_format(ENTITY_FORMATS, accept).key]
    except NotAcceptable as exc:
        raise NotAcceptableError(str(exc), supported=exc.supported + ["text/html"]) from None


def _respond(iri: str, path: str, ext: str | None):
    """The representation ``ext`` of ``iri`` (negotiated when None), from the memo or made."""
    negotiated = ext is None
    if ext is None:
        ext = _negotiate()
    catalog = get_catalog()
    state = pages_state()
    scheme = get_scheme()
    facets = requested_facets(iri, ext, catalog)
    key = (catalog.version, scheme.root, iri, ext, tuple(sorted(facets.items())))
    cached = state.recall(key)
    if cached is None:
        location = scheme.document_url(iri, ext)
        if ext == "html":
            body = render_entity(iri, path, catalog, scheme, facets)
            content_type = "text/html; charset=utf-8"
            if facets:
                location += ("&" if "?" in location else "?") + urlencode(sorted(facets.items()))
        else:
            body, content_type = describe_entity(iri, path, ext)
        headers = {
            "Content-Type": content_type,
            "Link": _links(scheme, iri, ext),
            "Content-Location": location,
            "ETag": f'"{etag(catalog.version, iri, ext, *_facet_strings(facets))}"',
        }
        cached = (body, 200, headers)
        state.remember(key, cached)
    body, status, headers = cached
    return finish(body, status, dict(headers), negotiated=negotiated)


def _links(scheme: IriScheme, iri: str, sent: str) -> str:
    """``Link``: the persistent IRI as ``rel="canonical"`` (what to cite and link to), then the
    other representations on this host."""
    parts = [f'<{iri}>; rel="canonical"'] if scheme.is_local(iri) else []
    for ext in ("html", *EXTENSIONS):
        if ext == sent:
            continue
        parts.append(
            f'<{scheme.document_url(iri, ext)}>; rel="alternate"; type="{DOCUMENT_FORMATS[ext][1]}"'
        )
    return ", ".join(parts)


def requested_facets(iri: str, ext: str, catalog: Catalog) -> dict[str, Any]:
    """The facet parameters of a big page, normalised: ``area`` (an IRI) on an indicator's
    page, ``section`` (a positive integer) on a country's; absent or empty = the default. Any
    other parameter, and these on other pages or formats, is ignored (and not part of the memo
    key).

    :raises UnknownResource: (404) for a value that cannot name an area or a section.
    """
    if ext != "html":
        return {}
    types = catalog.types.get(iri, ())
    facets: dict[str, Any] = {}
    if is_indicator(types):
        area = area_parameter(iri, catalog, request.args)
        if area is not None:
            facets["area"] = area
    if is_country(iri, types, catalog):
        section = section_parameter(iri, catalog, request.args)
        if section is not None:
            facets["section"] = section
    return facets


def _facet_strings(facets: dict[str, Any]) -> list[str]:
    return [f"{name}={value}" for name, value in sorted(facets.items())]


def describe_entity(iri: str, path: str, ext: str) -> tuple[bytes, str]:
    """The RDF description (describe.rq) serialised by the store.

    :raises UnknownResource: when the graph has no statement about ``iri``.
    """
    key = DOCUMENT_FORMATS[ext][0]
    result = get_store().query(bind(load_query("describe"), entity=iri), format=key)
    if not result.rows:
        if result.rows is None and result.body.strip():
            return result.body, result.content_type
        unknown_iri(iri, path)
    return result.body, result.content_type
