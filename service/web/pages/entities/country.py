"""The section of a country's page, the country profile: the General Information block (the
figures filed under "General Information: <topic>" in a publication, by topic in the
publication's order, then indicator), the authorities by role and the key laws as publications
about the country state them, the producers' current figures (:mod:`..producers`; a country
without a transcribed national profile says so), and its statistics by publication and section.
A country's ``skos:scopeNote`` (Kosovo*'s footnote) is shown with its name.

A country's figures are those with the country as reference area, and those of its people
abroad (indicators with ``mig:namesOrigin``: placed by residence, but the country's figure).

**Big countries are faceted.** Up to ``PAGE_MAX_FIGURES`` figures every section is listed
(country-figures.rq). More: the General Information block as always (its figures read by their
sections only, country-general-figures.rq), then an index of the sections (country-sections.rq:
publication, locator and count, in the order the full page lists them) and the figures of one
section, chosen by ``?section=<n>`` (its 1-based place in the index; by default none, the
page is the overview: reading a default section as well cost a third of the page's time at
50-country scale, for figures the reader had not asked for).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from ....namespaces import MIG, SDMX_DIMENSION, SKOS
from ...catalogue import Catalog
from ..figures import (
    Figure,
    attach_breakdowns,
    facet_url,
    read_figures,
    section_key,
    set_breakdowns,
)
from ..notfound import no_such_facet
from ..producers import ProducerBlock, read_producer_block
from ..queries import Term, bind, load_query, select, stored_or_select, stored_or_select_capped
from ..statements import objects
from .generic import Subject, Summary

__all__ = [
    "CountryView",
    "GeneralBlock",
    "RoleHolders",
    "RoleHolder",
    "KeyLaw",
    "Section",
    "SectionEntry",
    "SectionIndex",
    "GENERAL_INFORMATION",
    "is_country",
    "section_parameter",
    "applies",
    "summary",
    "build",
]

#: The locator prefix of the General Information block of a country profile.
GENERAL_INFORMATION = "General Information"
_COUNTRY = MIG + "Country"
_REF_AREA = str(SDMX_DIMENSION.refArea)
_SCOPE_NOTE = str(SKOS.scopeNote)


@dataclass(frozen=True)
class GeneralBlock:
    """One topic of the General Information block: its indicators and their figures."""

    heading: str
    indicators: list[tuple[str, list[Figure]]]
    order: int


@dataclass(frozen=True)
class RoleHolder:
    """An authority holding a role, as a publication about the country states it."""

    member: str
    period: str | None
    publication: str
    locator: str | None


@dataclass(frozen=True)
class RoleHolders:
    """A role and who holds it (by label)."""

    role: str
    holders: list[RoleHolder]


@dataclass(frozen=True)
class KeyLaw:
    """A law or policy document about the country: its types, date (or adoption year) and
    the publications stating it."""

    law: str
    types: list[str]
    date: str
    sources: list[str]


@dataclass(frozen=True)
class Section:
    """A section of a publication (``locator``, "" for none) and the country's figures in it;
    ``number`` is its place in the facet index (faceted pages only)."""

    publication: str
    locator: str
    figures: list[Figure]
    number: int | None = None


@dataclass(frozen=True)
class SectionEntry:
    """A section in the facet index: number, figure count, whether it is shown, its URL."""

    number: int
    publication: str
    locator: str
    count: int
    selected: bool
    url: str


@dataclass(frozen=True)
class SectionIndex:
    """The facet index of a big country and the section shown (None: the overview)."""

    entries: list[SectionEntry]
    selected: Section | None


@dataclass(frozen=True)
class CountryView:
    """The country profile: the General Information block (``general_count`` figures), roles
    and key laws (the first ``PAGE_COUNTRY_ROLES``, ``PAGE_COUNTRY_LAWS`` statements;
    ``roles_capped``, ``laws_capped`` when there were more, ``*_read`` of them read), and the other figures by section (every section; or,
    faceted, the ``index`` and the chosen section only); ``count`` figures in all, ``capped``
    when the store cut a query's rows at ``MAX_RESULT_ROWS``."""

    template: ClassVar[str] = "pages/entity/country.html"

    general: list[GeneralBlock]
    general_count: int
    roles: list[RoleHolders]
    roles_capped: bool
    roles_read: int
    laws: list[KeyLaw]
    laws_capped: bool
    laws_read: int
    sections: list[Section]
    count: int
    capped: bool
    index: SectionIndex | None
    producers: ProducerBlock
    scope_notes: list[Term]


def is_country(iri: str, types: Iterable[str], catalog: Catalog) -> bool:
    """A ``mig:Country``, or an area the catalogue lists as a country."""
    return _COUNTRY in types or (catalog.scheme.kind(iri) == "area" and iri in catalog.countries)


def applies(subject: Subject) -> bool:
    return is_country(subject.iri, subject.types, subject.catalog)


