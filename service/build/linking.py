"""``migkg link``: discover candidate links to Wikidata (or any Wikidata-shaped SPARQL endpoint)
for entities that have none, and turn reviewed candidates into a linkset.

Discovery asks the endpoint with SPARQLWrapper, batching many labels into one query (VALUES),
and behaves as a polite client: a descriptive User-Agent, a per-request timeout, a minimum
interval between requests, retries with exponential back-off on 429 and 5xx that honour
``Retry-After``. Candidates are scored (label similarity, class, country, year) and written to a
review file (TSV) batch by batch; an interrupted run keeps what it wrote and resumes where it
stopped. ``--accept`` turns the rows a reviewer marked ``yes`` into a new file of
``graph_data/links/`` — links plus a ``void:Linkset`` with its provenance — which must pass
validation or is removed again.
"""

from __future__ import annotations

import csv
import difflib
import email.utils
import json
import re
import time
import unicodedata
import urllib.error
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, XSD
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, SPARQLWrapperException

from ..namespaces import DATASET, ID, MIG, VOID, bind_prefixes
from ..queries import load_query

TOOL_VERSION = "migkg link 0.1.0"
DEFAULT_ENDPOINT = "https://query.wikidata.org/sparql"
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
USER_AGENT = (
    f"{TOOL_VERSION} (migration-profile knowledge graph link discovery; "
    "https://github.com/ -- contact the migkg maintainers) SPARQLWrapper"
)
REVIEW_COLUMNS = [
    "entity",
    "entity_label",
    "kind",
    "candidate",
    "candidate_label",
    "score",
    "evidence",
    "accept",
]
RETRY_STATUSES = {429, 500, 502, 503, 504}


class LinkDiscoveryError(Exception):
    """The endpoint could not be used (down, malformed answers, retries exhausted)."""


@dataclass
class Entity:
    iri: str
    kind: str
    labels: list[Literal] = field(default_factory=list)
    year: str | None = None

    @property
    def name(self) -> str:
        return str(self.labels[0]) if self.labels else self.iri


@dataclass
class Candidate:
    entity: Entity
    item: str
    label: str
    types: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    inception_years: set[str] = field(default_factory=set)
    matched: set[str] = field(default_factory=set)
    score: float = 0.0
    evidence: str = ""


def _query_file(name: str) -> str:
    return load_query("linking/" + name.removesuffix(".rq"))


def _types() -> dict:
    return json.loads(
        resources.files(__package__).joinpath("linking_types.json").read_text("utf-8")
    )


# --------------------------------------------------------------------------- entities

_SUFFIXES = (" of the Republic of Kazakhstan", " of Kazakhstan", " of the RK")


def label_variants(label: Literal) -> list[Literal]:
    """The label and its usual shorter forms ("... of the Republic of Kazakhstan" dropped)."""
    text, lang = str(label), label.language or "en"
    variants = [text]
    for suffix in _SUFFIXES:
        if text.endswith(suffix):
            variants.append(text[: -len(suffix)])
    return [Literal(v, lang=lang) for v in dict.fromkeys(variants)]


def entities_to_link(graph) -> list[Entity]:
    """Entities of the graph (an rdflib Graph of the sources) without a Wikidata link."""
    from .datacube import store_from_graph

    store = store_from_graph(graph)
    found: dict[str, Entity] = {}
    for row in store.query(_query_file("entities.rq")):
        iri, kind, label = row["entity"].value, row["kind"].value, row["label"]
        entity = found.setdefault(iri, Entity(iri, kind))
        lit = Literal(label.value, lang=getattr(label, "language", None) or "en")
        for variant in label_variants(lit):
            if variant not in entity.labels:
                entity.labels.append(variant)
        if row["year"] is not None and row["year"].value:
            entity.year = row["year"].value
    return sorted(found.values(), key=lambda e: e.iri)


# --------------------------------------------------------------------------- client


