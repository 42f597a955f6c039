"""Blueprint ``pages``: every IRI of the graph as a working address, with HTML for people and
RDF for machines; the home page, label search, browsing by kind, and the downloads.

Linked Data conventions: https://www.w3.org/TR/cooluris/ and https://www.w3.org/TR/ldp-bp/.

**Content negotiation: direct, with ``Vary: Accept`` (no 303).** An entity IRI
(``/id/<kind>/<slug>``, ``/graph/<name>``) answers ``200`` with HTML when the request prefers
``text/html`` (:func:`service.negotiation.prefers_html`: browsers) and with RDF otherwise
(Turtle for ``*/*`` or no ``Accept``; N-Triples, JSON-LD or RDF/XML when asked), always with
``Vary: Accept``, ``Content-Location`` naming the document URL of the representation sent and
``Link: <...>; rel="alternate"; type="..."`` for every other representation. One round trip
instead of two, and every response is cacheable by its URL plus ``Accept``. The document URLs
(``.html``, ``.ttl``, ``.nt``, ``.jsonld``, ``.rdf``; :mod:`service.iris`) never negotiate.
An IRI the graph does not know answers ``404`` (an HTML page with a search box and the nearest
labels for browsers; the JSON / plain-text error shape of :mod:`service.errors` otherwise).

**Per-request work.** A page runs a few small SELECTs (``service/queries/pages/*.rq``, the
entity bound by a trailing ``VALUES`` with the IRI serialised by rdflib after
:func:`service.iris.is_safe_iri`); labels come from the :class:`Catalog`, read from the store
once per dataset version (labels, kinds, periods, the search index). Rendered responses are
memoised per dataset version (``PAGE_CACHE_SIZE`` entries, 0 to turn off), so a page is built
once per version and worker; ``ETag`` (the dataset version) answers ``If-None-Match`` with 304.

**Big pages are faceted.** An indicator or a country with more than ``PAGE_MAX_FIGURES`` figures
shows an index (areas with their counts; sections of publications with theirs) and the figures
of one entry, chosen by ``?area=<IRI>`` (default: the area with most figures) /
``?section=<n>`` (default: none, the page is the overview) (:func:`_facets`; part of the memo
key and the ``ETag``), so the store reads only those figures; smaller pages are unchanged.

Duplicates: a triple that several source documents state sits in several named graphs, and a
query that asks for its graph sees it once per graph; so every query is ``DISTINCT`` and the
code groups statements by (predicate, object), listing the graphs each comes from.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
)
from markupsafe import Markup, escape
from rdflib import Literal, URIRef

from .. import queries
from ..errors import NotAcceptableError, UnknownResource
from ..iris import DOCUMENT_FORMATS, EXTENSIONS, IriScheme, is_safe_iri, is_web_iri
from ..namespaces import MIGKG
from .app import served
from .catalogue import Catalog
from .charts import Point, Series, line_chart
from .errors import html_page
from .negotiation import GRAPH_FORMATS, NotAcceptable, choose_format, prefers_html

log = logging.getLogger("migkg.pages")

bp = Blueprint("pages", __name__)

__all__ = ["bp", "Catalog", "get_catalog", "load_query", "bind", "ENTITY_FORMATS"]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
MIG = "https://w3id.org/migkg/def#"
DCT = "http://purl.org/dc/terms/"
ELI = "http://data.europa.eu/eli/ontology#"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SDMX_DIM = "http://purl.org/linked-data/sdmx/2009/dimension#"
SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#"
QB = "http://purl.org/linked-data/cube#"

#: The formats an entity's RDF description is offered in (rows of GRAPH_FORMATS).
ONTOLOGY = MIGKG + "def"
ENTITY_FORMATS = tuple(
    f for f in GRAPH_FORMATS if f.key in ("turtle", "ntriples", "jsonld", "rdfxml")
)
_EXT_OF_KEY = {key: ext for ext, (key, _) in DOCUMENT_FORMATS.items()}

#: Label predicates, best first, and the search field each one feeds.
LABEL_PREDICATES: tuple[tuple[str, str], ...] = (
    (SKOS + "prefLabel", "label"),
    (RDFS + "label", "label"),
    (DCT + "title", "title"),
    (ELI + "title", "title"),
    (MIG + "shortName", "short"),
    (SKOS + "altLabel", "alt"),
    (SKOS + "notation", "notation"),
)
_LABEL_RANK = {p: i for i, (p, _) in enumerate(LABEL_PREDICATES)}
_LABEL_FIELD = dict(LABEL_PREDICATES)
_SHORT_PREDICATES = (MIG + "shortName", SKOS + "altLabel")

#: Entry points listed on the home page, in order: (kind, heading).
ENTRY_KINDS = (
    ("authority", "Authorities"),
    ("law", "Laws and policy documents"),
    ("indicator", "Indicators"),
    ("source", "Primary sources"),
    ("organisation", "Organisations"),
    ("publication", "Publications"),
)
#: Breakdown dimensions (their total codes are filtered in breakdowns.rq).
BREAKDOWN_DIMS = (
    SDMX_DIM + "sex",
    MIG + "counterpartArea",
    MIG + "ethnicGroup",
    MIG + "permitCategory",
    MIG + "offenceType",
    MIG + "region",
    MIG + "facility",
)
_LAW_TYPES = {
    MIG + "Law",
    MIG + "Decree",
    MIG + "InternationalAgreement",
    MIG + "PolicyDocument",
    MIG + "Amendment",
    ELI + "LegalResource",
}
_PAGE_SIZE = 500
GENERAL_INFORMATION = "General Information"


# -- queries ------------------------------------------------------------------------------


def load_query(name: str) -> str:
    """The text of ``service/queries/pages/<name>.rq`` with the PREFIX block."""
    return queries.load_query("pages/" + name)


#: A comment line in a query marking where a ``VALUES`` clause for the named variables goes
#: (``#@values ?entity``): inside a group or sub-SELECT, so that aggregates and sub-SELECTs
#: are restricted before they run rather than joined with the binding afterwards.
_VALUES_MARKER = re.compile(
    r"^([ \t]*)#@values((?:[ \t]+\?[A-Za-z_][A-Za-z0-9_]*)+)[ \t]*$", re.MULTILINE
)


def _sparql_term(value) -> str:
    """An IRI (a ``str``, checked by :func:`is_safe_iri`) or an rdflib ``Literal`` as SPARQL,
    serialised by rdflib (quotes, backslashes and newlines escaped)."""
    if isinstance(value, Literal):
        return value.n3()
    if isinstance(value, str):
        if not is_safe_iri(value):
            raise ValueError(f"not a usable IRI: {value!r}")
        return URIRef(value).n3()
    raise TypeError(f"cannot bind {type(value).__name__}: only IRIs (str) and Literals")


def bind(text: str, rows: Iterable[dict[str, Any]] | None = None, /, **values) -> str:
    """``text`` with ``VALUES (?a ?b) { (<x> <y>) }`` binding IRIs (``str``) and literals
    (rdflib ``Literal``): one row from the keyword arguments, or several ``rows`` (dicts with
    the same keys).

    The clause is appended to the query, unless the query marks places with ``#@values ?a``
    comment lines: each marker becomes a ``VALUES`` clause for the variables it names (the
    rows projected on them, duplicates dropped). Every term is checked (IRIs:
    :func:`is_safe_iri`) and serialised by rdflib, so nothing from a URL reaches the query
    unescaped.

    :raises ValueError: for an IRI that cannot be written between ``<`` and ``>``.
    """
    table = [dict(row) for row in rows] if rows is not None else [values]
    if rows is not None and values:
        table = [{**values, **row} for row in table]
    names = list(table[0]) if table else list(values)
    cells = [{name: _sparql_term(row[name]) for name in names} for row in table]

    def clause(variables: list[str]) -> str:
        lines = dict.fromkeys(f"({' '.join(row[v] for v in variables)})" for row in cells)
        return f"VALUES ({' '.join('?' + v for v in variables)}) {{ {' '.join(lines)} }}"

    if _VALUES_MARKER.search(text):

        def place(match: re.Match) -> str:
            wanted = [v[1:] for v in match.group(2).split()]
            missing = [v for v in wanted if v not in names]
            if missing:
                raise ValueError(f"no value bound for {', '.join('?' + v for v in missing)}")
            return match.group(1) + clause(wanted)

        return _VALUES_MARKER.sub(place, text)
    return f"{text}\n{clause(names)}\n"


@dataclass(frozen=True)
class Term:
    """One RDF term from a SPARQL JSON result."""

    kind: str  # "uri", "literal", "bnode"
    value: str
    lang: str = ""
    datatype: str = ""

    @property
    def is_iri(self) -> bool:
        return self.kind == "uri"

    def n3ish(self) -> tuple:
        return (self.kind, self.value, self.lang, self.datatype)


def _term(binding: dict | None) -> Term | None:
    if binding is None:
        return None
    kind = binding["type"]
    if kind == "typed-literal":
        kind = "literal"
    return Term(kind, binding["value"], binding.get("xml:lang", ""), binding.get("datatype", ""))


def select(store, text: str) -> list[dict[str, Term]]:
    """Run a SELECT through the store (SPARQL JSON); rows of Terms."""
    result = store.query(text, format="json")
    data = json.loads(result.body)
    return [
        {name: _term(value) for name, value in row.items()}
        for row in data.get("results", {}).get("bindings", [])
    ]


def select_all(store, text: str, page: int) -> Iterable[dict[str, Term]]:
    """Every row of ``text``, fetched ``page`` rows at a time (the store caps result rows).

    The integers are appended as solution modifiers. The pages are not ordered (ORDER BY
    over the whole catalogue costs seconds at 50-country scale); the store is a read-only
    snapshot per dataset version, so its iteration order is stable between the pages.
    """
    offset = 0
    while True:
        rows = select(store, f"{text}\nLIMIT {int(page)} OFFSET {int(offset)}\n")
        yield from rows
        if len(rows) < page:
            return
        offset += page


class PagesState:
    """Per-app state: the catalogue of the current version and the response memo."""

    def __init__(self, cache_size: int):
        self.lock = threading.Lock()
        self.catalog: Catalog | None = None
        self.cache: OrderedDict[tuple, tuple[bytes, int, dict]] = OrderedDict()
        self.cache_size = max(0, int(cache_size))

    def remember(self, key: tuple, value: tuple[bytes, int, dict]) -> None:
        if not self.cache_size:
            return
        with self.lock:
            self.cache[key] = value
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)

    def recall(self, key: tuple):
        if not self.cache_size:
            return None
        value = self.cache.get(key)
        if value is not None:
            try:
                self.cache.move_to_end(key)
            except KeyError:
                pass
        return value


def _state() -> PagesState:
    state = current_app.extensions.get("kg_pages")
    if state is None:
        state = PagesState(current_app.config.get("PAGE_CACHE_SIZE", 2048))
        current_app.extensions["kg_pages"] = state
    return state


def get_store():
    """The store view of the generation this request is answered from."""
    return served().store


def get_scheme() -> IriScheme:
    return IriScheme(root=request.script_root if request else "")


def get_catalog() -> Catalog:
    """The catalogue of the generation this request is answered from."""
    return served().catalog


# -- presentation helpers (used by the templates) --------------------------------------------

_INTEGER_TYPES = {
    XSD + t for t in ("integer", "int", "long", "nonNegativeInteger", "positiveInteger", "short")
}
_DECIMAL_TYPES = {XSD + t for t in ("decimal", "double", "float")}


def format_number(value: str, datatype: str = "") -> str:
    """20592571 -> "20 592 571" (thin grouping as the profiles print it)."""
    try:
        if datatype in _INTEGER_TYPES or re.fullmatch(r"-?\d+", value):
            return f"{int(value):,}".replace(",", "\u202f")
        if datatype in _DECIMAL_TYPES or re.fullmatch(r"-?\d+\.\d+", value):
            whole, _, frac = value.partition(".")
            return f"{int(whole):,}".replace(",", "\u202f") + (f".{frac}" if frac else "")
    except ValueError:
        pass
    return value


def _as_float(term: Term | None) -> float | None:
    if term is None or term.kind != "literal":
        return None
    try:
        return float(term.value)
    except ValueError:
        return None


def _year_fraction(day: str) -> float | None:
    try:
        parsed = date.fromisoformat(day[:10])
    except ValueError:
        return None
    return parsed.year + (parsed.timetuple().tm_yday - 1) / 366.0


class View:
    """Helpers the templates call: labels, links and literals, every one escaped."""

    def __init__(self, catalog: Catalog, scheme: IriScheme):
        self.catalog = catalog
        self.scheme = scheme
        self._links: dict[str, Markup] = {}  # link(iri) per page: tables repeat their periods

    def label(self, iri: str | Term | None) -> str:
        if iri is None:
            return ""
        value = iri.value if isinstance(iri, Term) else iri
        return self.catalog.label(value)

    def url(self, iri: str | Term) -> str | None:
        """A local page for IRIs this dataset describes; otherwise the IRI itself when it is
        http(s) (a plain link: the server never fetches it), else None (shown as text)."""
        value = iri.value if isinstance(iri, Term) else iri
        if self.scheme.is_local(value) or self.catalog.knows(value):
            return self.scheme.page_url(value)
        if value.startswith(("http://", "https://")):
            return value
        return None

    def link(self, iri: str | Term | None, text: str | None = None) -> Markup:
        """``<a href="page">label</a>``; an empty string for None."""
        if iri is None:
            return Markup("")
        value = iri.value if isinstance(iri, Term) else iri
        if text is None:
            found = self._links.get(value)
            if found is None:
                found = self._links[value] = self._link(value, self.catalog.label(value), True)
            return found
        return self._link(value, text, False)

    def _link(self, value: str, shown: str, short_name: bool) -> Markup:
        # f-strings over escape(): the markup of Markup.format without its formatter (figure
        # tables make thousands of links)
        href = self.url(value)
        if href is None:
            return Markup(f'<span class="iri">{escape(shown)}</span>')
        short = self.catalog.short.get(value)
        extra = (
            f' <span class="short">({escape(short)})</span>'
            if short and short not in shown and short_name
            else ""
        )
        return Markup(f'<a href="{escape(href)}">{escape(shown)}</a>{extra}')

    def term(self, term: Term | None) -> Markup:
        """An object as HTML: IRIs as labelled links, literals with language or datatype."""
        if term is None:
            return Markup("")
        if term.kind == "uri":
            return self.link(term.value)
        if term.kind == "bnode":
            return Markup('<span class="bnode">[anonymous]</span>')
        shown = format_number(term.value, term.datatype) if term.datatype else term.value
        if term.lang:
            return Markup('{}<span class="lang">@{}</span>').format(shown, term.lang)
        if (
            term.datatype
            and term.datatype not in _INTEGER_TYPES | _DECIMAL_TYPES
            and term.datatype != XSD + "string"
        ):
            return Markup('{}<span class="dt">^^{}</span>').format(
                shown,
                self.catalog.label(term.datatype)
                if term.datatype.startswith(self.scheme.base)
                else _short_iri(term.datatype),
            )
        return Markup("{}").format(shown)

    def value(self, value: Term | None, published: Term | None = None) -> str:
        """A figure as published when known, else its value (labels for categorical ones)."""
        if published is not None:
            return published.value
        if value is None:
            return ""
        if value.kind == "uri":
            return self.catalog.label(value.value)
        return format_number(value.value, value.datatype)

    def kind_name(self, iri: str) -> str:
        types = self.catalog.types.get(iri, ())
        names = [
            self.catalog.label(t)
            for t in types
            if t.startswith(MIG) or not any(x.startswith(MIG) for x in types)
        ]
        return ", ".join(sorted(dict.fromkeys(names))) or self.scheme.kind(iri)


_PREFIXES = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
    RDFS: "rdfs:",
    SKOS: "skos:",
    MIG: "mig:",
    DCT: "dct:",
    ELI: "eli:",
    PROV: "prov:",
    XSD: "xsd:",
    SDMX_DIM: "sdmx-dimension:",
    SDMX_MEASURE: "sdmx-measure:",
    QB: "qb:",
    "http://purl.org/linked-data/sdmx/2009/attribute#": "sdmx-attribute:",
    "http://purl.org/linked-data/sdmx/2009/code#": "sdmx-code:",
    "http://www.w3.org/ns/org#": "org:",
    "http://www.w3.org/2006/time#": "time:",
    "http://www.w3.org/ns/dcat#": "dcat:",
    "http://www.w3.org/2002/07/owl#": "owl:",
    "http://qudt.org/vocab/unit/": "unit:",
}


def _short_iri(iri: str) -> str:
    for namespace, prefix in _PREFIXES.items():
        if iri.startswith(namespace):
            return prefix + iri[len(namespace) :]
    return iri


# -- statements ---------------------------------------------------------------------------


@dataclass
class Statement:
    predicate: str
    obj: Term
    graphs: list[str]
    nested: list[tuple[str, Term]] = field(default_factory=list)


def group_outgoing(rows: list[dict[str, Term]]) -> list[Statement]:
    """Rows of outgoing.rq -> one Statement per (predicate, object), its graphs listed."""
    found: dict[tuple, Statement] = {}
    for row in rows:
        key = (row["p"].value, row["o"].n3ish())
        statement = found.get(key)
        if statement is None:
            statement = found[key] = Statement(row["p"].value, row["o"], [])
        if row["g"].value not in statement.graphs:
            statement.graphs.append(row["g"].value)
        if row.get("bp") is not None:
            pair = (row["bp"].value, row["bo"])
            if pair not in statement.nested:
                statement.nested.append(pair)
    return list(found.values())


def _values(statements: list[Statement], predicate: str) -> list[Term]:
    return [s.obj for s in statements if s.predicate == predicate]


def _first(statements: list[Statement], predicate: str) -> Term | None:
    found = _values(statements, predicate)
    return found[0] if found else None


# -- JSON-LD (embedded in every page) -------------------------------------------------------


def _jsonld_object(term: Term) -> dict:
    if term.kind == "uri":
        return {"@id": term.value}
    if term.kind == "bnode":
        return {"@id": "_:" + term.value}
    node: dict[str, str] = {"@value": term.value}
    if term.lang:
        node["@language"] = term.lang
    elif term.datatype and term.datatype != XSD + "string":
        node["@type"] = term.datatype
    return node


def entity_jsonld(iri: str, statements: list[Statement], catalog: Catalog) -> list[dict]:
    """Expanded JSON-LD: the entity's statements and the labels of what it points to."""
    node: dict[str, Any] = {"@id": iri}
    linked: dict[str, dict] = {}
    for statement in statements:
        if statement.predicate == RDF_TYPE:
            node.setdefault("@type", []).append(statement.obj.value)
            continue
        node.setdefault(statement.predicate, []).append(_jsonld_object(statement.obj))
        if statement.obj.kind == "uri" and statement.obj.value in catalog.labels:
            linked[statement.obj.value] = {
                "@id": statement.obj.value,
                RDFS + "label": [{"@value": catalog.labels[statement.obj.value]}],
            }
        if statement.obj.kind == "bnode" and statement.nested:
            bnode: dict[str, Any] = {"@id": "_:" + statement.obj.value}
            for predicate, value in statement.nested:
                if predicate == RDF_TYPE:
                    bnode.setdefault("@type", []).append(value.value)
                else:
                    bnode.setdefault(predicate, []).append(_jsonld_object(value))
            linked["_:" + statement.obj.value] = bnode
    return [node, *linked.values()]


