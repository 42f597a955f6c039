"""Blueprint ``sparql``: the SPARQL 1.1 Protocol endpoint and the descriptions around it.

SPARQL 1.1 Protocol: https://www.w3.org/TR/sparql11-protocol/ (query operation only: this
endpoint is read-only). Service Description: https://www.w3.org/TR/sparql11-service-description/.
VoID: https://www.w3.org/TR/void/.

Routes:

* ``/sparql`` — ``GET ?query=``, form ``POST``, ``POST application/sparql-query``; without a
  query, the HTML editor for browsers and the Service Description for RDF clients;
* ``/sparql/examples`` — the catalogue of example queries (``service/queries/examples``);
* ``/.well-known/void`` — VoID description of the dataset;
* ``/healthz`` — store reachable, triple count, dataset version (JSON);
* ``/assets/yasgui/<file>`` — the locally installed YASGUI build (never a CDN).

Queries are never parsed here: :mod:`service.store.querytext` answers the few questions asked
before running one, and the store returns bytes already serialised by Oxigraph.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    send_from_directory,
)
from werkzeug.datastructures import MultiDict
from werkzeug.http import http_date

from ..errors import (
    MalformedQuery,
    NotAcceptableError,
    ProtocolError,
    QueryTooLarge,
    ServiceRefused,
    UnsupportedMediaType,
    UpdateRefused,
)
from ..formats import RDFLIB_NAMES
from ..store.querytext import analyse
from .app import served
from .descriptions import description_graph, root_url
from .fairshare import client_identity
from .negotiation import GRAPH_FORMATS, RESULT_FORMATS, NotAcceptable, choose_format, prefers_html
from .urls import external_url

bp = Blueprint("sparql", __name__)

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
_UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")
READ_ONLY_MESSAGE = (
    "this public endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, "
    "CLEAR, ...) is refused; download the dataset (see /.well-known/void) to "
    "change a copy"
)


def get_store():
    """The store view of the generation this request is answered from."""
    return served().store


# -- example queries --------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One ``service/queries/examples/*.rq`` file: header comments, then the query."""

    slug: str
    title: str
    description: str
    query: str
    federated: str = ""  # the SERVICE endpoint a federated example needs (``# federated:``)


def parse_example(slug: str, text: str) -> Example:
    """Read the ``# title:`` / ``# description:`` / ``# federated:`` header (continuation
    lines start ``#``)."""
    fields: dict[str, list[str]] = {}
    key = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line[1:].strip()
        name, sep, value = body.partition(":")
        if sep and name.strip().lower() in ("title", "description", "federated"):
            key = name.strip().lower()
            fields[key] = [value.strip()]
        elif key and body:
            fields[key].append(body)
    title = " ".join(fields.get("title", [slug]))
    description = " ".join(fields.get("description", []))
    federated = " ".join(fields.get("federated", []))
    return Example(slug, title, description, text, federated)


def load_examples() -> list[Example]:
    """Every example query, sorted by file name."""
    folder = resources.files("service") / "queries" / "examples"
    if not folder.is_dir():
        return []
    examples = [
        parse_example(entry.name[:-3], entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".rq")
    ]
    return sorted(examples, key=lambda e: e.slug)


# -- the protocol request ---------------------------------------------------------------


@dataclass(frozen=True)
class ProtocolRequest:
    query: str | None
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    formats: tuple[str, ...]


def _charset_is_utf8(req) -> bool:
    charset = req.mimetype_params.get("charset")
    return charset is None or charset.strip().lower() in ("utf-8", "utf8")