def section_parameter(iri: str, catalog: Catalog, args: Mapping[str, str]) -> int | None:
    """The ``section`` parameter of a country's page: a positive integer, or None (absent or
    empty: the overview).

    :raises UnknownResource: (404) for a value that cannot be a section number.
    """
    section = args.get("section", "").strip()
    if not section:
        return None
    if len(section) > 6 or not (section.isascii() and section.isdigit()) or int(section) < 1:
        no_such_facet(iri, catalog, "the section parameter is not a section number")
    return int(section)


def _total(subject: Subject) -> int:
    """The country's figures, counted at build time (:mod:`service.build.catalogue`)."""
    return subject.catalog.figures(subject.iri, "country")


def summary(subject: Subject) -> Summary | None:
    """A faceted country's figures, which "Referenced by" summarises."""
    if not applies(subject):
        return None
    total = _total(subject)
    if total <= subject.limits.max_figures:
        return None
    return Summary(_REF_AREA, total, "reached through the sections above")


def build(subject: Subject) -> CountryView:
    """The country profile (see the module docstring).

    :raises UnknownResource: (404) when the ``section`` facet is given and is not a place in
        the index, faceted or not.
    """
    iri, catalog, limits = subject.iri, subject.catalog, subject.limits
    section = subject.facets.get("section")
    total = _total(subject)
    if total <= limits.max_figures:
        general, general_count, sections, count, capped, index = _every_section(subject)
        if section is not None and section > len(sections):
            no_such_facet(iri, catalog, f"{catalog.label(iri)} has no section {section}")
    else:
        general, general_count, sections, capped, index = _one_section(subject, section)
        count = total
    roles, roles_capped, roles_read = _roles(subject)
    laws, laws_capped, laws_read = _laws(subject)
    return CountryView(
        general=general,
        general_count=general_count,
        roles=roles,
        roles_capped=roles_capped,
        roles_read=roles_read,
        laws=laws,
        laws_capped=laws_capped,
        laws_read=laws_read,
        sections=sections,
        count=count,
        capped=capped,
        index=index,
        producers=read_producer_block(subject.store, iri, catalog, subject.stored),
        scope_notes=objects(subject.outgoing, _SCOPE_NOTE),
    )


def _roles(subject: Subject) -> tuple[list[RoleHolders], bool, int]:
    """Authorities by role (country-roles.rq), roles and holders by label; whether there were
    more statements than ``PAGE_COUNTRY_ROLES``, and how many were read."""
    catalog = subject.catalog
    rows = stored_or_select_capped(
        subject.store, subject.stored, "country-roles", subject.limits.country_roles, subject.iri
    )
    by_role: dict[str, list[RoleHolder]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: catalog.label(r["member"].value).casefold()):
        by_role[row["role"].value].append(
            RoleHolder(
                row["member"].value,
                row["period"].value if row.get("period") else None,
                row["publication"].value,
                row["locator"].value if row.get("locator") else None,
            )
        )
    roles = [
        RoleHolders(role, holders)
        for role, holders in sorted(by_role.items(), key=lambda kv: catalog.label(kv[0]).casefold())
    ]
    return roles, rows.truncated, len(rows)


def _laws(subject: Subject) -> tuple[list[KeyLaw], bool, int]:
    """Key laws and policy documents (country-laws.rq), by date, undated last; whether there
    were more statements than ``PAGE_COUNTRY_LAWS``, and how many were read."""
    catalog = subject.catalog
    rows = stored_or_select_capped(
        subject.store, subject.stored, "country-laws", subject.limits.country_laws, subject.iri
    )
    found: dict[str, dict] = {}
    for row in rows:
        entry = found.setdefault(row["law"].value, {"types": set(), "date": "", "sources": set()})
        entry["types"].add(row["type"].value)
        when = row.get("date") or row.get("year")
        if when:
            entry["date"] = when.value
        if row.get("publication"):
            entry["sources"].add(row["publication"].value)
    laws = [
        KeyLaw(law, _sorted(e["types"]), e["date"], _sorted(e["sources"]))
        for law, e in found.items()
    ]
    laws.sort(key=lambda e: (e.date or "9999", catalog.label(e.law).casefold()))
    return laws, rows.truncated, len(rows)


def _sorted(iris: set[str]) -> list[str]:
    # as Jinja's sort filter ordered them: case-insensitively
    return sorted(iris, key=str.lower)


def _is_general(locator: str) -> bool:
    return any(part.startswith(GENERAL_INFORMATION) for part in locator.split("; "))