# -- responses ----------------------------------------------------------------------------


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


def _finish(body: bytes, status: int, headers: dict, *, negotiated: bool) -> Response:
    response = Response(body, status, headers=headers)
    if negotiated:
        response.vary.add("Accept")
    if status == 200:
        response.headers["Cache-Control"] = (
            f"public, max-age={int(current_app.config.get('CACHE_MAX_AGE', 300))}"
        )
        response.make_conditional(request)
    return response


def _etag(version: str | None, *key: str) -> str:
    digest = hashlib.blake2b("\0".join(key).encode("utf-8"), digest_size=8).hexdigest()
    return f"{version or 'none'}-{digest}"


@html_page("UNKNOWN_RESOURCE")
def _unknown_page(error: UnknownResource) -> tuple[str, dict[str, Any]]:
    """The HTML 404 of an unknown IRI (:mod:`service.web.errors` answers everyone else in the
    common shape): a search box and the nearest names."""
    catalog = get_catalog()
    text = error.extra.get("text", "")
    hits = catalog.index.suggest(text) if catalog.index and text else []
    return "pages/not_found.html", {"view": View(catalog, get_scheme()), "text": text, "hits": hits}


def _not_found(iri: str, path: str, *, html: bool = False):
    slug = path.split("/", 2)[-1] if "/" in path else path
    raise UnknownResource(
        f"nothing is known about <{iri}> in this dataset",
        iri=iri,
        text=slug.replace("-", " ").replace("/", " "),
        html=html,
    )


