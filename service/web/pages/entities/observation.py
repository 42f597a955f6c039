"""The section of an observation's page (``qb:Observation``, https://www.w3.org/TR/vocab-data-cube/):
the figure as published with its unit and qualifiers, its indicator, area, period and breakdown,
the provenance chain one hop further (publication, its publisher and dates; primary source and
its producer; data set), its revisions one hop either way (a producer figure that a later
release revised: "Replaced by", ``dct:isReplacedBy``, with the time it stopped being current,
``prov:invalidatedAtTime``; and on the new one "Revision of", ``prov:wasRevisionOf``; each with
its value and release, and a link to a query listing every version, observation-history.rq),
and the same figure from other sources (the rival figures the build materialised in the
catalogue, at most 50).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ....namespaces import MIG, QB, SDMX_ATTRIBUTE, SDMX_DIMENSION, SDMX_MEASURE
from ..figures import BREAKDOWN_DIMS, Figure, read_figures, rival_rows
from ..queries import Term, bind, load_query, stored_or_select
from ..statements import first_object, objects
from .generic import Subject

__all__ = ["ObservationView", "Provenance", "Revision", "Revisions", "applies", "build"]

_OBSERVATION = str(QB.Observation)
_LOCATOR = MIG + "locator"
_INVALIDATED = "http://www.w3.org/ns/prov#invalidatedAtTime"


@dataclass(frozen=True)
class Provenance:
    """Where the figure comes from, each list sorted: the publication it was read from (its
    publishers and issue or modification dates, the ``locators`` in it), the primary source
    (and who produced it) and the data set."""

    publications: list[str]
    publication_publishers: list[str]
    publication_dates: list[str]
    locators: list[str]
    sources: list[str]
    source_publishers: list[str]
    datasets: list[str]


@dataclass(frozen=True)
class Revision:
    """Another version of the figure: its observation, value (and as published), release
    (dataset and ``dcat:version``) and when a later release replaced it (None: current)."""

    obs: str
    value: Term | None
    published: Term | None
    release: str | None
    version: str | None
    invalidated: str | None


@dataclass(frozen=True)
class Revisions:
    """The figure's place in its revision chain: the versions that replaced it
    (``replaced_by``) and that it revises (``revision_of``), when it was replaced
    (``invalidated``), and the URL of the query listing every version (None: no revisions)."""

    replaced_by: list[Revision]
    revision_of: list[Revision]
    invalidated: str | None
    history_url: str | None


@dataclass(frozen=True)
class ObservationView:
    """An observation: its value (``published``: as printed), unit, qualifiers, dimensions and
    breakdown (dimension, code), provenance and ``rivals`` (other sources' figures)."""

    template: ClassVar[str] = "pages/entity/observation.html"

    value: Term | None
    published: Term | None
    unit: Term | None
    qualifiers: list[Term]
    indicator: Term | None
    area: Term | None
    period: Term | None
    breakdown: list[tuple[str, Term]]
    provenance: Provenance
    revisions: Revisions
    rivals: list[Figure]


def applies(subject: Subject) -> bool:
    return _OBSERVATION in subject.types


def _text(row: dict[str, Term], name: str) -> str | None:
    return row[name].value if row.get(name) else None


def _revisions(subject: Subject, rows) -> Revisions:
    """The revisions among the rows of observation.rq (``?direction`` bound)."""
    found: dict[str, dict[str, Revision]] = {"replaced-by": {}, "revision-of": {}}
    for row in rows:
        direction = row.get("direction")
        if direction is None or direction.value not in found:
            continue
        other = row["other"].value

        found[direction.value].setdefault(
            other,
            Revision(
                other,
                row.get("otherValue"),
                row.get("otherPublished"),
                _text(row, "otherRelease"),
                _text(row, "otherVersion"),
                _text(row, "otherInvalidated"),
            ),
        )
    invalidated = first_object(subject.outgoing, _INVALIDATED)
    history = None
    if found["replaced-by"] or found["revision-of"]:
        chain = bind(load_query("observation-history"), entity=subject.iri)
        history = subject.view.scheme.query_url(chain, "html")
    return Revisions(
        sorted(found["replaced-by"].values(), key=lambda r: r.obs),
        sorted(found["revision-of"].values(), key=lambda r: r.obs),
        invalidated.value if invalidated else None,
        history,
    )


def build(subject: Subject) -> ObservationView:
    """The observation's section: its own statements, observation.rq (provenance and
    revisions) and the rivals."""
    rows = stored_or_select(subject.store, subject.stored, "observation", subject.iri)
    outgoing = subject.outgoing

    def values(name: str) -> list[str]:
        return sorted({row[name].value for row in rows if row.get(name)})

    dates = {
        (row.get("pubIssued") or row.get("pubModified")).value
        for row in rows
        if row.get("pubIssued") or row.get("pubModified")
    }
    return ObservationView(
        value=first_object(outgoing, str(SDMX_MEASURE.obsValue)),
        published=first_object(outgoing, MIG + "publishedValue"),
        unit=first_object(outgoing, str(SDMX_ATTRIBUTE.unitMeasure)),
        qualifiers=objects(outgoing, MIG + "qualifier"),
        indicator=first_object(outgoing, MIG + "indicator"),
        area=first_object(outgoing, str(SDMX_DIMENSION.refArea)),
        period=first_object(outgoing, str(SDMX_DIMENSION.refPeriod)),
        breakdown=[(s.predicate, s.obj) for s in outgoing if s.predicate in BREAKDOWN_DIMS],
        provenance=Provenance(
            publications=values("publication"),
            publication_publishers=values("pubPublisher"),
            publication_dates=sorted(dates),
            locators=[s.obj.value for s in outgoing if s.predicate == _LOCATOR],
            sources=values("source"),
            source_publishers=values("sourcePublisher"),
            datasets=values("dataset"),
        ),
        revisions=_revisions(subject, rows),
        # the same figure from other sources: materialised by the build (catalogue, rivals)
        rivals=read_figures(rival_rows(subject.catalog.rivals(subject.iri)), subject.catalog),
    )
