"""Figures as the tables and charts of the entity pages show them: :class:`Figure` (one
observation, always with its source and period), read from page query rows, with its breakdown
(the non-total codes of its breakdown dimensions), grouped side by side by source, and drawn as
chart series (:mod:`service.web.charts`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from ...iris import IriScheme
from ...namespaces import MIG, SDMX_DIMENSION
from ...store import Store
from ..catalogue import Catalog
from ..charts import Point, Series
from .queries import Term, select
from .view import View

__all__ = [
    "Figure",
    "BREAKDOWN_DIMS",
    "read_figures",
    "attach_breakdowns",
    "set_breakdowns",
    "rival_rows",
    "group_table",
    "chart_series",
    "section_key",
    "facet_url",
]

#: Breakdown dimensions, in the order a breakdown lists its codes (their total codes are
#: filtered in breakdowns-*.rq).
BREAKDOWN_DIMS = (
    str(SDMX_DIMENSION.sex),
    MIG + "counterpartArea",
    MIG + "ethnicGroup",
    MIG + "permitCategory",
    MIG + "offenceType",
    MIG + "region",
    MIG + "facility",
)
_DIM_ORDER = {dim: i for i, dim in enumerate(BREAKDOWN_DIMS)}
#: What a figure as published consists of when it is only a number ("20 592 571", "4.9").
_NUMBER_CHARACTERS = frozenset("0123456789 .,-")


@dataclass
class Figure:
    """One figure as the tables show it: always with its source and period."""

    obs: str
    value: Term | None
    published: Term | None = None
    indicator: str = ""
    area: str = ""
    period: str = ""
    source: str = ""
    publication: str = ""
    locator: str = ""
    unit: str = ""
    breakdown: tuple[tuple[str, str], ...] = ()
    start: str = ""
    order: int = 0  # mig:documentOrder: the figure's place in its publication

    @property
    def shows_unit(self) -> bool:
        """Whether a list shows the unit after the figure: a literal with a unit, unless the
        figure as published says more than a number ("20.6 million", "about 5%")."""
        return (
            bool(self.unit)
            and self.value is not None
            and self.value.kind == "literal"
            and not (self.published and set(self.published.value) - _NUMBER_CHARACTERS)
        )

    @property
    def locators(self) -> list[str]:
        """Where in its publication (``mig:locator``), one entry per locator ("" if none)."""
        return self.locator.split("; ") if self.locator else [""]


def read_figures(rows: Iterable[dict], catalog: Catalog, **fixed: str) -> list[Figure]:
    """Rows with ``?obs`` (and ``?value``, ``?indicator``, ... as the query has them) -> one
    Figure per observation, in first-seen order; ``fixed`` fills what the query bound (the
    page's entity). Several ``?locator`` rows of a figure are joined with ``"; "``."""
    figures: dict[str, Figure] = {}
    for row in rows:
        obs = row["obs"].value
        figure = figures.get(obs)
        if figure is None:

            def get(name, row=row):
                term = row.get(name)
                return term.value if term is not None else fixed.get(name, "")

            figure = Figure(
                obs,
                row.get("value"),
                row.get("published"),
                get("indicator"),
                get("area"),
                get("period"),
                get("source"),
                get("publication"),
                get("locator"),
                get("unit"),
            )
            figure.start = catalog.period_start(figure.period)
            if row.get("order") is not None:
                figure.order = int(row["order"].value)
            figures[obs] = figure
        elif row.get("locator") is not None and row["locator"].value not in figure.locator.split(
            "; "
        ):
            figure.locator = "; ".join(filter(None, [figure.locator, row["locator"].value]))
    return list(figures.values())


def attach_breakdowns(store: Store, figures: list[Figure], query: str) -> bool:
    """Set ``breakdown`` on ``figures`` from ``query`` (a bound breakdowns-*.rq); whether the
    store cut its rows (some breakdowns then missing)."""
    if not figures:
        return False
    rows = select(store, query)
    set_breakdowns(figures, rows)
    return rows.truncated


def set_breakdowns(figures: list[Figure], rows) -> None:
    """Set ``breakdown`` on ``figures`` from rows with ?obs, ?dim and ?code (unbound: a total)."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        if row.get("dim") is not None and row.get("code") is not None:
            found[row["obs"].value].append((row["dim"].value, row["code"].value))
    for figure in figures:
        codes = found.get(figure.obs)
        if codes:
            figure.breakdown = tuple(
                sorted(set(codes), key=lambda dc: (_DIM_ORDER.get(dc[0], 99), dc[1]))
            )


def _stored_term(kind, value, lang, datatype) -> Term | None:
    return Term(kind, value, lang or "", datatype or "") if kind else None


def rival_rows(rows: Iterable[tuple]) -> list[dict[str, Term | None]]:
    """Rows of the catalogue's rival-figures table as the page queries' rows look."""
    found = []
    for row in rows:
        obs, *value, source, publication = row[0], *row[1:9], row[9], row[10]
        found.append(
            {
                "obs": Term("uri", obs),
                "value": _stored_term(*value[:4]),
                "published": _stored_term(*value[4:]),
                "source": Term("uri", source) if source else None,
                "publication": Term("uri", publication) if publication else None,
            }
        )
    return found


def group_table(figures: list[Figure], catalog: Catalog, key_fields: tuple[str, ...]):
    """Side-by-side rows: one row per key (area, period, breakdown, ...), one column per
    source; each cell lists that source's figures for the key."""
    sources = sorted({f.source for f in figures}, key=lambda s: catalog.label(s).casefold())
    rows: dict[tuple, dict[str, list[Figure]]] = {}
    for figure in figures:
        key = tuple(getattr(figure, name) for name in key_fields)
        rows.setdefault(key, defaultdict(list))[figure.source].append(figure)
    return sources, rows


def _as_float(term: Term | None) -> float | None:
    if term is None or term.kind != "literal":
        return None
    try:
        return float(term.value)
    except ValueError:
        return None


def _year_fraction(day: str) -> float | None:
    try:
        parsed = date.fromisoformat(day[:10])
    except ValueError:
        return None
    return parsed.year + (parsed.timetuple().tm_yday - 1) / 366.0


def chart_series(figures: list[Figure], catalog: Catalog, view: View) -> list[Series]:
    """One series per source (named by its short name), a point per numeric figure placed at
    the start of its period, linking to the figure's page."""
    series: dict[str, Series] = {}
    for figure in figures:
        y = _as_float(figure.value)
        x = _year_fraction(figure.start) if figure.start else None
        if y is None or x is None:
            continue
        name = catalog.short.get(figure.source) or catalog.label(figure.source) or "no source"
        text = (
            f"{name}: {view.value(figure.value, figure.published)} ({catalog.label(figure.period)})"
        )
        series.setdefault(figure.source, Series(name)).points.append(
            Point(x, y, text, view.url(figure.obs))
        )
    return [series[s] for s in sorted(series, key=lambda s: series[s].name.casefold())]


def section_key(locator: str) -> tuple:
    """Sort key of a locator: sections (``§2.2``) first, then by the numbers in it."""
    numbers = [int(n) for n in re.findall(r"\d+", locator)]
    return (0 if locator.startswith("§") else 1, numbers, locator)


def facet_url(scheme: IriScheme, iri: str, **params) -> str:
    """The page of ``iri`` with a facet parameter (``?area=<IRI>``, ``?section=<n>``)."""
    url = scheme.page_url(iri)
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