@bp.route("/id/<path:rest>")
def entity_id(rest: str):
    """An entity IRI ``{MIGKG}id/...`` (served at ``/id/...`` on any host), or one of its document URLs (``.ttl``, ...)."""
    return _dereference("id/" + rest)


@bp.route("/graph/<path:rest>")
def entity_graph(rest: str):
    """A named graph's IRI ``{MIGKG}graph/...`` (its description), or a document URL."""
    return _dereference("graph/" + rest)


def _dereference(path: str):
    scheme = get_scheme()
    stem, ext = scheme.split_document(path)
    iri = IriScheme().iri_for(stem)
    if iri is None:
        shown = path if len(path) <= 200 else path[:200] + "…"
        raise UnknownResource(
            f"/{shown} is not an address of this dataset (IRIs look like /id/<kind>/<slug>)",
            text=shown.replace("/", " "),
            html=ext == "html",
        )
    return _respond(iri, stem, ext)


@bp.route("/def")
def ontology_document():
    """The ontology document ``{MIGKG}def`` (where the w3id.org rule for ``def`` and its terms
    ``def#...`` sends): its page for browsers (303), the whole ontology graph as RDF otherwise,
    negotiated like an entity (``?format=ttl`` and the other extensions choose one)."""
    from flask import redirect

    ext = request.args.get("format") or None
    if ext is not None and ext not in DOCUMENT_FORMATS:
        abort(400, description=f"format must be one of {', '.join(DOCUMENT_FORMATS)}")
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
    """Any IRI of the graph that is not local (ontology terms, units, codes): ``?iri=``."""
    iri = request.args.get("iri", "")
    ext = request.args.get("format") or None
    if ext is not None and ext not in DOCUMENT_FORMATS:
        abort(400, description=f"format must be one of {', '.join(DOCUMENT_FORMATS)}")
    if not is_web_iri(iri):
        abort(400, description="iri must be an absolute http: or https: IRI")
    path = IriScheme().local_path(iri)
    if path is not None:
        from flask import redirect

        return redirect(
            get_scheme().page_url(iri) if ext is None else get_scheme().document_url(iri, ext), 301
        )
    return _respond(iri, iri, ext)


