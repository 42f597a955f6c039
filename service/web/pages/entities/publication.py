"""The section of a publication's page: the figures read from it (the first
``PAGE_PUBLICATION_FIGURES``), by section (``mig:locator``: paragraphs first, then in the
order of the numbers in them), each section by indicator and period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import ClassVar

from ....namespaces import MIG
from ..figures import Figure, read_figures, section_key
from ..queries import select_capped
from .generic import Subject

__all__ = ["PublicationView", "applies", "build"]

_PUBLICATION = MIG + "Publication"


@dataclass(frozen=True)
class PublicationView:
    """The figures by section (locator, "" for none, and its figures); ``count`` figures,
    ``capped`` when the publication has more rows than ``PAGE_PUBLICATION_FIGURES``."""

    template: ClassVar[str] = "pages/entity/publication.html"

    sections: list[tuple[str, list[Figure]]]
    count: int
    capped: bool


def applies(subject: Subject) -> bool:
    return _PUBLICATION in subject.types


def build(subject: Subject) -> PublicationView:
    """The publication's section: publication-figures.rq."""
    catalog = subject.catalog
    rows = select_capped(
        subject.store,
        "publication-figures",
        subject.limits.publication_figures,
        entity=subject.iri,
    )
    figures = read_figures(rows, catalog, publication=subject.iri)
    by_locator: dict[str, list[Figure]] = defaultdict(list)
    for figure in figures:
        for locator in figure.locators:
            by_locator[locator].append(figure)
    sections = [
        (
            locator,
            sorted(
                by_locator[locator],
                key=lambda f: (catalog.label(f.indicator).casefold(), f.start, f.obs),
            ),
        )
        for locator in sorted(by_locator, key=section_key)
    ]
    return PublicationView(sections, len(figures), rows.truncated)
