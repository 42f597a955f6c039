"""The section of a primary source's page (``prov:hadPrimarySource``): its figures, all of
them up to ``PAGE_SOURCE_FIGURES`` (or ``PAGE_MAX_FIGURES`` if lower), else that many with
links to every one (source-all-figures.rq, run by the SPARQL endpoint as a table or as CSV).
"Referenced by" then leaves the source's figures out (incoming-source.rq) and says how many
there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ....namespaces import PROV
from ..figures import Figure, read_figures
from ..queries import bind, load_query, select_capped
from .generic import Subject, Summary

__all__ = ["SourceView", "applies", "summary", "build"]

_PRIMARY_SOURCE = str(PROV.hadPrimarySource)


@dataclass(frozen=True)
class SourceView:
    """The source's figures (the first ``shown`` of ``total``; ``capped`` when there are
    more) and the query URLs listing every one (``all_html``, ``all_csv``)."""

    template: ClassVar[str] = "pages/entity/source.html"

    figures: list[Figure]
    capped: bool
    total: int
    shown: int
    all_html: str
    all_csv: str


def applies(subject: Subject) -> bool:
    return subject.kind == "source"


def _total(subject: Subject) -> int:
    return subject.catalog.figures(subject.iri, "source")


def summary(subject: Subject) -> Summary | None:
    """The source's figures, which "Referenced by" summarises (they are listed above)."""
    total = _total(subject)
    return Summary(_PRIMARY_SOURCE, total, "listed above") if total else None


def build(subject: Subject) -> SourceView:
    """The source's section: source-figures.rq (the first figures), sorted by indicator, area
    and period."""
    iri, catalog = subject.iri, subject.catalog
    cap = min(subject.limits.source_figures, subject.limits.max_figures)
    rows = select_capped(subject.store, "source-figures", cap, entity=iri)
    figures = read_figures(rows, catalog, source=iri)
    figures.sort(
        key=lambda f: (
            catalog.label(f.indicator).casefold(),
            catalog.label(f.area).casefold(),
            f.start,
            f.obs,
        )
    )
    everything = bind(load_query("source-all-figures"), source=iri)
    scheme = subject.view.scheme
    return SourceView(
        figures=figures,
        capped=rows.truncated,
        total=_total(subject),
        shown=len(rows),
        all_html=scheme.query_url(everything, "html"),
        all_csv=scheme.query_url(everything, "csv"),
    )