def _respond(iri: str, path: str, ext: str | None):
    negotiated = ext is None
    if negotiated:
        accept = request.headers.get("Accept")
        if prefers_html(accept):
            ext = "html"
        else:
            try:
                ext = _EXT_OF_KEY[choose_format(ENTITY_FORMATS, accept).key]
            except NotAcceptable as exc:
                raise NotAcceptableError(
                    str(exc), supported=exc.supported + ["text/html"]
                ) from None
    catalog = get_catalog()
    state = _state()
    scheme = get_scheme()
    facets = _facets(iri, ext, catalog)
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
            "ETag": f'"{_etag(catalog.version, iri, ext, *_facet_strings(facets))}"',
        }
        cached = (body, 200, headers)
        state.remember(key, cached)
    body, status, headers = cached
    return _finish(body, status, dict(headers), negotiated=negotiated)


def _is_country(iri: str, types: Iterable[str], catalog: Catalog) -> bool:
    return MIG + "Country" in types or (
        catalog.scheme.kind(iri) == "area" and iri in catalog.countries
    )


def _facets(iri: str, ext: str, catalog: Catalog) -> dict[str, Any]:
    """The facet parameter of a big page, normalised: ``area`` (an IRI) on an indicator's page,
    ``section`` (a positive integer) on a country's; absent or empty = the default. Any other
    parameter, and these on other pages or formats, is ignored (and not part of the memo key).

    :raises UnknownResource: (404) for a value that cannot name an area or a section.
    """
    if ext != "html":
        return {}
    types = catalog.types.get(iri, ())
    facets: dict[str, Any] = {}
    if MIG + "Indicator" in types:
        area = request.args.get("area", "").strip()
        if area:
            if not is_safe_iri(area):
                _no_such_facet(iri, catalog, "the area parameter is not an IRI")
            facets["area"] = area
    if _is_country(iri, types, catalog):
        section = request.args.get("section", "").strip()
        if section:
            if (
                len(section) > 6
                or not (section.isascii() and section.isdigit())
                or int(section) < 1
            ):
                _no_such_facet(iri, catalog, "the section parameter is not a section number")
            facets["section"] = int(section)
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
        _not_found(iri, path)
    return result.body, result.content_type


# -- HTML entity pages ------------------------------------------------------------------------


def render_entity(
    iri: str, path: str, catalog: Catalog, scheme: IriScheme, facets: dict[str, Any] | None = None
) -> bytes:
    """The HTML page of ``iri``: generic statements plus the sections of its kind; ``facets``
    (see :func:`_facets`) selects the part of a big indicator or country page shown.

    :raises UnknownResource: when the graph has no statement about ``iri``, or a facet
        parameter names nothing on the page.
    """
    facets = facets or {}
    store = get_store()
    outgoing = group_outgoing(select(store, bind(load_query("outgoing"), entity=iri)))
    types = set(catalog.types.get(iri, ())) | {
        s.obj.value for s in outgoing if s.predicate == RDF_TYPE
    }
    # figures per facetable scope (counted at build time, service.build.catalogue): a page with
    # more than PAGE_MAX_FIGURES is faceted, and its "Referenced by" leaves out those figures
    # (the facet index reaches every one of them)
    figure_counts: dict[str, int] = {}
    if MIG + "Indicator" in types:
        figure_counts[MIG + "indicator"] = catalog.figures(iri, "indicator")
    if _is_country(iri, types, catalog):
        figure_counts[SDMX_DIM + "refArea"] = catalog.figures(iri, "country")
    faceted = [(p, n) for p, n in figure_counts.items() if n > _max_figures()]
    if scheme.kind(iri) == "source":
        # a source page lists its figures (the first SOURCE_PAGE_FIGURES, with links to all of
        # them), so "Referenced by" leaves them out instead of listing them a second time
        count = catalog.figures(iri, "source")
        figure_counts[PROV + "hadPrimarySource"] = count
        faceted = [(PROV + "hadPrimarySource", count)] if count else []
        incoming_rows = select(store, bind(load_query("incoming-source"), entity=iri))
    elif faceted:
        incoming_rows = select(
            store,
            bind(
                load_query("incoming-except"),
                entity=iri,
                except1=faceted[0][0],
                except2=faceted[-1][0],
            ),
        )
    else:
        incoming_rows = select(store, bind(load_query("incoming"), entity=iri))
    if not outgoing and not incoming_rows:
        _not_found(iri, path, html=True)
    view = View(catalog, scheme)
    kind = scheme.kind(iri)
    incoming = _group_incoming(incoming_rows, catalog)
    context: dict[str, Any] = {
        "iri": iri,
        "kind": kind,
        "types": sorted(types),
        "view": view,
        "label": catalog.label(iri),
        "outgoing": outgoing,
        "incoming": incoming,
        "incoming_capped": len(incoming_rows) > 1000,
        "incoming_faceted": faceted,
        "documents": [
            (ext, DOCUMENT_FORMATS[ext][1], scheme.document_url(iri, ext)) for ext in EXTENSIONS
        ],
        "describe_url": scheme.describe_url(iri),
        "editor_url": scheme.editor_url(iri),
        "jsonld": entity_jsonld(iri, outgoing, catalog),
        "names": _names(outgoing),
        "description": [
            s.obj
            for s in outgoing
            if s.predicate
            in (DCT + "description", SKOS + "definition", SKOS + "note", RDFS + "comment")
        ],
        "graph_stats": None,
        "sections": [],
    }
    if QB + "Observation" in types:
        context["sections"].append("observation")
        context.update(_observation(store, iri, outgoing, catalog))
    if kind in ("authority", "organisation") or types & {
        "http://www.w3.org/ns/org#Organization",
        "http://www.w3.org/ns/org#FormalOrganization",
    }:
        context["sections"].append("authority")
        context.update(_authority(store, iri, catalog))
    if types & _LAW_TYPES or kind == "law":
        context["sections"].append("law")
        context.update(_law(store, iri, outgoing, catalog))
    if MIG + "Indicator" in types:
        context["sections"].append("indicator")
        context.update(
            _indicator(
                store, iri, catalog, view, facets.get("area"), figure_counts[MIG + "indicator"]
            )
        )
    if _is_country(iri, types, catalog):
        context["sections"].append("country")
        context.update(
            _country(
                store,
                iri,
                catalog,
                view,
                facets.get("section"),
                figure_counts[SDMX_DIM + "refArea"],
            )
        )
    if kind == "source":
        context["sections"].append("source")
        context.update(
            _source(store, iri, catalog, scheme, figure_counts.get(PROV + "hadPrimarySource", 0))
        )
    if MIG + "Publication" in types:
        context["sections"].append("publication")
        context.update(_publication(store, iri, catalog))
    if kind == "graph":
        meta = get_store().metadata() or {}
        context["graph_stats"] = next((g for g in meta.get("graphs", []) if g["iri"] == iri), None)
    return render_template("pages/entity.html", **context).encode("utf-8")


