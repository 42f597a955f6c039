"""The section of an indicator's page: its figures by area, each area with a side-by-side table
(one row per breakdown and period, one column per source) and a line chart per unit of its
totals (one series per source).

**Big indicators are faceted.** Up to ``PAGE_MAX_FIGURES`` figures the page shows every area
(indicator-figures.rq). More: an index of the areas with their counts (indicator-areas.rq) and
the figures of one area only (indicator-area-figures.rq, which reads only that area's figures),
chosen by ``?area=<IRI>``; by default the area with the most figures (ties by label). The area
is part of the memo key and the ``ETag`` (:mod:`..negotiation`). "Referenced by" then
summarises the figures instead of listing them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from markupsafe import Markup

from ....iris import is_safe_iri
from ....namespaces import MIG
from ...catalogue import Catalog
from ...charts import line_chart
from ..figures import (
    Figure,
    attach_breakdowns,
    chart_series,
    facet_url,
    read_figures,
    set_breakdowns,
)
from ..notfound import no_such_facet
from ..queries import bind, load_query, select
from ..view import View
from .generic import Subject, Summary

__all__ = [
    "IndicatorView",
    "AreaFigures",
    "TableRow",
    "AreaIndex",
    "AreaEntry",
    "is_indicator",
    "area_parameter",
    "applies",
    "summary",
    "build",
]

_INDICATOR = MIG + "Indicator"
_INDICATOR_PREDICATE = MIG + "indicator"


@dataclass(frozen=True)
class TableRow:
    """One row of an area's side-by-side table: a breakdown and a period, and each source's
    figures for them (``cells``, by source IRI)."""

    breakdown: tuple[tuple[str, str], ...]
    period: str
    cells: dict[str, list[Figure]]


@dataclass(frozen=True)
class AreaFigures:
    """One area's block: its figures as a side-by-side table (``sources`` are the columns)
    and its charts (SVG)."""

    area: str
    count: int
    sources: list[str]
    rows: list[TableRow]
    charts: list[Markup]


@dataclass(frozen=True)
class AreaEntry:
    """An area in the facet index: its figure count, whether it is shown, its facet URL."""

    area: str
    count: int
    selected: bool
    url: str


@dataclass(frozen=True)
class AreaIndex:
    """The facet index of a big indicator (areas in label order) and the area shown."""

    entries: list[AreaEntry]
    selected: str | None


@dataclass(frozen=True)
class IndicatorView:
    """The indicator's figures: ``areas`` (every area, most figures first; or the one chosen by
    the facet), the total ``count``, whether the store cut a query's rows at
    ``MAX_RESULT_ROWS`` (``capped``) and the facet ``index`` of a big indicator (None when the
    page shows every area)."""

    template: ClassVar[str] = "pages/entity/indicator.html"

    areas: list[AreaFigures]
    count: int
    capped: bool
    index: AreaIndex | None

    @property
    def shown(self) -> AreaFigures | None:
        """The area a faceted page shows."""
        return self.areas[0] if self.areas else None


def is_indicator(types: Iterable[str]) -> bool:
    return _INDICATOR in types


def applies(subject: Subject) -> bool:
    return is_indicator(subject.types)


def area_parameter(iri: str, catalog: Catalog, args: Mapping[str, str]) -> str | None:
    """The ``area`` parameter of an indicator's page: an IRI, or None (absent or empty: the
    default area).

    :raises UnknownResource: (404) for a value that is not an IRI.
    """
    area = args.get("area", "").strip()
    if not area:
        return None
    if not is_safe_iri(area):
        no_such_facet(iri, catalog, "the area parameter is not an IRI")
    return area


def _total(subject: Subject) -> int:
    """The indicator's figures, counted at build time (:mod:`service.build.catalogue`)."""
    return subject.catalog.figures(subject.iri, "indicator")


def summary(subject: Subject) -> Summary | None:
    """A faceted indicator's figures, which "Referenced by" summarises."""
    if not applies(subject):
        return None
    total = _total(subject)
    if total <= subject.limits.max_figures:
        return None
    return Summary(_INDICATOR_PREDICATE, total, "reached through the areas above")


