"""Producer releases → the producers graph, with every revision kept (issue 12).

The model (``../shared/docs/producer-apis.md``, "Modelling releases and revisions"; GSS/ONS: a
published version is never amended, only superseded):

* every figure ``migkg update`` reads lives in one named graph, :data:`PRODUCERS_GRAPH`, carried
  from generation to generation (``producers.nq.gz``);
* a producer release is an immutable ``qb:DataSet`` and ``dcat:Dataset``
  (``ds:{source}--{version}``): ``dcat:isVersionOf`` the producer's dataset (also its
  ``prov:hadPrimarySource``), ``dcat:version`` (the World Bank's ``lastupdated``, the UN DESA
  revision code, a hash of the UNHCR rows), ``dct:issued`` when the producer states it,
  ``dcat:previousVersion`` the source's previous release;
* an observation is minted only when its figure (primary source, indicator, areas, period,
  sex) is new or its value or status changed, in the release it came from — so no release
  holds two observations of one figure (Data Cube IC-12). A revised figure's new observation
  is ``prov:wasRevisionOf`` the old one; the old one gains ``dct:isReplacedBy`` and
  ``prov:invalidatedAtTime`` and stays queryable. "Current" is "not replaced";
* each run that changes something is a ``prov:Activity`` (start and end) that ``prov:used``
  the raw responses, each a ``prov:Entity`` (``mig:ProducerResponse``, a kind of
  ``mig:Publication``: the document the figures were read from) with ``pav:retrievedFrom``,
  ``pav:retrievedOn`` and its SHA-256 as an ``spdx:checksum`` (as DCAT 3 does); the bytes are
  kept gzipped in ``PRODUCERS_DIR/responses/<sha256>.gz``.

A release whose figures are all unchanged is not recorded (the next changed release names the
last recorded one as its previous version), so replaying the same responses adds nothing.

The graph is held in Oxigraph (a run of all 49 states compares ~17,000 figures against a history
of hundreds of thousands of triples); what a run adds is built with rdflib
(:attr:`Changes.graph`), validated with the project's shapes, then added to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from importlib import resources

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from ..build.generation import PRODUCERS_GRAPH
from ..namespaces import (
    ID,
    MIG,
    PAV,
    QB,
    SDMX_ATTRIBUTE,
    SDMX_CODE,
    SDMX_DIMENSION,
    SDMX_MEASURE,
    SPDX,
    VOID,
    bind_prefixes,
)
from ..queries import load_query
from .fetched import Fetched
from .records import ProducerFigure, Release, Response
from .states import State, by_iso3, by_world_bank_code

__all__ = ["PRODUCERS_GRAPH", "SOURCES", "Changes", "apply_releases", "SourceStats"]

#: DCAT 3 (rdflib's closed DCAT namespace lacks dcat:isVersionOf, dcat:version, dcat:previousVersion)
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DSD = ID["structure/migration-figures"]
WORLD = ID["area/world"]


@dataclass(frozen=True)
class Source:
    """A producer as the graph names it."""

    key: str  # "worldbank" | "unhcr" | "undesa"
    dataset: URIRef  # the producer's dataset (src:...), every release's dcat:isVersionOf
    slug: str  # release IRIs: ds:{slug}--{version}
    short: str  # observation IRIs: obs:{short}-...
    name: str  # in labels
    locator: str  # mig:locator, formatted with the figure's series, year and sex
    title: str  # the producer's title of the dataset
    publisher: URIRef  # the producer (an org:Organization of the reference data)


def _load_table(name: str) -> dict:
    return json.loads(resources.files(__package__).joinpath(name).read_text("utf-8"))


SOURCES: dict[str, Source] = {
    key: Source(
        key,
        ID["source/" + item["slug"]],
        item["slug"],
        item["short"],
        item["name"],
        item["locator"],
        item["title"],
        ID["organisation/" + item["publisher"]],
    )
    for key, item in _load_table("sources.json").items()
}

#: indicator slug -> (unit IRI, literal datatype) for the figures updates fetch
_UNITS = {
    slug: (URIRef(item["unit"]), XSD[item["datatype"]])
    for slug, item in _load_table("indicators.json").items()
}
#: indicators placed by residence whose figure belongs to the country of origin (UN DESA's
#: emigrant stock by origin): reference area the world total, counterpart area the state
_BY_ORIGIN = {"emigrant-stock"}
_SEX = {"T": SDMX_CODE["sex-T"], "M": SDMX_CODE["sex-M"], "F": SDMX_CODE["sex-F"]}
_SEX_NAME = {"T": "both sexes", "M": "male", "F": "female"}
_SEX_WORD = {"T": "", "M": ", male", "F": ", female"}
#: breakdowns an update never has: their total codes (as on the seed observations)
_TOTALS = {
    MIG.ethnicGroup: ID["code/ethnic-group-all"],
    MIG.permitCategory: ID["code/permit-category-all"],
    MIG.offenceType: ID["code/offence-type-all"],
    MIG.region: ID["area/all-regions"],
    MIG.facility: ID["code/facility-all"],
}


@dataclass
class SourceStats:
    """What a run did with one source's figures (the summary prints these)."""

    fetched: int = 0
    new: int = 0
    revised: int = 0
    unchanged: int = 0
    skipped_null: int = 0

    def line(self, name: str) -> str:
        return (
            f"{name}: {self.fetched} fetched, {self.new} new, {self.revised} revised, "
            f"{self.unchanged} unchanged, {self.skipped_null} skipped (null)"
        )