def _names(outgoing: list[Statement]) -> list[tuple[str, Term]]:
    names = []
    for predicate, _ in LABEL_PREDICATES:
        for statement in outgoing:
            if statement.predicate == predicate and statement.obj.kind == "literal":
                names.append((_short_iri(predicate), statement.obj))
    return names


@dataclass
class IncomingGroup:
    predicate: str
    subjects: list[str]


def _group_incoming(rows: list[dict[str, Term]], catalog: Catalog) -> list[IncomingGroup]:
    groups: dict[str, dict[str, None]] = defaultdict(dict)
    for row in rows[:1000]:
        groups[row["p"].value][row["s"].value] = None
    return [
        IncomingGroup(p, sorted(subjects, key=lambda s: (catalog.label(s).casefold(), s)))
        for p, subjects in sorted(groups.items(), key=lambda item: _short_iri(item[0]))
    ]


@dataclass
class Figure:
    """One figure as the tables show it: always with its source and period."""

    obs: str
    value: Term | None
    published: Term | None = None
    indicator: str = ""
    area: str = ""
    period: str = ""
    source: str = ""
    publication: str = ""
    locator: str = ""
    unit: str = ""
    breakdown: tuple[tuple[str, str], ...] = ()
    start: str = ""
    order: int = 0  # mig:documentOrder: the figure's place in its publication


def _figures(rows, catalog: Catalog, entity_var: str | None = None, **fixed) -> list[Figure]:
    figures: dict[str, Figure] = {}
    for row in rows:
        obs = row["obs"].value
        figure = figures.get(obs)
        if figure is None:

            def get(name, row=row):
                term = row.get(name)
                return term.value if term is not None else fixed.get(name, "")

            figure = Figure(
                obs,
                row.get("value"),
                row.get("published"),
                get("indicator"),
                get("area"),
                get("period"),
                get("source"),
                get("publication"),
                get("locator"),
                get("unit"),
            )
            figure.start = catalog.period_start(figure.period)
            if row.get("order") is not None:
                figure.order = int(row["order"].value)
            figures[obs] = figure
        elif row.get("locator") is not None and row["locator"].value not in figure.locator.split(
            "; "
        ):
            figure.locator = "; ".join(filter(None, [figure.locator, row["locator"].value]))
    return list(figures.values())


def _attach_breakdowns(store, figures: list[Figure], query: str) -> None:
    """Set ``breakdown`` on ``figures`` from ``query`` (a bound breakdowns-*.rq)."""
    if figures:
        _set_breakdowns(figures, select(store, query))