def _table(figures: list[Figure], catalog: Catalog) -> tuple[list[str], list[TableRow]]:
    """Side-by-side rows: one per (breakdown, period), one column per source (by label)."""
    sources = sorted({f.source for f in figures}, key=lambda s: catalog.label(s).casefold())
    rows: dict[tuple, dict[str, list[Figure]]] = {}
    for figure in figures:
        key = (figure.breakdown, figure.period)
        rows.setdefault(key, defaultdict(list))[figure.source].append(figure)
    return sources, [
        TableRow(breakdown, period, cells) for (breakdown, period), cells in rows.items()
    ]


def _area(iri, area, figures, catalog: Catalog, view: View, position: int) -> AreaFigures:
    """One area's block of the indicator page: its side-by-side table and charts."""
    sources, rows = _table(figures, catalog)
    charts = []
    totals = [f for f in figures if not f.breakdown]
    for unit in sorted({f.unit for f in totals}):
        series = chart_series([f for f in totals if f.unit == unit], catalog, view)
        if series:
            title = f"{catalog.label(iri)}, {catalog.label(area)}"
            charts.append(
                line_chart(
                    series,
                    title=title,
                    unit=catalog.label(unit) if unit else "",
                    chart_id=f"chart-{position}-{len(charts)}",
                )
            )
    return AreaFigures(area, len(figures), sources, rows, charts)


def _sort(figures: list[Figure], catalog: Catalog) -> None:
    figures.sort(
        key=lambda f: (
            catalog.label(f.area).casefold(),
            f.breakdown,
            f.start or "9999",
            f.period,
            catalog.label(f.source).casefold(),
            f.obs,
        )
    )


def build(subject: Subject) -> IndicatorView:
    """Figures of an indicator by area: every area up to ``PAGE_MAX_FIGURES`` figures, else the
    index of the areas and the figures of the chosen one (see the module docstring).

    :raises UnknownResource: (404) when the ``area`` facet is given and the indicator has no
        figure for it, faceted or not (so a wrong link never shows a page that looks right,
        and unknown parameters never fill the page memo).
    """
    store, iri, catalog, view = subject.store, subject.iri, subject.catalog, subject.view
    area = subject.facets.get("area")
    total = _total(subject)
    if total <= subject.limits.max_figures:
        rows = select(store, bind(load_query("indicator-figures"), entity=iri))
        figures = read_figures(rows, catalog, indicator=iri)
        cut = attach_breakdowns(
            store, figures, bind(load_query("breakdowns-indicator"), entity=iri)
        )
        _sort(figures, catalog)
        by_area: dict[str, list[Figure]] = defaultdict(list)
        for figure in figures:
            by_area[figure.area].append(figure)
        if area is not None and area not in by_area:
            no_such_facet(iri, catalog, f"{catalog.label(iri)} has no figures for <{area}>")
        areas: list[AreaFigures] = []
        for each in sorted(by_area, key=lambda a: (-len(by_area[a]), catalog.label(a).casefold())):
            areas.append(_area(iri, each, by_area[each], catalog, view, len(areas)))
        return IndicatorView(areas, len(figures), rows.truncated or cut, None)
    area_rows = select(store, bind(load_query("indicator-areas"), entity=iri))
    counts = {row["area"].value: int(row["figures"].value) for row in area_rows}
    if area is None and counts:
        area = min(counts, key=lambda a: (-counts[a], catalog.label(a).casefold(), a))
    elif area not in counts:
        no_such_facet(iri, catalog, f"{catalog.label(iri)} has no figures for <{area}>")
    shown: list[AreaFigures] = []
    capped = area_rows.truncated
    if area is not None:
        rows = select(store, bind(load_query("indicator-area-figures"), entity=iri, area=area))
        figures = read_figures(rows, catalog, indicator=iri, area=area)
        set_breakdowns(figures, rows)
        _sort(figures, catalog)
        shown = [_area(iri, area, figures, catalog, view, 0)]
        capped = capped or rows.truncated
    index = [
        AreaEntry(a, counts[a], a == area, facet_url(view.scheme, iri, area=a))
        for a in sorted(counts, key=lambda a: (catalog.label(a).casefold(), a))
    ]
    return IndicatorView(shown, sum(counts.values()), capped, AreaIndex(index, area))
