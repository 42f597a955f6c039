"""The section of an observation's page (``qb:Observation``, https://www.w3.org/TR/vocab-data-cube/):
the figure as published with its unit and qualifiers, its indicator, area, period and breakdown,
the provenance chain one hop further (publication, its publisher and dates; primary source and
its producer; data set), and the same figure from other sources (the rival figures the build
materialised in the catalogue, at most 50).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ....namespaces import MIG, QB, SDMX_ATTRIBUTE, SDMX_DIMENSION, SDMX_MEASURE
from ..figures import BREAKDOWN_DIMS, Figure, read_figures, rival_rows
from ..queries import Term, bind, load_query, select
from ..statements import first_object, objects
from .generic import Subject

__all__ = ["ObservationView", "Provenance", "applies", "build"]

_OBSERVATION = str(QB.Observation)
_LOCATOR = MIG + "locator"


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
    rivals: list[Figure]


def applies(subject: Subject) -> bool:
    return _OBSERVATION in subject.types


def build(subject: Subject) -> ObservationView:
    """The observation's section: its own statements, observation.rq and the rivals."""
    rows = select(subject.store, bind(load_query("observation"), entity=subject.iri))
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
        # the same figure from other sources: materialised by the build (catalogue, rivals)
        rivals=read_figures(rival_rows(subject.catalog.rivals(subject.iri)), subject.catalog),
    )