def _set_breakdowns(figures: list[Figure], rows) -> None:
    """Set ``breakdown`` on ``figures`` from rows with ?obs, ?dim and ?code (unbound: a total)."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        if row.get("dim") is not None and row.get("code") is not None:
            found[row["obs"].value].append((row["dim"].value, row["code"].value))
    order = {dim: i for i, dim in enumerate(BREAKDOWN_DIMS)}
    for figure in figures:
        codes = found.get(figure.obs)
        if codes:
            figure.breakdown = tuple(
                sorted(set(codes), key=lambda dc: (order.get(dc[0], 99), dc[1]))
            )


def _stored_term(kind, value, lang, datatype) -> Term | None:
    return Term(kind, value, lang or "", datatype or "") if kind else None


def _rival_row(row: tuple) -> dict[str, Term | None]:
    """A row of the catalogue's rival-figures table as the page queries' rows look."""
    obs, *value, source, publication = row[0], *row[1:9], row[9], row[10]
    return {
        "obs": Term("uri", obs),
        "value": _stored_term(*value[:4]),
        "published": _stored_term(*value[4:]),
        "source": Term("uri", source) if source else None,
        "publication": Term("uri", publication) if publication else None,
    }


def _observation(store, iri, outgoing, catalog) -> dict:
    rows = select(store, bind(load_query("observation"), entity=iri))
    # the same figure from other sources: materialised by the build (catalogue, rival table)
    siblings = _figures([_rival_row(row) for row in catalog.rivals(iri)], catalog)
    get = lambda p: _first(outgoing, p)  # noqa: E731
    dims = [
        (s.predicate, s.obj)
        for s in outgoing
        if s.predicate.startswith(SDMX_DIM)
        or s.predicate in BREAKDOWN_DIMS
        or s.predicate == MIG + "indicator"
    ]
    provenance = {
        "publications": sorted({r["publication"].value for r in rows if r.get("publication")}),
        "pub_publishers": sorted({r["pubPublisher"].value for r in rows if r.get("pubPublisher")}),
        "pub_dates": sorted(
            {
                (r.get("pubIssued") or r.get("pubModified")).value
                for r in rows
                if r.get("pubIssued") or r.get("pubModified")
            }
        ),
        "sources": sorted({r["source"].value for r in rows if r.get("source")}),
        "source_publishers": sorted(
            {r["sourcePublisher"].value for r in rows if r.get("sourcePublisher")}
        ),
        "datasets": sorted({r["dataset"].value for r in rows if r.get("dataset")}),
        "locators": [s.obj.value for s in outgoing if s.predicate == MIG + "locator"],
    }
    return {
        "obs_value": get(SDMX_MEASURE + "obsValue"),
        "obs_published": get(MIG + "publishedValue"),
        "obs_unit": get("http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure"),
        "obs_period": get(SDMX_DIM + "refPeriod"),
        "obs_area": get(SDMX_DIM + "refArea"),
        "obs_indicator": get(MIG + "indicator"),
        "obs_dims": dims,
        "obs_qualifiers": _values(outgoing, MIG + "qualifier"),
        "provenance": provenance,
        "siblings": siblings,
    }


def _sort_period(catalog: Catalog, period: str | None) -> str:
    return catalog.period_start(period) or "9999"


def _authority(store, iri, catalog) -> dict:
    functions = select(store, bind(load_query("authority-functions"), entity=iri))
    roles = select(store, bind(load_query("authority-roles"), entity=iri))
    figure_rows = select(store, bind(load_query("publisher-figures"), entity=iri))
    figures = _figures(figure_rows[:200], catalog)

    def key(row, var):
        term = row.get(var)
        return (_sort_period(catalog, term.value if term else None),)

    functions.sort(key=lambda r: (key(r, "period"), catalog.label(r["function"].value)))
    roles.sort(key=lambda r: (key(r, "period"), catalog.label(r["role"].value)))
    by_period: dict[str, list] = defaultdict(list)
    for row in functions:
        by_period[row["period"].value if row.get("period") else ""].append(row)
    return {
        "functions": functions,
        "function_periods": list(by_period.items()),
        "roles": roles,
        "produced": figures,
        "produced_capped": len(figure_rows) > 200,
    }


def _law(store, iri, outgoing, catalog) -> dict:
    related: dict[str, dict[str, Any]] = {}
    for row in select(store, bind(load_query("law-related"), entity=iri)):
        target = row["target"].value
        entry = related.setdefault(target, {"rel": row["rel"].value, "iri": target, "facts": {}})
        entry["facts"].setdefault(row["p"].value, [])
        if row["v"] not in entry["facts"][row["p"].value]:
            entry["facts"][row["p"].value].append(row["v"])
    groups: dict[str, list] = defaultdict(list)
    for entry in related.values():
        groups[entry["rel"]].append(entry)
    return {"law_related": dict(groups)}


def _group_table(figures: list[Figure], catalog: Catalog, key_fields: tuple[str, ...]):
    """Side-by-side rows: one row per key (area, period, breakdown, ...), one column per
    source; each cell lists that source's figures for the key."""
    sources = sorted({f.source for f in figures}, key=lambda s: catalog.label(s).casefold())
    rows: dict[tuple, dict[str, list[Figure]]] = {}
    for figure in figures:
        key = tuple(getattr(figure, name) for name in key_fields)
        rows.setdefault(key, defaultdict(list))[figure.source].append(figure)
    return sources, rows


def _chart_series(figures: list[Figure], catalog: Catalog, view: View) -> list[Series]:
    series: dict[str, Series] = {}
    for figure in figures:
        y = _as_float(figure.value)
        x = _year_fraction(figure.start) if figure.start else None
        if y is None or x is None:
            continue
        name = catalog.short.get(figure.source) or catalog.label(figure.source) or "no source"
        text = (
            f"{name}: {view.value(figure.value, figure.published)} ({catalog.label(figure.period)})"
        )
        series.setdefault(figure.source, Series(name)).points.append(
            Point(x, y, text, view.url(figure.obs))
        )
    return [series[s] for s in sorted(series, key=lambda s: series[s].name.casefold())]


# -- the indicator and country pages, faceted when big ---------------------------------------


def _max_figures() -> int:
    """``PAGE_MAX_FIGURES``: an indicator or country page with more figures is faceted."""
    return max(0, int(current_app.config.get("PAGE_MAX_FIGURES", 500)))


def _facet_url(scheme: IriScheme, iri: str, **params) -> str:
    """The page of ``iri`` with a facet parameter (``?area=<IRI>``, ``?section=<n>``)."""
    url = scheme.page_url(iri)
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _no_such_facet(iri: str, catalog: Catalog, message: str):
    raise UnknownResource(
        f"{message} (the page of <{iri}> lists the valid ones)",
        iri=iri,
        text=catalog.label(iri),
        html=True,
    )


def _indicator_area(iri, area, figures, catalog, view, position) -> dict:
    """One area's block of the indicator page: its side-by-side table and charts."""
    sources, table = _group_table(figures, catalog, ("breakdown", "period"))
    charts = []
    totals = [f for f in figures if not f.breakdown]
    for unit in sorted({f.unit for f in totals}):
        series = _chart_series([f for f in totals if f.unit == unit], catalog, view)
        if series:
            title = f"{catalog.label(iri)}, {catalog.label(area)}"
            charts.append(
                line_chart(
                    series,
                    title=title,
                    unit=catalog.label(unit) if unit else "",
                    chart_id=f"chart-{position}-{len(charts)}",
                )
            )
    return {
        "area": area,
        "count": len(figures),
        "sources": sources,
        "table": table,
        "charts": charts,
    }


def _sort_indicator_figures(figures: list[Figure], catalog: Catalog) -> None:
    figures.sort(
        key=lambda f: (
            catalog.label(f.area).casefold(),
            f.breakdown,
            f.start or "9999",
            f.period,
            catalog.label(f.source).casefold(),
            f.obs,
        )
    )


def _indicator(store, iri, catalog, view, area: str | None, total: int) -> dict:
    """Figures of an indicator by area. Up to ``PAGE_MAX_FIGURES`` figures: every area, each
    with its table and charts. More: an index of the areas (figures per area, from
    indicator-areas.rq) and the figures of one area only, read by indicator-area-figures.rq;
    the ``area`` parameter (an area IRI) selects it, by default the area with the most figures
    (ties by label).

    :raises UnknownResource: (404) when ``area`` is given and the indicator has no figure for
        it, faceted or not (so a wrong link never shows a page that looks right, and unknown
        parameters never fill the page memo).
    """
    if total <= _max_figures():
        rows = select(store, bind(load_query("indicator-figures"), entity=iri))
        figures = _figures(rows, catalog, indicator=iri)
        _attach_breakdowns(store, figures, bind(load_query("breakdowns-indicator"), entity=iri))
        _sort_indicator_figures(figures, catalog)
        by_area: dict[str, list[Figure]] = defaultdict(list)
        for figure in figures:
            by_area[figure.area].append(figure)
        if area is not None and area not in by_area:
            _no_such_facet(iri, catalog, f"{catalog.label(iri)} has no figures for <{area}>")
        areas = []
        for each in sorted(by_area, key=lambda a: (-len(by_area[a]), catalog.label(a).casefold())):
            areas.append(_indicator_area(iri, each, by_area[each], catalog, view, len(areas)))
        return {
            "ind_areas": areas,
            "ind_count": len(figures),
            "ind_capped": len(rows) >= 10000,
            "ind_facets": None,
        }
    counts = {
        row["area"].value: int(row["figures"].value)
        for row in select(store, bind(load_query("indicator-areas"), entity=iri))
    }
    if area is None and counts:
        area = min(counts, key=lambda a: (-counts[a], catalog.label(a).casefold(), a))
    elif area not in counts:
        _no_such_facet(iri, catalog, f"{catalog.label(iri)} has no figures for <{area}>")
    shown, capped = [], False
    if area is not None:
        rows = select(store, bind(load_query("indicator-area-figures"), entity=iri, area=area))
        figures = _figures(rows, catalog, indicator=iri, area=area)
        _set_breakdowns(figures, rows)
        _sort_indicator_figures(figures, catalog)
        shown, capped = [_indicator_area(iri, area, figures, catalog, view, 0)], len(rows) >= 10000
    index = [
        {
            "area": a,
            "count": counts[a],
            "selected": a == area,
            "url": _facet_url(view.scheme, iri, area=a),
        }
        for a in sorted(counts, key=lambda a: (catalog.label(a).casefold(), a))
    ]
    return {
        "ind_areas": shown,
        "ind_count": sum(counts.values()),
        "ind_capped": capped,
        "ind_facets": {"index": index, "selected": area},
    }


