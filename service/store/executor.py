"""The query child process: opens the store read-only, runs queries, serialises natively.

A child is started by :class:`service.store.pool.QueryPool` and talks to its parent over one
``multiprocessing`` pipe: it receives a request tuple, answers with a reply tuple, and repeats
until the pipe closes. pyoxigraph 0.5 cannot interrupt a running query, so the parent enforces
the time limit by killing the child; nothing here needs to be interruptible.

Every serialisation is Oxigraph's own (``QuerySolutions.serialize``, ``pyoxigraph.serialize``);
no result row becomes a Python dict. The result-row cap (``MAX_RESULT_ROWS``) is applied so:

* a ``SELECT`` whose text ends with ``LIMIT n`` (n ≤ cap) cannot exceed the cap: serialised
  straight to the requested format;
* otherwise ``LIMIT cap+1`` is appended and the result serialised straight away; a body too
  small to hold cap+1 rows is final, a bigger one is counted exactly (native parse);
* where that fails (a trailing ``VALUES``, a larger ``LIMIT``, cap reached) the query runs
  again into a TSV writer that stops the evaluation after cap+1 rows — TSV is one row per
  line and loses nothing — and the TSV is re-serialised natively when another format was
  asked for;
* graphs (``CONSTRUCT``/``DESCRIBE``) are cut after cap triples.

Each message is ``(generation name, request)``: the child opens that generation of the
generations folder (keeping the two most recent open), so a web request pinned to one
generation is answered from it even while the server switches to the next. Request
``("query", text, form, trailing_limit, prefixes, default_graphs, named_graphs,
results_format, graph_format)`` (format keys the web layer resolved: the one for solutions and
booleans, the one for graphs; either may be None when the client accepts none of that kind);
reply ``("ok", kind, media_type, content_type, body, rows,
truncated, generation)`` or ``("error", code, message, extra)``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from itertools import islice
from urllib.parse import urljoin

import pyoxigraph as ox

from ..formats import GRAPH_FORMATS, RESULT_FORMATS, by_key

_RESULTS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_GRAPHS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}
# The fewest bytes one result row can take in each format (an empty binding).
_MIN_ROW_BYTES = {"json": 2, "xml": 9, "csv": 2, "tsv": 1}
_PARSEABLE = {"json", "xml", "tsv"}


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _absolute(base: str, iri: str) -> str:
    """Resolve a relative IRI against ``base`` (keeping an empty fragment, as in ``ns#``)."""
    if _SCHEME.match(iri):
        return iri
    resolved = urljoin(base, iri)
    return resolved + "#" if iri.endswith("#") and not resolved.endswith("#") else resolved


class _NoFormat(Exception):
    """The client accepts no format of the kind of result the query produced."""

    def __init__(self, table):
        self.supported = [row.media_type for row in table]
        super().__init__(
            "this query's result can be returned as one of: " + ", ".join(self.supported)
        )


def _row(table, key: str | None):
    row = by_key(table, key)
    if row is None:
        raise _NoFormat(table)
    return row


class _Enough(Exception):
    """Raised by :class:`_LineCapWriter` to stop the serialiser (and so the evaluation)."""


class _LineCapWriter:
    """A binary sink that keeps at most ``max_lines`` lines and then stops the writer."""

    __slots__ = ("parts", "lines", "max_lines")

    def __init__(self, max_lines: int):
        self.parts: list[bytes] = []
        self.lines = 0
        self.max_lines = max_lines

    def write(self, chunk) -> int:
        chunk = bytes(chunk)
        self.parts.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.max_lines:
            raise _Enough
        return len(chunk)

    def flush(self) -> None:
        pass

    def first_lines(self, count: int) -> tuple[bytes, int]:
        data = b"".join(self.parts)
        lines = data.split(b"\n")
        if data.endswith(b"\n"):
            lines.pop()
        kept = lines[:count]
        return b"\n".join(kept) + b"\n", len(kept)


def open_generation(generation_dir: str, memory_copy_max_triples: int) -> ox.Store:
    """Open one store generation read-only; copy it into memory when it is small enough.

    Oxigraph's in-memory store answers index lookups 4-5x faster than RocksDB (measured: the
    90-row SELECT of the benchmark, 2.1 ms against 0.47 ms), and copying the 14 k-triple
    Kazakhstan dataset takes ~0.1 s per child. Larger generations stay on disk.
    """
    store = ox.Store.read_only(os.path.join(generation_dir, "store"))
    if memory_copy_max_triples > 0:
        try:
            with open(os.path.join(generation_dir, "meta.json"), encoding="utf-8") as handle:
                triples = int(json.load(handle).get("triples", 0))
        except (OSError, ValueError):
            return store
        if triples <= memory_copy_max_triples:
            memory = ox.Store()
            memory.bulk_extend(store.quads_for_pattern(None, None, None, None))
            return memory
    return store


class Executor:
    """The state of one child: the generations it has open (the two most recent: during a
    switch, requests that started on the previous generation finish on it)."""

    def __init__(self, root: str, base_iri: str, max_rows: int, memory_copy_max_triples: int = 0):
        self.root = root
        self.memory_copy_max_triples = memory_copy_max_triples
        self.base_iri = base_iri
        self.max_rows = max_rows
        self.generation: str | None = None
        self._open_stores: dict[str, ox.Store] = {}

    def _open(self, generation: str | None) -> ox.Store:
        if not generation:
            raise LookupError("no dataset generation published yet: run `migkg build`")
        store = self._open_stores.get(generation)
        if store is None:
            if os.sep in generation or generation.startswith("."):
                raise LookupError(f"not a generation name: {generation!r}")
            store = open_generation(
                os.path.join(self.root, generation), self.memory_copy_max_triples
            )
            self._open_stores[generation] = store
            while len(self._open_stores) > 2:
                del self._open_stores[next(iter(self._open_stores))]
        self.generation = generation
        return store

    def _dataset_kwargs(self, default_graphs, named_graphs) -> dict:
        kwargs: dict = {"base_iri": self.base_iri}
        if default_graphs is not None or named_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(iri) for iri in default_graphs or ()]
            kwargs["named_graphs"] = [ox.NamedNode(iri) for iri in named_graphs or ()]
        return kwargs

    def handle(self, envelope: tuple) -> tuple:
        """``envelope`` is ``(generation name, request)``."""
        generation, request = envelope
        op = request[0]
        try:
            store = self._open(generation)
        except (LookupError, OSError) as exc:
            return ("error", "STORE_UNAVAILABLE", str(exc), {})
        if op == "ping":
            return ("ok", "boolean", "", "", b"", 0, False, self.generation)
        if op == "describe":
            return self._describe(store, request[1])
        _, text, form, trailing_limit, prefixes, default_graphs, named_graphs, *formats = request
        results_key, graph_key = formats
        try:
            kwargs = self._dataset_kwargs(default_graphs, named_graphs)
        except ValueError as exc:
            return ("error", "PROTOCOL_ERROR", f"invalid graph IRI: {exc}", {})
        try:
            if form == "SELECT":
                return self._select(store, text, trailing_limit, kwargs, results_key, graph_key)
            result = store.query(text, **kwargs)
            return self._any(store, text, result, prefixes, kwargs, results_key, graph_key)
        except SyntaxError as exc:
            return ("error", "MALFORMED_QUERY", f"malformed query: {exc}", {})
        except _NoFormat as exc:
            return ("error", "NOT_ACCEPTABLE", str(exc), {"supported": exc.supported})
        except (OSError, ValueError, RuntimeError, TypeError) as exc:
            return ("error", "QUERY_FAILED", f"query evaluation failed: {exc}", {})

    def _ok(self, kind, row, body, rows, truncated) -> tuple:
        return (
            "ok",
            kind,
            row.media_type,
            row.content_type,
            body,
            rows,
            truncated,
            self.generation,
        )

    def _any(self, store, text, result, prefixes, kwargs, results_key, graph_key) -> tuple:
        if isinstance(result, ox.QueryBoolean):
            row = _row(RESULT_FORMATS, results_key)
            return self._ok("boolean", row, result.serialize(format=_RESULTS[row.key]), 1, False)
        if isinstance(result, ox.QueryTriples):
            row = _row(GRAPH_FORMATS, graph_key)
            triples = list(islice(result, self.max_rows + 1))
            truncated = len(triples) > self.max_rows
            if truncated:
                triples = triples[: self.max_rows]
            options = {}
            if row.key in ("turtle", "trig") and prefixes:
                options["prefixes"] = {
                    name: _absolute(self.base_iri, iri) for name, iri in prefixes.items()
                }
            try:
                body = ox.serialize(triples, format=_GRAPHS[row.key], **options)
            except ValueError:  # a prefix the serialiser will not take: plain IRIs
                body = ox.serialize(triples, format=_GRAPHS[row.key])
            return self._ok("graph", row, body, len(triples), truncated)
        # SELECT the lexer did not recognise: the exact, capped path.
        row = _row(RESULT_FORMATS, results_key)
        return self._capped_select(store, text, kwargs, row, result)

    def _select(self, store, text, trailing_limit, kwargs, results_key, graph_key) -> tuple:
        row = _row(RESULT_FORMATS, results_key)
        cap = self.max_rows
        target = _RESULTS[row.key]
        if trailing_limit is not None and trailing_limit <= cap:
            result = store.query(text, **kwargs)
            if isinstance(result, ox.QuerySolutions):
                return self._ok("solutions", row, result.serialize(format=target), None, False)
            return self._any(store, text, result, {}, kwargs, results_key, graph_key)
        if trailing_limit is None:
            try:
                # An integer from configuration, appended as a solution modifier; the user's
                # text is untouched. If the query ends in VALUES this does not parse, and the
                # exact path below runs the original.
                result = store.query(text + f"\nLIMIT {cap + 1}", **kwargs)
            except SyntaxError:
                result = None
            if isinstance(result, ox.QuerySolutions):
                body = result.serialize(format=target)
                if len(body) < (cap + 1) * _MIN_ROW_BYTES[row.key]:
                    return self._ok("solutions", row, body, None, False)
                if row.key in _PARSEABLE:
                    count = sum(1 for _ in ox.parse_query_results(body, target))
                    if count <= cap:
                        return self._ok("solutions", row, body, count, False)
        return self._capped_select(store, text, kwargs, row, store.query(text, **kwargs))

    def _capped_select(self, store, text, kwargs, row, result) -> tuple:
        if not isinstance(result, ox.QuerySolutions):
            return self._any(store, text, result, {}, kwargs, row.key, None)
        cap = self.max_rows
        sink = _LineCapWriter(cap + 1)  # header line + cap + 1 rows
        try:
            result.serialize(sink, format=ox.QueryResultsFormat.TSV)
        except _Enough:
            pass
        tsv, lines = sink.first_lines(cap + 1)
        rows = lines - 1
        truncated = sink.lines > cap + 1
        if row.key == "tsv":
            return self._ok("solutions", row, tsv, rows, truncated)
        solutions = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
        return self._ok(
            "solutions", row, solutions.serialize(format=_RESULTS[row.key]), rows, truncated
        )

    def _describe(self, store, iri: str) -> tuple:
        try:
            node = ox.NamedNode(iri)
        except ValueError as exc:
            return ("error", "PROTOCOL_ERROR", f"invalid IRI: {exc}", {})
        result = store.query("DESCRIBE ?resource", substitutions={ox.Variable("resource"): node})
        triples = list(islice(result, self.max_rows))
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        return (
            "ok",
            "graph",
            "application/n-triples",
            "application/n-triples",
            body,
            len(triples),
            False,
            self.generation,
        )


