"""The "Producer figures" block of a country's page: the CURRENT figures the producers publish
for the country (World Bank, UNHCR, UN DESA), read from the producers' named graph
(producer-spec.md, "RDF model": an observation is current while no later release replaced it,
i.e. it has no ``dct:isReplacedBy``).

The block is a compact table, one row per indicator and source: the latest period's figure
(totals; linking to the observation, whose page shows its revision history), the release it
came from (``qb:dataSet`` and its ``dcat:version``) and how many periods that source has for the
indicator. One query reads the whole block (country-producer-figures.rq), whatever the number
of indicators; it also says whether a national migration profile has been transcribed for the
country (a publication about it, ``dct:spatial``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from ...store import Store
from ..catalogue import Catalog
from .figures import Figure
from .queries import stored_or_select

__all__ = ["ProducerBlock", "ProducerRow", "read_producer_block"]


@dataclass(frozen=True)
class ProducerRow:
    """The latest current figure of one indicator from one source: the ``figure`` (its
    observation, value, period and source), its release (``dataset``, ``version``) and the
    number of ``periods`` with a current figure."""

    indicator: str
    source: str
    figure: Figure
    dataset: str
    version: str
    periods: int


@dataclass(frozen=True)
class ProducerBlock:
    """The producer figures of a country: ``rows`` by indicator then source, ``count`` current
    figures in all, ``profile`` whether a national migration profile has been transcribed,
    ``capped`` when the store cut the rows."""

    rows: list[ProducerRow]
    count: int
    profile: bool
    capped: bool


def read_producer_block(
    store: Store, iri: str, catalog: Catalog, stored: Mapping[str, list] | None = None
) -> ProducerBlock:
    """The block of the country ``iri`` (one query; its rows from ``stored`` when the build
    materialised them, :func:`.queries.stored_or_select`)."""
    found = stored_or_select(store, stored, "country-producer-figures", iri)
    profile = False
    series: dict[tuple[str, str], list[tuple[Figure, str, str]]] = defaultdict(list)
    seen: set[str] = set()
    for row in found:
        if row.get("profile"):
            profile = True
            continue
        obs = row["obs"].value
        if obs in seen:  # a second version or unit of the same observation: the first is kept
            continue
        seen.add(obs)
        figure = Figure(
            obs=obs,
            value=row["value"],
            published=row.get("published"),
            indicator=row["indicator"].value,
            area=iri,
            period=row["period"].value,
            source=row["source"].value,
            unit=row["unit"].value if row.get("unit") else "",
            start=catalog.period_start(row["period"].value),
        )
        version = row["version"].value if row.get("version") else ""
        series[(figure.indicator, figure.source)].append((figure, row["dataset"].value, version))
    rows = []
    for (indicator, source), items in series.items():
        figure, dataset, version = max(items, key=lambda item: (item[0].start, item[0].obs))
        rows.append(ProducerRow(indicator, source, figure, dataset, version, len(items)))
    rows.sort(
        key=lambda r: (catalog.label(r.indicator).casefold(), catalog.label(r.source).casefold())
    )
    return ProducerBlock(rows, len(seen), profile, found.truncated)