def read_protocol_request(req) -> ProtocolRequest:
    """Parameters of a query operation, per Protocol §2.1.

    :raises UpdateRefused: for any update operation.
    :raises UnsupportedMediaType: a POST body that is neither form-encoded nor a query.
    :raises ProtocolError: two queries, a body that is not UTF-8.
    """
    params = req.args
    direct_query = None
    if req.method == "POST":
        params = MultiDict(req.args)
        mimetype = req.mimetype
        if mimetype == UPDATE_TYPE:
            raise UpdateRefused(READ_ONLY_MESSAGE)
        if mimetype not in (FORM_TYPE, QUERY_TYPE):
            raise UnsupportedMediaType(
                f"POST needs Content-Type {FORM_TYPE} (query=...) or {QUERY_TYPE} (the "
                f"query as the body); got {mimetype or 'none'}",
                supported=[FORM_TYPE, QUERY_TYPE],
            )
        if not _charset_is_utf8(req):
            raise UnsupportedMediaType(
                f"the body must be UTF-8, not {req.mimetype_params.get('charset')}"
            )
        body = req.get_data(cache=False)
        try:
            text = body.decode("utf-8")
            if mimetype == QUERY_TYPE:
                direct_query = text
            else:
                params.update(
                    MultiDict(
                        parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
                    )
                )
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"the request body is not valid UTF-8: {exc}") from None
    if any(name in params for name in _UPDATE_PARAMS):
        raise UpdateRefused(READ_ONLY_MESSAGE)
    queries = params.getlist("query") + ([direct_query] if direct_query is not None else [])
    if len(queries) > 1:
        raise ProtocolError(f"exactly one query per request, got {len(queries)}")
    default_graphs = tuple(params.getlist("default-graph-uri")) or None
    named_graphs = tuple(params.getlist("named-graph-uri")) or None
    if default_graphs is not None and named_graphs is None:
        named_graphs = ()
    elif named_graphs is not None and default_graphs is None:
        default_graphs = ()
    formats = tuple(v for name in ("format", "output") for v in params.getlist(name) if v)
    return ProtocolRequest(queries[0] if queries else None, default_graphs, named_graphs, formats)


def negotiate_result_formats(
    form: str | None, accept: str | None, formats: tuple[str, ...]
) -> tuple[str | None, str | None]:
    """The format keys a query's result is sent in, decided once, here: (solutions and
    booleans, graphs). For a query whose form the lexer knows, only its kind is negotiated
    (406 when nothing fits); otherwise both, and 406 only when neither fits."""

    def pick(table):
        try:
            return choose_format(table, accept, formats or None)
        except NotAcceptable as exc:
            return exc

    graphs = form in ("CONSTRUCT", "DESCRIBE")
    results = None if graphs else pick(RESULT_FORMATS)
    graph = pick(GRAPH_FORMATS) if graphs or not form else None
    chosen = [row for row in (results, graph) if row is not None and not isinstance(row, Exception)]
    if not chosen:
        failed = results if isinstance(results, NotAcceptable) else graph
        raise NotAcceptableError(str(failed), supported=failed.supported)
    return (
        results.key if results is not None and not isinstance(results, Exception) else None,
        graph.key if graph is not None and not isinstance(graph, Exception) else None,
    )


def check_services(services: tuple[str | None, ...], allowlist) -> None:
    """:raises ServiceRefused: for a SERVICE endpoint not in ``allowlist``."""
    for target in services:
        if target is None or target not in allowlist:
            shown = f"<{target}>" if target else "with a variable or unresolved endpoint"
            raise ServiceRefused(
                f"SERVICE {shown} refused: this endpoint makes no outbound requests unless "
                "the endpoint is listed in SERVICE_ALLOWLIST",
                endpoint=target,
            )


# -- the endpoint -------------------------------------------------------------------------


def _etag(version: str | None, req: ProtocolRequest, accept: str | None) -> str:
    key = "\0".join(
        (
            version or "",
            req.query or "",
            repr(req.default_graphs),
            repr(req.named_graphs),
            accept or "",
            ",".join(req.formats),
        )
    )
    return f"{version}-{hashlib.blake2b(key.encode('utf-8'), digest_size=10).hexdigest()}"


def _last_modified(meta: dict[str, Any] | None) -> datetime | None:
    try:
        return datetime.fromisoformat(meta["built"]) if meta else None
    except (KeyError, TypeError, ValueError):
        return None


@lru_cache(maxsize=16)
def _http_date(built: str | None) -> str | None:
    """``Last-Modified`` for a dataset built at ``built`` (ISO 8601), or None."""
    try:
        return http_date(datetime.fromisoformat(built)) if built else None
    except (TypeError, ValueError):
        return None