@dataclass
class Changes:
    """What a run adds to the producers graph."""

    #: the triples added (new releases, the run, the responses, the graph's description)
    graph: Graph
    #: the full description of every observation this run replaces and of the releases the
    #: new ones follow (validated with ``graph``)
    replaced: Graph
    stats: dict[str, SourceStats] = field(default_factory=dict)
    #: (figure IRI, old value, new value) of every revision, for --dry-run and the summary
    revisions: list[tuple[str, str, str]] = field(default_factory=list)
    releases: list[URIRef] = field(default_factory=list)
    #: the responses the recorded releases used (to be kept on disk)
    responses: list[Response] = field(default_factory=list)
    #: the new observations (and the replaced ones' dct:isReplacedBy, prov:invalidatedAtTime),
    #: dealt round-robin into disjoint parts: each is validated in a process of its own
    observations: list[Graph] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.releases)

    def hand_over(self) -> tuple[Graph, Graph, list[Graph]]:
        """What validation sees besides the project's graphs — the changes, their context and
        the observations in parts — given up by this object: they are a run's largest memory
        (~1.5 KB a triple), freed once validated."""
        taken = self.graph, self.replaced, self.observations
        self.graph, self.replaced, self.observations = Graph(), Graph(), []
        return taken

    def triples(self) -> Iterable[tuple]:
        """Every triple the run adds."""
        yield from self.graph
        for part in self.observations:
            yield from part


def _state(code: str) -> State:
    state = by_iso3(code) or by_world_bank_code(code)
    if state is None:  # the fetchers keep only the states of the list
        raise ValueError(f"{code}: not a Prague Process state")
    return state


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _value_literal(figure: ProducerFigure) -> Literal:
    unit, datatype = _UNITS[figure.indicator]
    if datatype == XSD.integer:
        if figure.value != figure.value.to_integral_value():
            raise ValueError(
                f"{figure.source} {figure.series} {figure.area} {figure.year}: "
                f"{figure.published!r} is not a whole number of persons"
            )
        return Literal(str(int(figure.value)), datatype=XSD.integer)
    return Literal(str(figure.value), datatype=datatype)


def _as_decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _grouped(value: Decimal, published: str) -> str:
    """The value as labels write figures ("2 377 128"); non-integers as published."""
    if value == value.to_integral_value() and "e" not in published.lower():
        return f"{int(value):,}".replace(",", " ")
    return published


class _Previous:
    """The producers graph before the run, and what the run compares against."""

    def __init__(self, nquads: bytes):
        self.store = ox.Store()
        if nquads:
            self.store.bulk_load(nquads, ox.RdfFormat.N_QUADS)
        graph = ox.NamedNode(str(PRODUCERS_GRAPH))
        self.current: dict[tuple, tuple[str, Decimal | None, str]] = {}
        for row in self.store.query(load_query("update/current-figures")):
            key = tuple(
                row[name].value
                for name in ("source", "indicator", "area", "counterpart", "period", "sex")
            )
            self.current[key] = (
                row["obs"].value,
                _as_decimal(row["value"].value),
                row["status"].value,
            )
        self.heads: dict[str, str] = {}
        self.datasets: set[str] = set()
        for row in self.store.query(load_query("update/releases")):
            self.datasets.add(row["dataset"].value)
            if row["superseded"].value != "true":
                self.heads[row["source"].value] = row["dataset"].value
        self.graph = graph

    def has(self, subject: str) -> bool:
        return any(True for _ in self.describe(ox.NamedNode(subject)))

    def describe(self, subject: ox.NamedNode | ox.BlankNode) -> Iterable[ox.Quad]:
        return self.store.quads_for_pattern(subject, None, None, self.graph)


