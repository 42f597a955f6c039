"""A remote SPARQL 1.1 engine as the store: queries sent over the SPARQL 1.1 Protocol.

SPARQL 1.1 Protocol, query operation: https://www.w3.org/TR/sparql11-protocol/#query-operation
(``POST`` with ``application/x-www-form-urlencoded``: ``query``, ``default-graph-uri``,
``named-graph-uri``). Selected by ``STORE`` = the engine's query URL (e.g. Oxigraph server's
``http://host:7878/query``); the engine holds what ``migkg publish --to`` loaded
(:mod:`service.store.publish`). Everything else the web side reads (catalogue, dumps,
descriptions, ``meta.json``) still comes from the local generation; only queries go out.

What the embedded store does in its query processes is done here over HTTP, the same way:

* the ``Accept`` header is the media type of the format key the web layer resolved
  (:mod:`service.formats`), and the engine's body is passed through unchanged when it is in
  that format and within the row cap;
* the row cap (``MAX_RESULT_ROWS``) as in :mod:`service.store.executor`: a SELECT ending in
  ``LIMIT n`` (n ≤ cap) is passed through; otherwise ``LIMIT cap+1`` is appended and a body too
  small to hold cap+1 rows is final, a bigger one counted; past the cap (or when the appended
  LIMIT does not parse) the original query is read as TSV, streamed, and the connection closed
  after cap+1 rows, then re-serialised by Oxigraph; graphs are parsed to count their triples
  and re-serialised only when cut;
* time: every request has a connect timeout and a deadline over the whole answer (the
  engine's own limit, e.g. ``oxigraph serve --timeout-s``, is set where the engine starts), so
  a slow engine cannot hold a worker: :class:`~service.errors.QueryTimeout`;
* faults: unreachable → :class:`~service.errors.EngineUnavailable` (503), an answer that is not
  a protocol response → :class:`~service.errors.EngineBadResponse` (502), a 400 →
  :class:`~service.errors.MalformedQuery`.

Credentials (``STORE_USER`` / ``STORE_PASSWORD``, or user info in the URL) go only into the
``Authorization`` header; every message names the engine by :func:`public_url`, without them.
The HTTP client is one ``urllib3`` connection pool per process (re-created after a fork):
measured against the engine on loopback (median of 400 sequential ``ASK``), 0.28 ms a request
for urllib3, 0.61 ms for a pooled ``requests.Session`` (0.85 ms with its default
``trust_env``, which reads the proxy environment and ``.netrc`` on every request) and 0.50 ms
for SPARQLWrapper (a new connection each time).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

import pyoxigraph as ox
import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, ReadTimeoutError
from urllib3.exceptions import ProtocolError as ConnectionBroken
from urllib3.util import make_headers

from ..errors import (
    EngineBadResponse,
    EngineUnavailable,
    MalformedQuery,
    NotAcceptableError,
    ProtocolError,
    QueryFailed,
    QueryTimeout,
    StoreUnavailable,
)
from ..formats import GRAPH_FORMATS, RESULT_FORMATS, Format, by_key
from ..namespaces import MIGKG
from .embedded import QueryResult
from .executor import _GRAPHS, _MIN_ROW_BYTES, _RESULTS, _absolute
from .querytext import analyse

__all__ = ["RemoteStore", "RemoteBoundStore", "public_url", "is_endpoint_url"]

_CONNECT_TIMEOUT = 5.0
_FORM = "application/x-www-form-urlencoded"
_CHUNK = 1 << 16
_MESSAGE_CHARS = 400  # of an engine's error text shown to the client
_PARSEABLE = {"json", "xml", "tsv"}


def is_endpoint_url(value: Any) -> bool:
    """True when ``STORE`` names an engine (an http(s) URL) rather than a backend name."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def public_url(url: str) -> str:
    """``url`` without user info, query or fragment: how messages and /healthz name an engine."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _kind_of(media: str, wanted: Sequence[Format]) -> tuple[str, Format] | None:
    """(result family, format row) of a response media type, the formats asked for first
    (``application/json`` is an alias of both SPARQL JSON results and JSON-LD)."""
    families = {row: "results" for row in RESULT_FORMATS} | {row: "graph" for row in GRAPH_FORMATS}
    for row in (*wanted, *RESULT_FORMATS, *GRAPH_FORMATS):
        if media == row.media_type or ("/" in media and media in row.aliases):
            return families[row], row
    return None


class RemoteStore:
    """The engine: one pooled HTTP session per process against ``STORE``; see the module."""

    def __init__(self, config: Mapping[str, Any]):
        self.endpoint = str(config["STORE"])
        # kept for `migkg publish` (the default --to); queries never write
        self.update_url = str(config.get("STORE_UPDATE") or "") or None
        self.gsp_url = str(config.get("STORE_GSP") or "") or None
        self.timeout = float(config["QUERY_TIMEOUT"])
        self.max_rows = int(config["MAX_RESULT_ROWS"])
        self.pool_size = max(4, int(config.get("WORKER_THREADS", 4)) * 2)
        self.engine_name = public_url(self.endpoint)
        parts = urlsplit(self.endpoint)
        user = config.get("STORE_USER") or unquote(parts.username or "")
        password = config.get("STORE_PASSWORD") or unquote(parts.password or "")
        self._auth = (str(user), str(password)) if user else None
        # the URL requests are sent to: without user info (credentials go in the header only)
        self._url = urlunsplit(
            (parts.scheme, self.engine_name.split("/", 3)[2], parts.path, parts.query, "")
        )
        self._lock = threading.Lock()
        self._pool: urllib3.PoolManager | None = None
        self._pid: int | None = None

    def __repr__(self) -> str:
        return f"RemoteStore({self.engine_name})"

    def pool(self) -> urllib3.PoolManager:
        """This process's connection pool (a forked worker makes its own)."""
        if self._pid != os.getpid() or self._pool is None:
            with self._lock:
                if self._pid != os.getpid() or self._pool is None:
                    headers = {"User-Agent": "migkg (SPARQL 1.1 Protocol client)"}
                    if self._auth:
                        headers.update(make_headers(basic_auth=":".join(self._auth)))
                    self._pool = urllib3.PoolManager(
                        num_pools=2, maxsize=self.pool_size, headers=headers, retries=False
                    )
                    self._pid = os.getpid()
        return self._pool

    def at(self, generation: str | None, meta: Mapping[str, Any] | None) -> RemoteBoundStore:
        """A view answering for ``generation`` (its metadata stays local; queries go out)."""
        return RemoteBoundStore(self, generation, dict(meta) if meta else None)

    def warm(self, generation: str) -> int:
        """Open a pooled connection now (1), or 0 when the engine does not answer."""
        return 1 if self.ping() else 0

    def ping(self) -> bool:
        """True when the engine answers ``ASK {}``."""
        try:
            self.post("ASK {}", "application/sparql-results+json", timeout=min(self.timeout, 5.0))
        except (StoreUnavailable, QueryTimeout, EngineBadResponse, QueryFailed, MalformedQuery):
            return False
        return True

    def post(
        self,
        text: str,
        accept: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        max_lines: int | None = None,
        limit: float | None = None,
    ) -> tuple[str, bytes, bool]:
        """Send one query operation; (media type, body, cut). With ``max_lines`` the body is
        read up to that many lines and the connection closed (``cut`` True if more followed).
        ``timeout``: seconds left for this request; ``limit``: the query's whole time limit
        (what an error message states; default ``timeout``).

        :raises EngineUnavailable, QueryTimeout, MalformedQuery, QueryFailed, EngineBadResponse:
        """
        left = self.timeout if timeout is None else float(timeout)
        deadline = time.monotonic() + left
        limit = left if limit is None else float(limit)
        form: list[tuple[str, str]] = [("query", text)]
        form += [("default-graph-uri", iri) for iri in default_graphs or ()]
        form += [("named-graph-uri", iri) for iri in named_graphs or ()]
        body = urlencode(form).encode("ascii")
        headers = {"Accept": accept, "Content-Type": _FORM}
        for attempt in (1, 2):
            try:
                response = self.pool().request(
                    "POST",
                    self._url,
                    body=body,
                    headers=headers,
                    timeout=urllib3.Timeout(connect=min(_CONNECT_TIMEOUT, left), read=left),
                    preload_content=False,
                    redirect=False,
                )
                break
            except ConnectTimeoutError as exc:  # also NewConnectionError: refused, no route
                raise self._unreachable(exc) from None
            except ReadTimeoutError:
                raise self._timeout(limit) from None
            except ConnectionBroken as exc:
                # a pooled connection the engine closed meanwhile (e.g. it restarted): a
                # read-only query is sent once more, on a new connection
                if attempt == 2:
                    raise self._unreachable(exc) from None
            except HTTPError as exc:
                raise self._unreachable(exc) from None
        complete = False
        try:
            try:
                content, cut = _read(response, deadline, max_lines)
            except ReadTimeoutError:
                raise self._timeout(limit) from None
            except HTTPError as exc:
                raise EngineUnavailable(
                    f"the SPARQL engine {self.engine_name} broke off its answer "
                    f"({type(exc).__name__})",
                    engine=self.engine_name,
                ) from None
            if content is None:
                raise self._timeout(limit)
            complete = not cut
            self._check_status(response.status, content, limit)
            return _media(response.headers.get("Content-Type")), content, cut
        finally:
            if not complete:  # the rest is not wanted: the connection is closed, not reused
                response.close()
            response.release_conn()

    def _unreachable(self, exc: Exception) -> EngineUnavailable:
        return EngineUnavailable(
            f"the SPARQL engine {self.engine_name} is unreachable ({type(exc).__name__}); "
            "try again later",
            engine=self.engine_name,
        )

    def _timeout(self, limit: float) -> QueryTimeout:
        return QueryTimeout(
            f"the SPARQL engine did not answer within the time limit of {limit:g} s; narrow "
            "the query (LIMIT, more specific patterns) or run it on a copy of the dataset "
            "(see /.well-known/void for the dumps)",
            limit_seconds=limit,
        )

    def _check_status(self, status: int, body: bytes, limit: float) -> None:
        if status < 300:
            return
        text = body.decode("utf-8", "replace").strip()[:_MESSAGE_CHARS]
        if status == 400:
            raise MalformedQuery(f"the SPARQL engine refused the query: {text}")
        if status in (401, 403, 407):
            raise EngineUnavailable(
                f"the SPARQL engine {self.engine_name} refused this service's credentials "
                f"(HTTP {status})",
                engine=self.engine_name,
            )
        if status in (502, 503, 504):
            raise EngineUnavailable(
                f"the SPARQL engine {self.engine_name} is unavailable (HTTP {status})",
                engine=self.engine_name,
            )
        if status >= 500 and ("timeout" in text.lower() or "timed out" in text.lower()):
            # Virtuoso past MaxQueryExecutionTime: 500 "SR171: Transaction timed out"
            raise self._timeout(limit)
        if status >= 500:
            raise QueryFailed(f"the SPARQL engine failed to evaluate the query: {text}")
        raise EngineBadResponse(
            f"the SPARQL engine {self.engine_name} answered HTTP {status}",
            engine=self.engine_name,
        )

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.clear()
            self._pool = None
            self._pid = None