def _retry_after(headers) -> float | None:
    value = headers.get("Retry-After") if headers else None
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class SparqlClient:
    """A polite SPARQLWrapper client: rate-limited, with timeouts and retries."""

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        user_agent: str = USER_AGENT,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 2.0,
        max_wait: float = 120.0,
        min_interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.endpoint, self.user_agent, self.timeout = endpoint, user_agent, timeout
        self.retries, self.backoff, self.max_wait = retries, backoff, max_wait
        self.min_interval, self.sleep, self.clock = min_interval, sleep, clock
        self._last = None
        self.requests = 0
        self.waits: list[float] = []

    def _pace(self) -> None:
        if self._last is not None and self.min_interval > 0:
            wait = self.min_interval - (self.clock() - self._last)
            if wait > 0:
                self.sleep(wait)
        self._last = self.clock()

    def select(self, query: str) -> list[dict]:
        """Run a SELECT; rows as {variable: {"type", "value", ...}} (SPARQL JSON bindings)."""
        attempt = 0
        while True:
            self._pace()
            self.requests += 1
            wrapper = SPARQLWrapper(self.endpoint, agent=self.user_agent)
            wrapper.setMethod(POST)
            wrapper.setReturnFormat(JSON)
            wrapper.setTimeout(int(max(1, self.timeout)))
            wrapper.setQuery(query)
            try:
                result = wrapper.query().convert()
            except urllib.error.HTTPError as exc:  # statuses SPARQLWrapper does not map
                retry = exc.code in RETRY_STATUSES
                wait = _retry_after(exc.headers)
                problem = f"HTTP {exc.code}"
            except EndPointInternalError as exc:
                retry, wait, problem = True, None, f"HTTP 500 ({str(exc).splitlines()[0][:100]})"
            except SPARQLWrapperException as exc:
                raise LinkDiscoveryError(f"{self.endpoint}: {str(exc).splitlines()[0]}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                retry, wait, problem = True, None, f"unreachable ({reason})"
            except ValueError as exc:  # the body is not JSON
                raise LinkDiscoveryError(f"{self.endpoint}: malformed results ({exc})") from None
            else:
                if (
                    not isinstance(result, dict)
                    or "results" not in result
                    or not isinstance(result["results"].get("bindings"), list)
                ):
                    raise LinkDiscoveryError(
                        f"{self.endpoint}: malformed results (no results.bindings)"
                    )
                return result["results"]["bindings"]
            attempt += 1
            if not retry or attempt > self.retries:
                raise LinkDiscoveryError(
                    f"{self.endpoint}: {problem}; gave up after {attempt} attempts"
                )
            delay = min(
                self.max_wait, wait if wait is not None else self.backoff * 2 ** (attempt - 1)
            )
            self.waits.append(delay)
            self.sleep(delay)


def candidates_query(labels: Iterable[Literal]) -> str:
    """The candidates query for these labels. Comment lines are dropped: SPARQLWrapper guesses
    the query type from keywords and takes a comment's "adds" for an ADD update."""
    values = "VALUES ?query { " + " ".join(label.n3() for label in labels) + " }"
    text = "\n".join(
        line
        for line in _query_file("candidates.rq").splitlines()
        if not line.lstrip().startswith("#")
    )
    return text.replace("{{VALUES}}", values)


# --------------------------------------------------------------------------- scoring


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def score(candidate: Candidate, types: dict) -> None:
    """Score 0..1: label similarity 0.5, class 0.2, country 0.2, year 0.1."""
    entity = candidate.entity
    names = [str(label) for label in entity.labels]
    label_sim = max(
        difflib.SequenceMatcher(None, _norm(n), _norm(candidate.label or m)).ratio()
        for n in names
        for m in (candidate.matched or {candidate.label})
    )
    expected = {WIKIDATA_ENTITY + q for q in types.get(entity.kind, [])}
    type_ok = 1.0 if candidate.types & expected else 0.0
    kazakh = entity.kind in ("authority", "law")
    kz = WIKIDATA_ENTITY + types["country_of_kazakh_entities"]
    country = (1.0 if kz in candidate.countries else 0.0) if kazakh else 0.5
    if entity.year and candidate.inception_years:
        year = 1.0 if entity.year in candidate.inception_years else 0.0
    else:
        year = 0.5
    candidate.score = round(0.5 * label_sim + 0.2 * type_ok + 0.2 * country + 0.1 * year, 3)
    bits = [
        f"label {label_sim:.2f} ({'; '.join(sorted(candidate.matched))})",
        f"class {'yes' if type_ok else 'no'}",
    ]
    if kazakh:
        bits.append(f"country {'Kazakhstan' if country else 'other/none'}")
    if entity.year:
        bits.append(f"year {entity.year} vs {','.join(sorted(candidate.inception_years)) or '?'}")
    candidate.evidence = "; ".join(bits)


def find_candidates(client: SparqlClient, batch: list[Entity], types: dict) -> list[Candidate]:
    by_label: dict[Literal, list[Entity]] = {}
    for entity in batch:
        for label in entity.labels:
            by_label.setdefault(label, []).append(entity)
    rows = client.select(candidates_query(by_label))
    found: dict[tuple[str, str], Candidate] = {}
    for row in rows:
        try:
            query = Literal(row["query"]["value"], lang=row["query"].get("xml:lang"))
            item = row["item"]["value"]
        except (KeyError, TypeError):
            raise LinkDiscoveryError(
                f"{client.endpoint}: malformed results (row without query/item)"
            ) from None
        for entity in by_label.get(query, []):
            cand = found.setdefault((entity.iri, item), Candidate(entity, item, ""))
            cand.matched.add(str(query))
            if "itemLabel" in row:
                cand.label = row["itemLabel"]["value"]
            if "type" in row:
                cand.types.add(row["type"]["value"])
            if "country" in row:
                cand.countries.add(row["country"]["value"])
            if "inception" in row:
                cand.inception_years.add(row["inception"]["value"][:4].lstrip("+"))
    for cand in found.values():
        cand.label = cand.label or sorted(cand.matched)[0]
        score(cand, types)
    return sorted(found.values(), key=lambda c: (c.entity.iri, -c.score, c.item))


# --------------------------------------------------------------------------- discovery run


@dataclass
class DiscoveryResult:
    review_file: Path
    entities: int
    skipped: int
    candidates: int
    requests: int


def discover(
    graph,
    out: Path,
    client: SparqlClient,
    *,
    batch_size: int = 10,
    kinds: Iterable[str] | None = None,
    limit: int | None = None,
    restart: bool = False,
) -> DiscoveryResult:
    """Write candidates for every unlinked entity to ``out`` (TSV), batch by batch.

    Progress is kept in ``out`` + ".progress" (one entity IRI per line, written after its
    batch's rows): a second run skips those entities and appends, so an interrupted run loses
    at most the batch in flight.
    """
    progress = out.with_name(out.name + ".progress")
    if restart:
        out.unlink(missing_ok=True)
        progress.unlink(missing_ok=True)
    done = set(progress.read_text("utf-8").split()) if progress.exists() else set()
    entities = [e for e in entities_to_link(graph) if not kinds or e.kind in kinds]
    if limit:
        entities = entities[:limit]
    todo = [e for e in entities if e.iri not in done]
    types = _types()
    new_file = not out.exists()
    written = 0
    with out.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        if new_file:
            writer.writerow(REVIEW_COLUMNS)
            handle.flush()
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            for cand in find_candidates(client, batch, types):
                writer.writerow(
                    [
                        cand.entity.iri,
                        cand.entity.name,
                        cand.entity.kind,
                        cand.item,
                        cand.label,
                        f"{cand.score:.3f}",
                        cand.evidence,
                        "",
                    ]
                )
                written += 1
            handle.flush()
            with progress.open("a", encoding="utf-8") as prog:
                prog.write("".join(e.iri + "\n" for e in batch))
    return DiscoveryResult(out, len(entities), len(entities) - len(todo), written, client.requests)


# --------------------------------------------------------------------------- accept


def accepted_rows(review: Path) -> list[dict]:
    with review.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    missing = set(REVIEW_COLUMNS) - set(rows[0].keys() if rows else REVIEW_COLUMNS)
    if missing:
        raise LinkDiscoveryError(f"{review}: not a review file (missing columns {sorted(missing)})")
    return [r for r in rows if r["accept"].strip().lower() in ("yes", "y", "true", "1", "x")]


def linkset_graph(rows: list[dict], name: str, endpoint: str, today: date) -> Graph:
    """The accepted rows as RDF: the owl:sameAs links, one mig:LinkAssertion per link and the
    void:Linkset with its provenance (method, tool version, threshold, date)."""
    linkset, activity = ID[f"linkset/{name}"], ID[f"activity/link-{name}"]
    threshold = min((float(r["score"]) for r in rows), default=0.0)
    graph = Graph()
    bind_prefixes(graph)
    graph.bind("owl", OWL)
    day = Literal(today.isoformat(), datatype=XSD.date)
    for p, o in (
        (RDF.type, VOID.Linkset),
        (RDFS.label, Literal(f"Links to Wikidata accepted from review {name}", lang="en")),
        (DCTERMS.title, Literal(f"migkg to Wikidata, reviewed candidates ({name})", lang="en")),
        (VOID.subjectsTarget, DATASET),
        (VOID.objectsTarget, ID["void/wikidata"]),
        (VOID.linkPredicate, OWL.sameAs),
        (VOID.triples, Literal(len({(r["entity"], r["candidate"]) for r in rows}))),
        (DCTERMS.created, day),
        (PROV.wasGeneratedBy, activity),
    ):
        graph.add((linkset, p, o))
    for p, o in (
        (RDF.type, PROV.Activity),
        (RDFS.label, Literal(f"Link discovery and review {name}", lang="en")),
        (
            MIG.linkMethod,
            Literal(f"{TOOL_VERSION} (label, class, country and year scoring), reviewed by hand"),
        ),
        (MIG.scoreThreshold, Literal(f"{threshold:.3f}", datatype=XSD.decimal)),
        (PROV.used, URIRef(endpoint)),
        (PROV.endedAtTime, Literal(f"{today.isoformat()}T00:00:00Z", datatype=XSD.dateTime)),
    ):
        graph.add((activity, p, o))
    for i, row in enumerate(rows, 1):
        subject, obj = URIRef(row["entity"]), URIRef(row["candidate"])
        assertion = ID[f"link/{name}/{i}"]
        graph.add((subject, OWL.sameAs, obj))
        for p, o in (
            (RDF.type, MIG.LinkAssertion),
            (RDFS.label, Literal(f"{row['entity_label']} = {row['candidate_label']}", lang="en")),
            (MIG.linkSubject, subject),
            (MIG.linkObject, obj),
            (MIG.score, Literal(f"{float(row['score']):.3f}", datatype=XSD.decimal)),
            (MIG.evidence, Literal(row["evidence"])),
            (PROV.wasDerivedFrom, linkset),
        ):
            graph.add((assertion, p, o))
    return graph


def linkset_turtle(rows: list[dict], name: str, endpoint: str, today: date) -> str:
    """:func:`linkset_graph` as Turtle, under a comment saying where it came from."""
    body = linkset_graph(rows, name, endpoint, today).serialize(format="turtle")
    return f"# Links accepted from a `migkg link` review file on {today.isoformat()}.\n\n{body}"


def accept(
    review: Path,
    config: dict,
    *,
    name: str | None = None,
    endpoint: str = DEFAULT_ENDPOINT,
    today: date | None = None,
):
    """Write the accepted rows to graph_data/links/<name>.ttl and re-validate; on violations the
    file is removed again and the report returned. Returns (path or None, report)."""
    from .validation import validate_sources

    rows = accepted_rows(review)
    if not rows:
        raise LinkDiscoveryError(f"{review}: no row is marked accept=yes")
    today = today or date.today()
    name = name or f"wikidata-{today.strftime('%Y%m%d')}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise LinkDiscoveryError(f"--name {name!r}: use lower-case letters, digits and hyphens")
    target = Path(config["GRAPH_DATA_DIR"]) / "links" / f"{name}.ttl"
    if target.exists():
        raise LinkDiscoveryError(f"{target} exists already: choose another --name")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(linkset_turtle(rows, name, endpoint, today), "utf-8")
    report = validate_sources(config)
    if not report.conforms:
        target.unlink()
        return None, report
    return target, report