def _is_general(locator: str) -> bool:
    return any(part.startswith(GENERAL_INFORMATION) for part in locator.split("; "))


def _general_blocks(general: list[Figure], catalog: Catalog) -> list[dict]:
    """The General Information block: its figures by heading, then indicator."""
    headings: dict[str, list[Figure]] = defaultdict(list)
    for figure in general:
        locator = next(p for p in figure.locator.split("; ") if p.startswith(GENERAL_INFORMATION))
        heading = locator.partition(":")[2].strip() or GENERAL_INFORMATION
        headings[heading].append(figure)
    blocks = []
    for heading, items in headings.items():
        by_indicator: dict[str, list[Figure]] = defaultdict(list)
        for figure in sorted(
            items, key=lambda f: (f.order, catalog.label(f.source).casefold(), f.start, f.obs)
        ):
            by_indicator[figure.indicator].append(figure)
        blocks.append(
            {
                "heading": heading,
                "indicators": list(by_indicator.items()),
                "order": min(f.order for f in items),
            }
        )
    # in the publication's order (mig:documentOrder), as the 2024 page shows the block
    blocks.sort(key=lambda b: (b["order"], b["heading"].casefold()))
    return blocks


def _sort_section_figures(figures: list[Figure], catalog: Catalog) -> None:
    figures.sort(key=lambda f: (catalog.label(f.indicator).casefold(), f.breakdown, f.start, f.obs))


def _country(store, iri, catalog, view, section: int | None, total: int) -> dict:
    """A country's General Information block, its figures by publication and section, its
    authorities by role and its key laws.

    Up to ``PAGE_MAX_FIGURES`` figures: every section in full. More: the General Information
    block as always (its figures read by their sections only), then an index of the sections
    (country-sections.rq; publication, locator and count, in the order the full page lists
    them) and the figures of one section, the ``section`` parameter's (its 1-based place in
    the index; by default none: the overview).

    :raises UnknownResource: (404) when ``section`` is given and is not a place in the index,
        faceted or not.
    """
    if total <= _max_figures():
        context = _country_all(store, iri, catalog, view)
        if section is not None and section > len(context["country_sections"]):
            _no_such_facet(iri, catalog, f"{catalog.label(iri)} has no section {section}")
    else:
        context = _country_faceted(store, iri, catalog, view, section, total)
    roles = select(store, bind(load_query("country-roles"), entity=iri))
    roles_by: dict[str, list] = defaultdict(list)
    for row in sorted(roles, key=lambda r: catalog.label(r["member"].value).casefold()):
        roles_by[row["role"].value].append(row)
    laws = select(store, bind(load_query("country-laws"), entity=iri))
    law_rows: dict[str, dict] = {}
    for row in laws:
        entry = law_rows.setdefault(
            row["law"].value,
            {"law": row["law"].value, "types": set(), "date": "", "sources": set()},
        )
        entry["types"].add(row["type"].value)
        when = row.get("date") or row.get("year")
        if when:
            entry["date"] = when.value
        if row.get("publication"):
            entry["sources"].add(row["publication"].value)
    law_list = sorted(
        law_rows.values(), key=lambda e: (e["date"] or "9999", catalog.label(e["law"]).casefold())
    )
    context.update(
        {
            "roles_by": sorted(roles_by.items(), key=lambda kv: catalog.label(kv[0]).casefold()),
            "country_laws": law_list,
        }
    )
    return context


def _country_all(store, iri, catalog, view) -> dict:
    """Every figure of the country (country-figures.rq), in the General Information block or
    in its sections."""
    rows = select(store, bind(load_query("country-figures"), entity=iri))
    figures = _figures(rows, catalog, area=iri)
    _attach_breakdowns(store, figures, bind(load_query("breakdowns-area"), entity=iri))
    general = [f for f in figures if _is_general(f.locator)]
    sections: dict[tuple[str, str], list[Figure]] = defaultdict(list)
    general_ids = {f.obs for f in general}
    for figure in figures:
        if figure.obs in general_ids:
            continue
        for locator in figure.locator.split("; ") if figure.locator else [""]:
            sections[(figure.publication, locator)].append(figure)
    section_list = []
    for (publication, locator), items in sorted(
        sections.items(),
        key=lambda kv: (catalog.label(kv[0][0]).casefold(), _section_key(kv[0][1])),
    ):
        _sort_section_figures(items, catalog)
        section_list.append({"publication": publication, "locator": locator, "figures": items})
    return {
        "general_blocks": _general_blocks(general, catalog),
        "general_count": len(general),
        "country_sections": section_list,
        "country_count": len(figures),
        "country_capped": len(rows) >= 10000,
        "country_facets": None,
    }


def _literal(term: Term) -> Literal:
    return Literal(term.value, lang=term.lang or None, datatype=term.datatype or None)