MEMORY_MESSAGE = (
    "the query needed more memory than a query process may use and was stopped; "
    "narrow it (fewer joined patterns, LIMIT, no ORDER BY over huge results)"
)


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space (RLIMIT_AS) at ``megabytes`` (0: no cap). An
    allocation past it fails: Oxigraph (Rust) aborts the process, Python raises MemoryError;
    either way only this child dies and the host never swaps for one query."""
    if megabytes > 0:
        import resource

        limit = int(megabytes) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(
    conn,
    root: str,
    base_iri: str,
    max_rows: int,
    memory_copy_max_triples: int = 0,
    memory_limit_mb: int = 0,
    niceness: int = 0,
) -> None:
    """Child entry point: serve requests from ``conn`` until the parent goes away."""
    limit_memory(memory_limit_mb)
    if niceness > 0:
        os.nice(niceness)  # user queries yield the CPU to the web workers and the page lane
    executor = Executor(root, base_iri, max_rows, memory_copy_max_triples)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            break
        try:
            reply = executor.handle(request)
        except MemoryError:
            reply = ("error", "QUERY_MEMORY_LIMIT", MEMORY_MESSAGE, {})
        except Exception as exc:  # a bug here must not take the child down silently
            reply = ("error", "QUERY_FAILED", f"internal error: {type(exc).__name__}: {exc}", {})
        try:
            conn.send(reply)
        except (OSError, BrokenPipeError):
            break
    sys.exit(0)