def _general_blocks(general: list[Figure], catalog: Catalog) -> list[GeneralBlock]:
    """The General Information block: its figures by heading, then indicator."""
    headings: dict[str, list[Figure]] = defaultdict(list)
    for figure in general:
        locator = next(p for p in figure.locators if p.startswith(GENERAL_INFORMATION))
        heading = locator.partition(":")[2].strip() or GENERAL_INFORMATION
        headings[heading].append(figure)
    blocks = []
    for heading, items in headings.items():
        by_indicator: dict[str, list[Figure]] = defaultdict(list)
        for figure in sorted(
            items, key=lambda f: (f.order, catalog.label(f.source).casefold(), f.start, f.obs)
        ):
            by_indicator[figure.indicator].append(figure)
        blocks.append(
            GeneralBlock(heading, list(by_indicator.items()), min(f.order for f in items))
        )
    # in the publication's order (mig:documentOrder), as the 2024 page shows the block
    blocks.sort(key=lambda b: (b.order, b.heading.casefold()))
    return blocks


def _sort_section(figures: list[Figure], catalog: Catalog) -> None:
    figures.sort(key=lambda f: (catalog.label(f.indicator).casefold(), f.breakdown, f.start, f.obs))


def _every_section(subject: Subject):
    """Every figure of the country (country-figures.rq), in the General Information block or
    in its sections."""
    store, iri, catalog = subject.store, subject.iri, subject.catalog
    rows = select(store, bind(load_query("country-figures"), entity=iri))
    figures = read_figures(rows, catalog, area=iri)
    cut = attach_breakdowns(store, figures, bind(load_query("breakdowns-area"), entity=iri))
    general = [f for f in figures if _is_general(f.locator)]
    general_ids = {f.obs for f in general}
    by_section: dict[tuple[str, str], list[Figure]] = defaultdict(list)
    for figure in figures:
        if figure.obs in general_ids:
            continue
        for locator in figure.locators:
            by_section[(figure.publication, locator)].append(figure)
    sections = []
    for (publication, locator), items in sorted(
        by_section.items(),
        key=lambda kv: (catalog.label(kv[0][0]).casefold(), section_key(kv[0][1])),
    ):
        _sort_section(items, catalog)
        sections.append(Section(publication, locator, items))
    capped = rows.truncated or cut
    return _general_blocks(general, catalog), len(general), sections, len(figures), capped, None


def _one_section(subject: Subject, section: int | None):
    """The General Information figures and one section's, each read by their sections only."""
    store, iri, catalog = subject.store, subject.iri, subject.catalog
    counts: dict[tuple[str, str], int] = {}
    terms: dict[tuple[str, str], Term] = {}
    section_rows = stored_or_select(store, subject.stored, "country-sections", iri)
    capped = section_rows.truncated
    for row in section_rows:
        key = (row["publication"].value, row["locator"].value)
        counts[key] = counts.get(key, 0) + int(row["figures"].value)
        terms[key] = row["locator"]
    general_keys = {k for k in counts if k[1].startswith(GENERAL_INFORMATION)}
    general: list[Figure] = []
    if general_keys:
        general, _, cut = _section_figures(
            subject, "country-general-figures", sorted(general_keys), terms
        )
        capped = capped or cut
        general = [f for f in general if _is_general(f.locator)]
        # as on the full page, a General Information figure is not listed in its other sections
        for figure in general:
            for part in figure.locator.split("; "):
                key = (figure.publication, part)
                if key in counts and key not in general_keys:
                    counts[key] -= 1
    keys = sorted(
        (k for k in counts if k not in general_keys and counts[k] > 0),
        key=lambda k: (catalog.label(k[0]).casefold(), section_key(k[1]), k[0]),
    )
    if section is not None and section > len(keys):
        no_such_facet(iri, catalog, f"{catalog.label(iri)} has no section {section}")
    chosen = None
    if keys and section is not None:
        key = keys[section - 1]
        found, matched, cut = _section_figures(subject, "country-section-figures", [key], terms)
        capped = capped or cut
        general_ids = {f.obs for f in general}
        items = [f for f in found if key in matched[f.obs] and f.obs not in general_ids]
        _sort_section(items, catalog)
        chosen = Section(key[0], key[1], items, section)
    index = [
        SectionEntry(
            n,
            publication,
            locator,
            counts[(publication, locator)],
            chosen is not None and n == chosen.number,
            facet_url(subject.view.scheme, iri, section=n),
        )
        for n, (publication, locator) in enumerate(keys, start=1)
    ]
    sections = [chosen] if chosen else []
    return (
        _general_blocks(general, catalog),
        len(general),
        sections,
        capped,
        SectionIndex(index, chosen),
    )


def _section_figures(subject: Subject, query: str, keys, terms):
    """The figures of the area filed under the sections ``keys`` ((publication, locator)),
    with their breakdowns, the sections each was matched by, and whether the store cut the
    rows."""
    rows = [
        {"publication": publication, "section": terms[(publication, locator)].literal()}
        for publication, locator in keys
    ]
    found = select(subject.store, bind(load_query(query), rows, entity=subject.iri))
    matched: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in found:
        matched[row["obs"].value].add((row["publication"].value, row["section"].value))
    figures = read_figures(found, subject.catalog, area=subject.iri)
    set_breakdowns(figures, found)
    return figures, matched, found.truncated