def _ox(term):
    """An rdflib term as Oxigraph's (what the run built, added to the history as it is)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(term)
    if isinstance(term, BNode):
        return ox.BlankNode(term)
    if term.language:
        return ox.Literal(term, language=term.language)
    return ox.Literal(term, datatype=ox.NamedNode(term.datatype or XSD.string))


def _term(term: ox.NamedNode | ox.Literal | ox.BlankNode):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


class _Run:
    """Builds the triples of one run (see the module docstring)."""

    def __init__(
        self,
        previous: _Previous,
        started: datetime,
        label: Callable[[URIRef], str],
        parts: int,
    ):
        self.previous = previous
        self.started = started
        self.label = label
        self.graph = Graph()
        bind_prefixes(self.graph)
        self.replaced = Graph()
        self.activity = ID["update/" + started.strftime("%Y%m%dT%H%M%S%fZ")]
        self.changes = Changes(self.graph, self.replaced)
        self.changes.observations = [Graph() for _ in range(max(1, parts))]
        self.minted = 0
        self.recorded: set[str] = set()
        self.described: set[str] = set()

    # -- figures -------------------------------------------------------------------------
    def key(self, figure: ProducerFigure, source: Source) -> tuple:
        area = URIRef(_state(figure.area).area_iri)
        ref, counterpart = (WORLD, area) if figure.indicator in _BY_ORIGIN else (area, WORLD)
        return (
            str(source.dataset),
            str(ID["indicator/" + figure.indicator]),
            str(ref),
            str(counterpart),
            str(ID[f"period/{figure.year}"]),
            str(_SEX[figure.sex]),
        )

    def release(self, release: Release) -> None:
        source = SOURCES[release.source]
        stats = self.changes.stats.setdefault(release.source, SourceStats())
        stats.fetched += len(release.figures)
        minted: list[tuple[ProducerFigure, tuple, str | None]] = []
        seen: set[tuple] = set()
        for figure in release.figures:
            key = self.key(figure, source)
            if key in seen:
                raise ValueError(
                    f"{release.source} release {release.version}: the figure {figure.series} "
                    f"{figure.area} {figure.year} {figure.sex} is stated twice"
                )
            seen.add(key)
            old = self.previous.current.get(key)
            if (
                old is not None
                and old[1] == figure.value
                and old[2] == str(SDMX_CODE["obsStatus-" + figure.status])
            ):
                stats.unchanged += 1
                continue
            minted.append((figure, key, old[0] if old else None))
            if old:
                stats.revised += 1
            else:
                stats.new += 1
        if minted:
            dataset = self._dataset(release, source)
            for figure, key, old in minted:
                self._observation(figure, key, old, dataset, source, release)

    def _dataset(self, release: Release, source: Source) -> URIRef:
        suffix = slug(release.version)
        dataset = ID[f"dataset/{source.slug}--{suffix}"]
        if str(dataset) in self.previous.datasets or str(dataset) in self.recorded:
            # the producer changed figures without a new version: a release of this run
            suffix += "--" + self.activity.rsplit("/", 1)[-1].lower()
            dataset = ID[f"dataset/{source.slug}--{suffix}"]
        self.recorded.add(str(dataset))
        g = self.graph
        g.add((dataset, RDF.type, QB.DataSet))
        g.add((dataset, RDF.type, DCAT.Dataset))
        g.add(
            (dataset, RDFS.label, Literal(f"{source.name}, release {release.version}", lang="en"))
        )
        g.add((dataset, DCTERMS.title, Literal(f"{source.title}, {release.version}", lang="en")))
        g.add((dataset, DCTERMS.publisher, source.publisher))
        g.add((dataset, QB.structure, DSD))
        g.add((dataset, DCAT.isVersionOf, source.dataset))
        g.add((dataset, PROV.hadPrimarySource, source.dataset))
        g.add((dataset, DCAT.version, Literal(release.version)))
        if release.issued is not None:
            g.add((dataset, DCTERMS.issued, Literal(release.issued.isoformat(), datatype=XSD.date)))
        previous = self.previous.heads.get(str(source.dataset))
        if previous:
            g.add((dataset, DCAT.previousVersion, URIRef(previous)))
            self._context(previous)
        self.previous.heads[str(source.dataset)] = str(dataset)
        g.add((dataset, PROV.wasGeneratedBy, self.activity))
        for response in release.responses:
            g.add((dataset, PROV.wasDerivedFrom, self._response(response)))
        self.changes.releases.append(dataset)
        self.release_suffix = suffix
        return dataset

    def _response(self, response: Response) -> URIRef:
        entity = ID["response/" + response.sha256]
        if (entity, RDF.type, PROV.Entity) in self.graph:
            return entity
        if self.previous.has(str(entity)):
            # the same bytes were kept by an earlier run: one entity (first retrieval), used
            # again by this run
            self.graph.add((self.activity, PROV.used, entity))
            self._context(str(entity))
            return entity
        g = self.graph
        for kind in (
            MIG.ProducerResponse,
            MIG.Publication,
            PROV.Entity,
            DCTERMS.BibliographicResource,
        ):
            g.add((entity, RDF.type, kind))
        when = response.retrieved.strftime("%Y-%m-%d")
        name = SOURCES[response.source].name
        g.add((entity, RDFS.label, Literal(f"{response.url} (retrieved {when})", lang="en")))
        g.add((entity, DCTERMS.title, Literal(f"{name} response of {when}", lang="en")))
        g.add((entity, PAV.retrievedFrom, URIRef(response.url)))
        g.add(
            (
                entity,
                PAV.retrievedOn,
                Literal(response.retrieved.isoformat(timespec="seconds"), datatype=XSD.dateTime),
            )
        )
        g.add((entity, DCTERMS["format"], Literal(response.media_type)))
        # an IRI, not a blank node: the producers graph then has none, and publishing it needs
        # no canonicalisation (service/build/generation.py, _merged)
        checksum = URIRef(entity + "#sha256")
        g.add((entity, SPDX.checksum, checksum))
        g.add((checksum, RDFS.label, Literal(f"SHA-256 of {response.url}", lang="en")))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(response.sha256, datatype=XSD.hexBinary)))
        g.add((self.activity, PROV.used, entity))
        self.changes.responses.append(response)
        return entity

    def _observation(
        self,
        figure: ProducerFigure,
        key: tuple,
        old: str | None,
        dataset: URIRef,
        source: Source,
        release: Release,
    ) -> None:
        indicator, ref, counterpart, period, sex = (URIRef(k) for k in key[1:])
        state = _state(figure.area)
        obs = ID[
            f"observation/{source.short}-{figure.indicator}-{state.area_slug}-{figure.year}-"
            f"{figure.sex.lower()}--{self.release_suffix}"
        ]
        unit, _ = _UNITS[figure.indicator]
        parts = self.changes.observations
        g = parts[self.minted % len(parts)]
        self.minted += 1
        g.add((obs, RDF.type, QB.Observation))
        label = (
            f"{self.label(indicator)}, {self.label(URIRef(state.area_iri))}"
            f"{_SEX_WORD[figure.sex]}, {figure.year}: {_grouped(figure.value, figure.published)} "
            f"({source.name}, release {release.version})"
        )
        g.add((obs, RDFS.label, Literal(label, lang="en")))
        g.add((obs, QB.dataSet, dataset))
        g.add((obs, MIG.indicator, indicator))
        g.add((obs, SDMX_DIMENSION.refArea, ref))
        g.add((obs, MIG.counterpartArea, counterpart))
        g.add((obs, SDMX_DIMENSION.refPeriod, period))
        g.add((obs, SDMX_DIMENSION.sex, sex))
        for dimension, total in _TOTALS.items():
            g.add((obs, dimension, total))
        g.add((obs, SDMX_MEASURE.obsValue, _value_literal(figure)))
        g.add((obs, SDMX_ATTRIBUTE.unitMeasure, unit))
        g.add((obs, SDMX_ATTRIBUTE.obsStatus, SDMX_CODE["obsStatus-" + figure.status]))
        g.add((obs, MIG.publishedValue, Literal(figure.published)))
        locator = source.locator.format(
            series=figure.series, year=figure.year, sex=_SEX_NAME[figure.sex]
        )
        g.add((obs, MIG.locator, Literal(locator)))
        g.add((obs, MIG.documentOrder, Literal(figure.order, datatype=XSD.integer)))
        g.add((obs, PROV.wasDerivedFrom, ID["response/" + figure.response]))
        g.add((obs, PROV.hadPrimarySource, source.dataset))
        if old is not None:
            old_iri = URIRef(old)
            g.add((obs, PROV.wasRevisionOf, old_iri))
            g.add((old_iri, DCTERMS.isReplacedBy, obs))
            g.add(
                (
                    old_iri,
                    PROV.invalidatedAtTime,
                    Literal(self.started.isoformat(timespec="seconds"), datatype=XSD.dateTime),
                )
            )
            old_value = self._context(old).value(old_iri, SDMX_MEASURE.obsValue)
            self.changes.revisions.append((str(obs), str(old_value), figure.published))

    def _context(self, subject: str) -> Graph:
        """Copy what the graph says about ``subject`` (a replaced observation, a previous
        release), and about everything it leads to in the producers graph (its release, the
        earlier releases, runs, responses and their checksums: a few dozen nodes, never the
        other observations), into what validation sees with the changes."""
        pending = [ox.NamedNode(subject)]
        while pending:
            node = pending.pop()
            if node.value in self.described:
                continue
            self.described.add(node.value)
            for quad in self.previous.describe(node):
                self.replaced.add((_term(quad.subject), _term(quad.predicate), _term(quad.object)))
                if isinstance(quad.object, (ox.NamedNode, ox.BlankNode)):
                    pending.append(quad.object)
        return self.replaced

    # -- the run and the graph ------------------------------------------------------------
    def finish(self, ended: datetime, first_issued: str | None, used: Iterable[Response]) -> None:
        if not self.changes.changed:
            return
        for response in used:  # what decided "unchanged" was used too
            self._response(response)
        g = self.graph
        a = self.activity
        g.add((a, RDF.type, PROV.Activity))
        stamp = self.started.isoformat(timespec="seconds")
        g.add((a, RDFS.label, Literal(f"Producer update of {stamp}", lang="en")))
        g.add((a, PROV.startedAtTime, Literal(stamp, datatype=XSD.dateTime)))
        g.add(
            (
                a,
                PROV.endedAtTime,
                Literal(ended.isoformat(timespec="seconds"), datatype=XSD.dateTime),
            )
        )
        today = ended.date().isoformat()
        d = PRODUCERS_GRAPH
        for kind in (MIG.SourceGraph, PROV.Entity, VOID.Dataset):
            g.add((d, RDF.type, kind))
        g.add((d, RDFS.label, Literal("Producers graph", lang="en")))
        g.add(
            (
                d,
                DCTERMS.title,
                Literal(
                    "Figures fetched from their producers (World Bank, UNHCR, UN DESA) by migkg update, with every release and revision",
                    lang="en",
                ),
            )
        )
        g.add(
            (
                d,
                DCTERMS.description,
                Literal(
                    "The General Information indicators of every Prague Process state as their producers publish them: one dataset per producer release, an observation per new or revised figure, the runs that fetched them and the raw responses they were read from.",
                    lang="en",
                ),
            )
        )
        g.add((d, DCTERMS.issued, Literal(first_issued or today, datatype=XSD.date)))
        g.add((d, DCTERMS.modified, Literal(today, datatype=XSD.date)))


def apply_releases(
    previous_nquads: bytes,
    fetched: Iterable[Fetched],
    *,
    started: datetime,
    ended: datetime,
    label: Callable[[URIRef], str],
    parts: int = 2,
) -> tuple[Changes, bytes]:
    """Compare the fetched releases with the producers graph ``previous_nquads`` (N-Quads, may be
    empty); the changes and the new producers graph as N-Quads (``previous_nquads`` itself
    when nothing changed). The new observations come in ``parts`` graphs (one per validating
    process).

    :raises ValueError: a release states one figure twice, or a count is not a whole number.
    """
    previous = _Previous(previous_nquads)
    run = _Run(previous, started, label, parts)
    fetched = sorted(fetched, key=lambda f: f.source)
    for outcome in fetched:
        run.changes.stats.setdefault(
            outcome.source, SourceStats()
        ).skipped_null += outcome.skipped_null
        for release in outcome.releases:
            run.release(release)
    first_issued = _first_issued(previous)
    run.finish(ended, first_issued, [r for outcome in fetched for r in outcome.responses])
    if not run.changes.changed:
        return run.changes, previous_nquads
    store = previous.store
    graph = ox.NamedNode(str(PRODUCERS_GRAPH))
    for quad in list(store.quads_for_pattern(graph, None, None, graph)):
        store.remove(quad)  # the graph's description: written anew by every run
    store.extend(ox.Quad(_ox(s), _ox(p), _ox(o), graph) for s, p, o in run.changes.triples())
    return run.changes, store.dump(format=ox.RdfFormat.N_QUADS, from_graph=None)


def _first_issued(previous: _Previous) -> str | None:
    graph = ox.NamedNode(str(PRODUCERS_GRAPH))
    for quad in previous.store.quads_for_pattern(
        graph, ox.NamedNode(str(DCTERMS.issued)), None, graph
    ):
        return quad.object.value
    return None