def _read(response, deadline: float, max_lines: int | None) -> tuple[bytes | None, bool]:
    """The body, read in chunks until ``deadline`` (None past it) or ``max_lines`` lines."""
    parts: list[bytes] = []
    lines = 0
    for chunk in response.stream(_CHUNK):
        parts.append(chunk)
        if time.monotonic() > deadline:
            return None, False
        if max_lines is not None:
            lines += chunk.count(b"\n")
            if lines > max_lines:
                return b"".join(parts), True
    return b"".join(parts), False


class RemoteBoundStore:
    """The store interface (:class:`service.store.Store`) for one generation over the engine."""

    def __init__(self, engine: RemoteStore, generation: str | None, meta: dict[str, Any] | None):
        self.engine = engine
        self.generation = generation
        self._meta = meta
        self.engine_name = engine.engine_name

    def metadata(self) -> dict[str, Any] | None:
        """The generation's ``meta.json`` (local)."""
        return self._meta

    def version(self) -> str | None:
        return self._meta["version"] if self._meta else None

    def triple_count(self) -> int:
        return int(self._meta["triples"]) if self._meta else 0

    def ping(self) -> bool:
        """True when the engine answers."""
        return self.engine.ping()

    def query(
        self,
        text: str,
        *,
        format: str | None = "json",
        graph_format: str | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        lane: str = "pages",
    ) -> QueryResult:
        """Run a read-only query on the engine; the serialised result (see
        :meth:`service.store.embedded.BoundStore.query` for the arguments; ``lane`` is
        accepted and has no meaning here: the engine schedules its own work).

        :raises MalformedQuery, NotAcceptableError, QueryTimeout, QueryFailed,
            EngineUnavailable, EngineBadResponse:
        """
        if self.generation is None:
            raise StoreUnavailable("no dataset generation published yet: run `migkg build`")
        info = analyse(text)
        results = by_key(RESULT_FORMATS, format)
        graphs = by_key(
            GRAPH_FORMATS, graph_format or (format if by_key(GRAPH_FORMATS, format) else "turtle")
        )
        call = _Call(self.engine, default_graphs, named_graphs, timeout)
        if info.form in ("SELECT", "ASK"):
            if results is None:
                raise _not_acceptable(RESULT_FORMATS)
            if info.form == "SELECT":
                return self._done(self._select(call, text, info.trailing_limit, results))
            return self._done(self._any(call, text, results, graphs, info.prefixes))
        if info.form in ("CONSTRUCT", "DESCRIBE"):
            if graphs is None:
                raise _not_acceptable(GRAPH_FORMATS)
            return self._done(self._any(call, text, None, graphs, info.prefixes))
        return self._done(self._any(call, text, results, graphs, info.prefixes))

    def describe(self, iri: str):
        """The engine's ``DESCRIBE`` of ``iri`` as an rdflib Graph.

        :raises ProtocolError: ``iri`` is not an IRI.
        """
        from rdflib import Graph

        try:
            node = ox.NamedNode(iri)
        except ValueError as exc:
            raise ProtocolError(f"invalid IRI: {exc}") from None
        # the IRI goes in as a serialised term (validated above), never as raw text
        result = self.query(f"DESCRIBE {node}", graph_format="ntriples", format=None)
        graph = Graph()
        graph.parse(data=result.body, format="nt")
        return graph

    def _done(self, parts: tuple[str, Format, bytes, int | None, bool]) -> QueryResult:
        kind, row, body, rows, truncated = parts
        return QueryResult(
            kind, row.media_type, row.content_type, body, rows, truncated, self.version()
        )

    def _select(self, call, text, trailing_limit, row: Format):
        cap = self.engine.max_rows
        if trailing_limit is not None and trailing_limit <= cap:
            return call.expect(text, row, None)
        if trailing_limit is None:
            try:
                # an integer from configuration appended as a solution modifier (as the
                # embedded store does); a query ending in VALUES does not parse: exact path
                kind, row_, body, _, _ = call.expect(text + f"\nLIMIT {cap + 1}", row, None)
            except MalformedQuery:
                pass
            else:
                if len(body) < (cap + 1) * _MIN_ROW_BYTES[row.key]:
                    return kind, row_, body, None, False
                if row.key in _PARSEABLE:
                    count = _count_solutions(body, row.key, self.engine.engine_name)
                    if count <= cap:
                        return kind, row_, body, count, False
        return self._capped(call, text, row)

    def _capped(self, call, text, row: Format):
        """The first ``cap`` rows of ``text``: streamed as TSV, cut after cap+1 rows."""
        cap = self.engine.max_rows
        tsv_row = by_key(RESULT_FORMATS, "tsv")
        media, body, cut = call.post(text, tsv_row.media_type, max_lines=cap + 1)
        if media != tsv_row.media_type:
            raise _bad(self.engine.engine_name, f"a {media or 'typeless'} answer, not TSV")
        lines = body.split(b"\n")
        if body.endswith(b"\n"):
            lines.pop()
        kept = lines[: cap + 1]
        truncated = cut or len(lines) > cap + 1
        tsv = b"\n".join(kept) + b"\n"
        rows = len(kept) - 1
        if row.key == "tsv":
            return "solutions", row, tsv, rows, truncated
        try:
            solutions = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
            return "solutions", row, solutions.serialize(format=_RESULTS[row.key]), rows, truncated
        except (SyntaxError, ValueError) as exc:
            raise _bad(self.engine.engine_name, f"unparsable TSV ({exc})") from None

    def _any(self, call, text, results: Format | None, graphs: Format | None, prefixes):
        """A query of any form; its kind read from the answer's media type."""
        kind, row, body, rows, truncated = call.expect(text, results, graphs)
        if kind != "graph":
            return kind, row, body, rows, truncated
        return self._graph(row, body, prefixes)

    def _graph(self, row: Format, body: bytes, prefixes):
        """A graph answer: counted (parsed), passed through within the cap, else cut."""
        cap = self.engine.max_rows
        try:
            triples = list(ox.parse(body, format=_GRAPHS[row.key]))
        except (SyntaxError, ValueError) as exc:
            raise _bad(self.engine.engine_name, f"unparsable {row.media_type} ({exc})") from None
        if len(triples) <= cap:
            return "graph", row, body, len(triples), False
        options = {}
        if row.key in ("turtle", "trig") and prefixes:
            options["prefixes"] = {name: _absolute(MIGKG, iri) for name, iri in prefixes.items()}
        kept = triples[:cap]
        try:
            out = ox.serialize(kept, format=_GRAPHS[row.key], **options)
        except ValueError:
            out = ox.serialize(kept, format=_GRAPHS[row.key])
        return "graph", row, out, cap, True


