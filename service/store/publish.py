"""``migkg publish --to GSP_URL``: load a generation into a remote engine, then verify it.

SPARQL 1.1 Graph Store HTTP Protocol: https://www.w3.org/TR/sparql11-http-rdf-update/
(``PUT ?graph=<iri>`` replaces one named graph, ``PUT ?default`` the default graph,
``DELETE ?graph=<iri>`` removes one). The counts are checked afterwards with SPARQL 1.1
Protocol queries (https://www.w3.org/TR/sparql11-protocol/) against the engine's query URL.

What is loaded: the generation's ``dumps/dataset.nq.gz`` (the published, canonical N-Quads),
one named graph per graph of the dataset, and the **default graph as the RDF merge** of the
named graphs, written explicitly, as the embedded store has it
(:mod:`service.build.store_loader`). Engines' "union default graph" options are not the
merge: Oxigraph server's ``--union-default-graph`` returns a triple once per graph that holds
it (the same law stated by two source documents comes back twice), Virtuoso's default graph
is the union of all graphs the same way. So the default graph is PUT like any other graph and
the engine must run **without** such an option.

An engine whose default graph *is* the union of its graphs, with no way to hold a default
graph of its own (Virtuoso: ``PUT ?default`` is refused unless a host's default graph is
configured, and that graph then joins every ``FROM`` and every ``GRAPH ?g``), is published
with ``union_default_graph`` (``migkg publish --union-default-graph``): the merge is neither
written nor counted, and queries on the default graph answer a triple once per graph holding
it (the README's "Known differences between engines").

How the previous version is replaced. **Per graph** (the default): each graph is replaced by
one ``PUT``, which Oxigraph server applies as one transaction, so no query sees half a graph.
The named graphs are written first and the default graph last, in one request: every query
that reads the default graph (every page query, and the queries of most users) switches from
the whole old dataset to the whole new one at once. A query naming graphs (``GRAPH ?g``,
``FROM NAMED``) can, while the command runs (seconds for the real dataset), see some graphs of
the new version and some of the old. **In one transaction** (``atomic``, ``migkg publish
--atomic``): the whole replacement is one SPARQL 1.1 Update request
(https://www.w3.org/TR/sparql11-update/, §2.2: "each request SHOULD be treated atomically")
sent to the engine's update URL: ``DROP SILENT GRAPH`` + ``INSERT DATA`` for every graph, the
default graph likewise, and ``DROP SILENT GRAPH`` for the migkg graphs the generation no longer
has; Oxigraph server runs one update request as one transaction, so every query sees the old
version or the new one, never a mix (``tests/test_remote_store.py`` reads while publishing).
The request carries the whole dataset (about 4 MB for the real one, ~120 bytes a triple, the
merge included), so it suits datasets that fit in the engine's memory at once; the data in it
is Oxigraph's N-Triples serialisation (N-Triples terms are SPARQL terms), never formatted by
hand. Graphs of the migkg namespace (``{MIGKG}graph/``) that the new generation no longer has
are deleted last (per graph) or in the same request (atomic); other graphs on the engine are
left alone.

Then every graph's triple count (``SELECT (COUNT(*) ...) { GRAPH <g> { ... } }``) and the
default graph's are compared with the generation's; any difference fails the command (exit 1)
naming the graphs.

Credentials go as HTTP Basic, then as HTTP Digest (https://www.rfc-editor.org/rfc/rfc7616)
if the engine answers 401 asking for Digest or for no scheme (Virtuoso's
``/sparql-graph-crud-auth`` takes only Digest, and answers Basic with a bare 401).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pyoxigraph as ox
import requests
from requests.auth import HTTPDigestAuth

from .. import generations as gens
from ..namespaces import MIGKG
from .remote import public_url

__all__ = [
    "PublishError",
    "Published",
    "publish_generation",
    "query_url_for",
    "replacement_update",
]

_TIMEOUT = (10.0, 600.0)
_NT = "application/n-triples"
GRAPH_NAMESPACE = MIGKG + "graph/"


class PublishError(Exception):
    """Loading or verifying failed; the message names the engine (no credentials) and graphs."""


@dataclass
class Published:
    """What was loaded: triples per graph (``None``: the default graph) and what was removed."""

    engine: str
    version: str
    counts: dict[str | None, int] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)


def query_url_for(gsp_url: str, operation: str = "query") -> str:
    """The query (or ``update``) URL beside a Graph Store URL by Oxigraph server's layout
    (``/store`` → ``/query``, ``/update``); other engines pass theirs explicitly."""
    parts = urlsplit(gsp_url)
    path = parts.path.rsplit("/", 1)[0] + "/" + operation
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def replacement_update(graphs: Mapping[str, list], merge: list | None, removed) -> bytes:
    """One SPARQL 1.1 Update request replacing every graph of ``graphs``, the default graph
    with ``merge`` (None: left alone) and dropping ``removed``: ``DROP SILENT`` then ``INSERT
    DATA`` of Oxigraph's N-Triples of each, in a request the engine applies atomically."""
    operations: list[bytes] = []

    def replace(graph: str | None, triples: list) -> None:
        target = b"GRAPH " + _iri(graph) if graph else b"DEFAULT"
        operations.append(b"DROP SILENT " + target)
        if triples:
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
            if graph:
                body = b"GRAPH " + _iri(graph) + b" {\n" + body + b"}"
            operations.append(b"INSERT DATA {\n" + body + b"\n}")

    for name in sorted(graphs):
        replace(name, graphs[name])
    operations += [b"DROP SILENT GRAPH " + _iri(name) for name in sorted(removed)]
    if merge is not None:
        replace(None, merge)
    return b" ;\n".join(operations) + b"\n"