@bp.route("/sparql", methods=["GET", "POST"])
def query():
    """The SPARQL 1.1 Protocol query operation."""
    config = current_app.config
    preq = read_protocol_request(request)
    accept = request.headers.get("Accept")
    html = "html" in preq.formats or (not preq.formats and prefers_html(accept))
    if preq.query is None:
        if request.method == "POST":
            raise ProtocolError("no query: send query=... (form) or the query as the body")
        if html:
            return editor()
        return _description_response("sd", accept, preq.formats)
    if len(preq.query.encode("utf-8")) > config["MAX_QUERY_BYTES"]:
        raise QueryTooLarge(
            f"the query is larger than the limit of {config['MAX_QUERY_BYTES']} bytes",
            limit_bytes=config["MAX_QUERY_BYTES"],
        )
    info = analyse(preq.query)
    if info.depth > config["MAX_QUERY_DEPTH"]:
        raise MalformedQuery(
            f"the query nests groups, brackets or parentheses {info.depth} levels "
            f"deep; this endpoint parses at most {config['MAX_QUERY_DEPTH']}",
            limit_depth=config["MAX_QUERY_DEPTH"],
        )
    if info.is_update:
        raise UpdateRefused(READ_ONLY_MESSAGE)
    check_services(info.services, config["SERVICE_ALLOWLIST"])
    g.sparql = {"form": info.form}
    if html:
        with _fair_share() as usage:
            response = results_page(preq, info.form)
        response.headers.update(usage.headers())
        return response
    results_key, graph_key = negotiate_result_formats(info.form, accept, preq.formats)
    store = get_store()
    conditional = request.method == "GET"
    meta = store.metadata() if conditional else None
    if meta and "If-None-Match" in request.headers:
        etag = _etag(meta["version"], preq, accept)
        if request.if_none_match.contains_weak(etag):
            return _not_modified(etag, meta)
    with _fair_share() as usage:
        started = time.perf_counter()
        result = store.query(
            preq.query,
            format=results_key,
            graph_format=graph_key,
            default_graphs=preq.default_graphs,
            named_graphs=preq.named_graphs,
            lane="sparql",
        )
    g.sparql.update(
        ms=round((time.perf_counter() - started) * 1000, 3),
        rows=result.rows,
        bytes=len(result.body),
        truncated=result.truncated,
        kind=result.kind,
    )
    headers = {"Vary": "Accept", **usage.headers()}
    if result.rows is not None:
        headers["X-Result-Rows"] = str(result.rows)
    if result.truncated:
        headers["X-Result-Truncated"] = "true"
        headers["X-Result-Limit"] = str(config["MAX_RESULT_ROWS"])
    if conditional and result.version:
        headers["ETag"] = f'"{_etag(result.version, preq, accept)}"'
        if meta and meta["version"] == result.version:
            modified = _http_date(meta.get("built"))
            if modified:
                headers["Last-Modified"] = modified
        headers["Cache-Control"] = f"public, max-age={config['CACHE_MAX_AGE']}"
    else:
        headers["Cache-Control"] = "no-cache"
    return Response(result.body, 200, headers=headers, content_type=result.content_type)


def _fair_share():
    """This request's admission to the query lanes (:mod:`service.web.fairshare`)."""
    client = client_identity(
        request.remote_addr,
        request.headers.get("X-Forwarded-For"),
        current_app.config["TRUSTED_PROXIES"],
    )
    g.client = client
    return current_app.extensions["kg_fairshare"].admitted(client)


def _not_modified(etag: str, meta) -> Response:
    headers = {
        "ETag": f'"{etag}"',
        "Vary": "Accept",
        "Cache-Control": f"public, max-age={current_app.config['CACHE_MAX_AGE']}",
    }
    modified = _http_date(meta.get("built"))
    if modified:
        headers["Last-Modified"] = modified
    return Response(status=304, headers=headers)