class _Call:
    """One query's parameters (dataset, time limit) for its one or more requests."""

    def __init__(self, engine: RemoteStore, default_graphs, named_graphs, timeout):
        self.engine = engine
        self.default_graphs = list(default_graphs) if default_graphs is not None else None
        self.named_graphs = list(named_graphs) if named_graphs is not None else None
        self.limit = engine.timeout if timeout is None else float(timeout)
        self.deadline = time.monotonic() + self.limit

    def post(self, text: str, accept: str, max_lines: int | None = None):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self.engine._timeout(self.limit)
        return self.engine.post(
            text,
            accept,
            default_graphs=self.default_graphs,
            named_graphs=self.named_graphs,
            timeout=remaining,
            max_lines=max_lines,
            limit=self.limit,
        )

    def expect(self, text: str, results: Format | None, graphs: Format | None):
        """Ask for ``results`` (solutions, booleans) and/or ``graphs``; (kind, row, body,
        rows, truncated) as the engine answered, or 406 / 502."""
        accept = ", ".join(
            f"{row.media_type}{';q=0.9' if i else ''}"
            for i, row in enumerate(r for r in (results, graphs) if r is not None)
        )
        media, body, _ = self.post(text, accept)
        found = _kind_of(media, [r for r in (results, graphs) if r is not None])
        if found is None:
            raise _bad(self.engine.engine_name, f"a {media or 'typeless'} answer")
        family, row = found
        if family == "graph":
            if graphs is None:
                raise _not_acceptable(GRAPH_FORMATS)
            if row.key != graphs.key:
                raise _bad(self.engine.engine_name, f"{media}, not the {graphs.media_type} asked")
            return "graph", row, body, None, False
        if results is None:
            raise _not_acceptable(RESULT_FORMATS)
        if row.key != results.key:
            raise _bad(self.engine.engine_name, f"{media}, not the {results.media_type} asked")
        kind = _solutions_or_boolean(body, row.key, self.engine.engine_name)
        return kind, row, body, (1 if kind == "boolean" else None), False