def _country_faceted(store, iri, catalog, view, section: int | None, total: int) -> dict:
    """The General Information figures and one section's, each read by their sections only."""
    counts: dict[tuple[str, str], int] = {}
    terms: dict[tuple[str, str], Term] = {}
    for row in select(store, bind(load_query("country-sections"), entity=iri)):
        key = (row["publication"].value, row["locator"].value)
        counts[key] = counts.get(key, 0) + int(row["figures"].value)
        terms[key] = row["locator"]
    general_keys = {k for k in counts if k[1].startswith(GENERAL_INFORMATION)}
    general: list[Figure] = []
    if general_keys:
        general, _ = _section_figures(
            store, iri, catalog, "country-general-figures", sorted(general_keys), terms
        )
        general = [f for f in general if _is_general(f.locator)]
        # as on the full page, a General Information figure is not listed in its other sections
        for figure in general:
            for part in figure.locator.split("; "):
                key = (figure.publication, part)
                if key in counts and key not in general_keys:
                    counts[key] -= 1
    keys = sorted(
        (k for k in counts if k not in general_keys and counts[k] > 0),
        key=lambda k: (catalog.label(k[0]).casefold(), _section_key(k[1]), k[0]),
    )
    if section is not None and section > len(keys):
        _no_such_facet(iri, catalog, f"{catalog.label(iri)} has no section {section}")
    chosen = None
    # Without a section parameter the page is the overview (General Information, authorities,
    # laws and the index): reading a default section as well cost a third of the page's time
    # at 50-country scale, for figures the reader had not asked for.
    if keys and section is not None:
        number = section
        key = keys[number - 1]
        found, matched = _section_figures(
            store, iri, catalog, "country-section-figures", [key], terms
        )
        general_ids = {f.obs for f in general}
        items = [f for f in found if key in matched[f.obs] and f.obs not in general_ids]
        _sort_section_figures(items, catalog)
        chosen = {"n": number, "publication": key[0], "locator": key[1], "figures": items}
    index = [
        {
            "n": n,
            "publication": k[0],
            "locator": k[1],
            "count": counts[k],
            "selected": chosen is not None and n == chosen["n"],
            "url": _facet_url(view.scheme, iri, section=n),
        }
        for n, k in enumerate(keys, start=1)
    ]
    return {
        "general_blocks": _general_blocks(general, catalog),
        "general_count": len(general),
        "country_sections": [chosen] if chosen else [],
        "country_count": total,
        "country_capped": False,
        "country_facets": {"index": index, "selected": chosen},
    }


def _section_figures(store, iri, catalog, query, keys, terms):
    """The figures of the area filed under the sections ``keys`` ((publication, locator)),
    with their breakdowns, and the sections each was matched by."""
    rows = [
        {"publication": publication, "section": _literal(terms[(publication, locator)])}
        for publication, locator in keys
    ]
    found = select(store, bind(load_query(query), rows, entity=iri))
    matched: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in found:
        matched[row["obs"].value].add((row["publication"].value, row["section"].value))
    figures = _figures(found, catalog, area=iri)
    _set_breakdowns(figures, found)
    return figures, matched


def _section_key(locator: str) -> tuple:
    numbers = [int(n) for n in re.findall(r"\d+", locator)]
    return (0 if locator.startswith("§") else 1, numbers, locator)


#: A source page lists at most this many of its figures (or PAGE_MAX_FIGURES if lower).
SOURCE_PAGE_FIGURES = 200


def _source(store, iri, catalog, scheme: IriScheme, total: int) -> dict:
    """The figures of a primary source: all of them up to ``SOURCE_PAGE_FIGURES`` (or
    ``PAGE_MAX_FIGURES`` if lower), else that many with links to every one
    (source-all-figures.rq, run by the endpoint as a table or CSV)."""
    shown = min(SOURCE_PAGE_FIGURES, _max_figures())
    rows = select(store, bind(load_query("source-figures"), entity=iri) + f"LIMIT {shown + 1}\n")
    figures = _figures(rows[:shown], catalog, source=iri)
    figures.sort(
        key=lambda f: (
            catalog.label(f.indicator).casefold(),
            catalog.label(f.area).casefold(),
            f.start,
            f.obs,
        )
    )
    everything = bind(load_query("source-all-figures"), source=iri)
    return {
        "source_figures": figures,
        "source_capped": len(rows) > shown,
        "source_total": total,
        "source_shown": shown,
        "source_all_html": scheme.query_url(everything, "html"),
        "source_all_csv": scheme.query_url(everything, "csv"),
    }


def _publication(store, iri, catalog) -> dict:
    rows = select(store, bind(load_query("publication-figures"), entity=iri))
    figures = _figures(rows[:2000], catalog, publication=iri)
    sections: dict[str, list[Figure]] = defaultdict(list)
    for figure in figures:
        for locator in figure.locator.split("; ") if figure.locator else [""]:
            sections[locator].append(figure)
    ordered = []
    for locator in sorted(sections, key=_section_key):
        items = sorted(
            sections[locator], key=lambda f: (catalog.label(f.indicator).casefold(), f.start, f.obs)
        )
        ordered.append((locator, items))
    return {"pub_sections": ordered, "pub_count": len(figures), "pub_capped": len(rows) > 2000}


# -- home, browse, search ------------------------------------------------------------------------


@bp.route("/")
def home():
    """What the dataset is, its size, entry points and example queries."""
    catalog = get_catalog()
    scheme = get_scheme()
    state = _state()
    key = (catalog.version, scheme.root, "/", "home")
    cached = state.recall(key)
    if cached is None:
        meta = get_store().metadata() or {}
        entries = [(kind, heading, catalog.by_kind.get(kind, [])) for kind, heading in ENTRY_KINDS]
        authorities = [i for i in catalog.by_kind.get("authority", [])]
        body = render_template(
            "pages/home.html",
            view=View(catalog, scheme),
            meta=meta,
            entries=entries,
            authorities=authorities,
            countries=catalog.countries,
            kinds=sorted((k, len(v)) for k, v in catalog.by_kind.items()),
            examples=current_app.extensions.get("kg_examples", []),
        ).encode("utf-8")
        cached = (
            body,
            200,
            {
                "Content-Type": "text/html; charset=utf-8",
                "ETag": f'"{_etag(catalog.version, "home")}"',
            },
        )
        state.remember(key, cached)
    body, status, headers = cached
    return _finish(body, status, dict(headers), negotiated=False)


@bp.route("/browse")
@bp.route("/browse/<kind>")
def browse(kind: str | None = None):
    """Every entity by kind (the crawler's guarantee that everything is reachable)."""
    catalog = get_catalog()
    scheme = get_scheme()
    view = View(catalog, scheme)
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
    pages = max(1, -(-len(iris) // _PAGE_SIZE))
    if page > pages:
        abort(404, description=f"page {page} of {pages}")
    shown = iris[(page - 1) * _PAGE_SIZE : page * _PAGE_SIZE]
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
    text = request.args.get("q", "")[:200]
    kind = request.args.get("kind") or None
    hits = catalog.index.search(text, limit=100, kind=kind) if text.strip() else []
    return render_template(
        "pages/search.html", view=View(catalog, get_scheme()), text=text, hits=hits, kind=kind
    )


@bp.route("/search.json")
def search_json():
    """Autocomplete: ``?q=`` (and optional ``kind``, ``limit`` <= 50) -> JSON results."""
    catalog = get_catalog()
    text = request.args.get("q", "")[:200]
    kind = request.args.get("kind") or None
    try:
        limit = min(50, max(1, int(request.args.get("limit", "10"))))
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
    return response


# -- linksets ---------------------------------------------------------------------------------


@bp.route("/linksets")
def linksets():
    """The linksets of the links graph: target, predicate, count, date and method."""
    catalog = get_catalog()
    rows = select(get_store(), load_query("linksets"))
    return render_template("pages/linksets.html", view=View(catalog, get_scheme()), rows=rows)


def init_app(app) -> None:
    """Register the blueprint (called by :func:`service.create_app`)."""
    app.register_blueprint(bp)
    app.extensions["kg_pages"] = PagesState(app.config.get("PAGE_CACHE_SIZE", 2048))
    app.jinja_env.globals.setdefault("escape", escape)