def _iri(name: str) -> bytes:
    return str(ox.NamedNode(name)).encode("utf-8")


def split_graphs(nquads: bytes) -> tuple[dict[str, list], list]:
    """The quads of ``nquads`` by graph name, and the merge (each distinct triple once).

    :raises PublishError: a quad in the default graph (the build puts every triple in a named
        graph).
    """
    graphs: dict[str, list] = {}
    merge: dict[Any, None] = {}
    for quad in ox.parse(nquads, format=ox.RdfFormat.N_QUADS):
        if isinstance(quad.graph_name, ox.DefaultGraph):
            raise PublishError("the dump has a triple in the default graph: not a migkg build")
        triple = quad.triple
        graphs.setdefault(quad.graph_name.value, []).append(triple)
        merge[triple] = None
    return graphs, list(merge)


def _session(user: str, password: str) -> requests.Session:
    session = requests.Session()
    session.auth = (user, password) if user else None
    session.headers["User-Agent"] = "migkg publish (SPARQL 1.1 Graph Store Protocol)"
    return session


def _plain(url: str) -> tuple[str, str, str]:
    """``url`` without user info, and the user info's (user, password)."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return clean, unquote(parts.username or ""), unquote(parts.password or "")


class _Engine:
    def __init__(self, gsp_url: str, query_url: str, user: str, password: str):
        self.gsp, gsp_user, gsp_password = _plain(gsp_url)
        self.query_url, _, _ = _plain(query_url)
        self.name = public_url(gsp_url)
        self.credentials = (user or gsp_user, password or gsp_password)
        self.session = _session(*self.credentials)

    def _call(self, method: str, what: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, timeout=_TIMEOUT, **kwargs)
            if self._wants_digest(response):
                self.session.auth = HTTPDigestAuth(*self.credentials)
                response = self.session.request(method, timeout=_TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise PublishError(
                f"{what}: the engine {self.name} is unreachable ({type(exc).__name__})"
            ) from None
        return response

    def _wants_digest(self, response: requests.Response) -> bool:
        """A 401 to credentials sent as Basic, challenging for Digest or for nothing (Virtuoso
        answers a Basic ``Authorization`` with a bare 401): they are sent once more as Digest."""
        challenge = response.headers.get("WWW-Authenticate", "").strip().lower()
        return (
            response.status_code == 401
            and bool(self.credentials[0])
            and not isinstance(self.session.auth, HTTPDigestAuth)
            and (challenge.startswith("digest") or not challenge)
        )

    def put(self, graph: str | None, triples: list) -> None:
        params = {"graph": graph} if graph else {"default": ""}
        what = f"PUT {'<' + graph + '>' if graph else 'the default graph'}"
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) if triples else b""
        response = self._call(
            "PUT",
            what,
            url=self.gsp,
            params=params,
            data=body,
            headers={"Content-Type": _NT},
        )
        if response.status_code not in (200, 201, 204):
            raise PublishError(
                f"{what}: the engine {self.name} answered HTTP {response.status_code}: "
                f"{response.text.strip()[:300]}"
            )

    def update(self, url: str, request: bytes) -> None:
        what = f"the update ({len(request):,} bytes)"
        response = self._call(
            "POST",
            what,
            url=url,
            data=request,
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
        )
        if response.status_code not in (200, 204):
            raise PublishError(
                f"{what}: the engine's update URL {public_url(url)} answered HTTP "
                f"{response.status_code}: {response.text.strip()[:300]}"
            )

    def delete(self, graph: str) -> None:
        response = self._call("DELETE", f"DELETE <{graph}>", url=self.gsp, params={"graph": graph})
        if response.status_code not in (200, 204, 404):
            raise PublishError(
                f"DELETE <{graph}>: the engine {self.name} answered HTTP {response.status_code}"
            )

    def select(self, text: str) -> list[dict]:
        response = self._call(
            "POST",
            "query",
            url=self.query_url,
            data={"query": text},
            headers={"Accept": "application/sparql-results+json"},
        )
        if response.status_code != 200:
            raise PublishError(
                f"the engine's query URL {public_url(self.query_url)} answered HTTP "
                f"{response.status_code}: {response.text.strip()[:300]}"
            )
        try:
            return response.json()["results"]["bindings"]
        except (ValueError, KeyError, TypeError):
            raise PublishError(
                f"the engine's query URL {public_url(self.query_url)} answered no SPARQL JSON"
            ) from None

    def graph_names(self) -> set[str]:
        # a triple pattern, not `GRAPH ?g { }`: Virtuoso answers that with no rows
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return {row["g"]["value"] for row in rows if "g" in row}

    def count(self, graph: str | None) -> int:
        pattern = f"GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        return int(rows[0]["n"]["value"])


def publish_generation(
    generation_dir: Path,
    gsp_url: str,
    *,
    query_url: str | None = None,
    user: str = "",
    password: str = "",
    progress: Callable[[str], None] | None = None,
    union_default_graph: bool = False,
    atomic: bool = False,
    update_url: str | None = None,
) -> Published:
    """Load ``generation_dir`` (a verified generation) into the engine at ``gsp_url`` and
    verify the counts; see the module docstring. ``union_default_graph``: the engine's default
    graph is the union of its graphs; the merge is not written and not counted. ``atomic``:
    the whole replacement in one SPARQL Update request to ``update_url`` (default: beside
    ``gsp_url``, Oxigraph server's ``/update``).

    :raises PublishError: the engine is unreachable, refused a graph, or its counts differ.
    :raises GenerationError: the generation does not match its ``meta.json``.
    """
    say = progress or (lambda message: None)
    generation = gens.verify(Path(generation_dir))
    engine = _Engine(gsp_url, query_url or query_url_for(gsp_url), user, password)
    with gzip.open(generation.dumps_dir / "dataset.nq.gz", "rb") as handle:
        graphs, merge = split_graphs(handle.read())
    expected: dict[str | None, int] = {name: len(set(ts)) for name, ts in graphs.items()}
    if not union_default_graph:
        expected[None] = len(merge)
    if int(generation.meta.get("triples", len(merge))) != len(merge):
        raise PublishError(
            f"the dump's merge has {len(merge)} triples, meta.json says "
            f"{generation.meta['triples']}: rebuild the generation"
        )
    before = engine.graph_names()
    removed = sorted(g for g in before - set(graphs) if g.startswith(GRAPH_NAMESPACE))
    if atomic:
        target = update_url or query_url_for(gsp_url, "update")
        request = replacement_update(graphs, None if union_default_graph else merge, removed)
        engine.update(_plain(target)[0], request)
        say(
            f"replaced {len(graphs)} graphs"
            + ("" if union_default_graph else " and the default graph")
            + (f", dropped {len(removed)}" if removed else "")
            + f" in one update request ({len(request):,} bytes)"
        )
    else:
        for name in sorted(graphs):
            engine.put(name, graphs[name])
            say(f"loaded <{name}>: {expected[name]} triples")
        if union_default_graph:
            say("the default graph is the engine's union of its graphs: the merge not written")
        else:
            engine.put(None, merge)
            say(f"loaded the default graph (the merge): {expected[None]} triples")
        for name in removed:
            engine.delete(name)
            say(f"removed <{name}> (not in this generation)")
    wrong = []
    for name, count in expected.items():
        found = engine.count(name)
        if found != count:
            label = f"<{name}>" if name else "the default graph"
            wrong.append(f"{label}: {found} triples on the engine, {count} in the generation")
    if wrong:
        raise PublishError(
            f"the engine {engine.name} does not hold the generation: " + "; ".join(wrong)
        )
    return Published(engine.name, generation.version, expected, removed)


def current_generation(config: Mapping[str, Any]) -> Path:
    """The generation ``GENERATIONS_DIR/current`` names.

    :raises PublishError: nothing published.
    """
    root = Path(config["GENERATIONS_DIR"])
    name = gens.current(root)
    if name is None:
        raise PublishError(f"no generation in {root}: run `migkg build` first")
    return root / name