_BOOLEAN_JSON = re.compile(rb'"boolean"\s*:')
_BOOLEAN_XML = re.compile(rb"<boolean>")


def _solutions_or_boolean(body: bytes, key: str, engine: str) -> str:
    """Whether a results body is a boolean (ASK) or solutions, without parsing its rows."""
    head = body[:4096]
    if key == "json":
        if not head.lstrip().startswith(b"{"):
            raise _bad(engine, "SPARQL JSON results that are not a JSON object")
        return (
            "boolean" if _BOOLEAN_JSON.search(head) and b'"bindings"' not in head else "solutions"
        )
    if key == "xml":
        if b"<sparql" not in head:
            raise _bad(engine, "SPARQL XML results without a <sparql> element")
        return "boolean" if _BOOLEAN_XML.search(head) else "solutions"
    if head.strip().lower() in (b"true", b"false"):
        return "boolean"
    return "solutions"


def _count_solutions(body: bytes, key: str, engine: str) -> int:
    try:
        return sum(1 for _ in ox.parse_query_results(body, _RESULTS[key]))
    except (SyntaxError, ValueError) as exc:
        raise _bad(engine, f"unparsable results ({exc})") from None


def _bad(engine: str, what: str) -> EngineBadResponse:
    return EngineBadResponse(
        f"the SPARQL engine {engine} answered {what}: not a SPARQL 1.1 Protocol response",
        engine=engine,
    )


def _not_acceptable(table) -> NotAcceptableError:
    supported = [row.media_type for row in table]
    return NotAcceptableError(
        "this query's result can be returned as one of: " + ", ".join(supported),
        supported=supported,
    )