def results_page(preq: ProtocolRequest, form: str | None):
    """A query's results as an HTML table (browsers, and the editor's plain-form fallback)."""
    result = get_store().query(
        preq.query,
        format="json",
        graph_format="turtle",
        default_graphs=preq.default_graphs,
        named_graphs=preq.named_graphs,
        lane="sparql",
    )
    context: dict[str, Any] = {
        "query": preq.query,
        "result": result,
        "examples": current_app.extensions["kg_examples"],
    }
    if result.kind == "graph":
        context["graph_text"] = result.body.decode("utf-8")
    else:
        data = json.loads(result.body)
        context["boolean"] = data.get("boolean")
        context["variables"] = data.get("head", {}).get("vars", [])
        context["bindings"] = data.get("results", {}).get("bindings", [])
    response = Response(
        render_template("results.html", **context), 200, content_type="text/html; charset=utf-8"
    )
    response.headers["Vary"] = "Accept"
    return response


def editor():
    """The query editor: YASGUI when its build is installed, else a plain form."""
    examples = current_app.extensions["kg_examples"]
    chosen = request.args.get("example")
    selected = next((e for e in examples if e.slug == chosen), examples[0] if examples else None)
    yasgui = current_app.extensions["kg_yasgui"]
    response = Response(
        render_template(
            "sparql.html",
            examples=examples,
            selected=selected,
            yasgui=yasgui,
            endpoint=external_url("sparql.query"),
        ),
        200,
        content_type="text/html; charset=utf-8",
    )
    response.headers["Vary"] = "Accept"
    return response


@bp.route("/sparql/examples")
def examples():
    """The example-query catalogue."""
    return render_template(
        "examples.html",
        examples=current_app.extensions["kg_examples"],
        endpoint=external_url("sparql.query"),
    )


# -- descriptions: Service Description, VoID ---------------------------------------------


def _description_response(name: str, accept, formats) -> Response:
    """A description graph (:func:`.descriptions.description_graph`) in the negotiated RDF
    format, serialised once per generation, deployment root and format."""
    try:
        row = choose_format(GRAPH_FORMATS, accept, formats or None)
    except NotAcceptable as exc:
        raise NotAcceptableError(str(exc), supported=exc.supported) from None
    pinned = served()
    key = ("serialised", name, root_url(), row.key)
    body = pinned.cache.get(key)
    if body is None:
        body = description_graph(name).serialize(format=RDFLIB_NAMES[row.key], encoding="utf-8")
        pinned.cache[key] = body
    response = Response(body, 200, content_type=row.content_type)
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['CACHE_MAX_AGE']}"
    # the dataset version and what chose this body: any replica serving the generation
    # revalidates a cached copy (304)
    response.set_etag(_description_etag(pinned.version, key))
    return response.make_conditional(request)


def _description_etag(version: str | None, key: tuple) -> str:
    digest = hashlib.blake2b("\0".join(map(str, key)).encode("utf-8"), digest_size=8)
    return f"{version}-{digest.hexdigest()}"


@bp.route("/.well-known/void")
def void():
    """VoID description, negotiated among the RDF formats (Turtle by default)."""
    formats = tuple(request.args.getlist("format"))
    return _description_response("void", request.headers.get("Accept"), formats)


@bp.route("/healthz")
def healthz():
    """Liveness and readiness: the engine answers (a child process opens the store, or the
    remote engine answers ``ASK {}``); which engine, counts and version."""
    store = get_store()
    reachable = store.ping()
    meta = store.metadata() or {}
    body = {
        "ok": reachable,
        "store": "reachable" if reachable else "unreachable",
        "engine": getattr(store, "engine_name", "embedded"),
        "version": meta.get("version"),
        "built": meta.get("built"),
        "triples": meta.get("triples", 0),
        "graphs": len(meta.get("graphs", [])),
        "queries_stopped_at_time_limit": getattr(getattr(store, "pool", None), "replaced", 0),
    }
    response = jsonify(body)
    response.status_code = 200 if reachable else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/assets/yasgui/<path:filename>")
def yasgui_asset(filename: str):
    """YASGUI's built files from ``YASGUI_DIR`` (installed by npm; served locally)."""
    return send_from_directory(
        Path(current_app.config["YASGUI_DIR"]).resolve(), filename, max_age=86400
    )
