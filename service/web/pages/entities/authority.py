"""The section of an authority's or organisation's page (https://www.w3.org/TR/vocab-org/):
its roles in migration governance over time (``org:member`` assignments), its migration
functions by period (``mig:authority`` assignments), and the figures whose primary source it
publishes (the first ``PAGE_PUBLISHER_FIGURES``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import ClassVar

from ....namespaces import ORG
from ..figures import Figure, read_figures
from ..queries import Term, select_capped
from .generic import Subject

__all__ = ["AuthorityView", "Role", "Function", "FunctionPeriod", "applies", "build"]

_ORGANISATION_TYPES = frozenset({str(ORG.Organization), str(ORG.FormalOrganization)})


@dataclass(frozen=True)
class Role:
    """A role the body held (``org:role``), within an organisation, during a period, as a
    publication states it (at ``locator``)."""

    assignment: str
    role: str
    organisation: str | None
    period: str | None
    publication: str | None
    locator: str | None


@dataclass(frozen=True)
class Function:
    """A migration function assigned to the body, with its status, as a publication states it."""

    assignment: str
    function: str
    status: str | None
    period: str | None
    publication: str | None
    locator: str | None


@dataclass(frozen=True)
class FunctionPeriod:
    """The functions of one period ("" for undated ones)."""

    period: str
    functions: list[Function]


@dataclass(frozen=True)
class AuthorityView:
    """Roles and functions in period order, and the figures it produced as a primary source,
    each list the first ``PAGE_AUTHORITY_ROLES``, ``PAGE_AUTHORITY_FUNCTIONS`` or
    ``PAGE_PUBLISHER_FIGURES`` statements (``*_capped`` when there are more, ``*_read`` of
    them read)."""

    template: ClassVar[str] = "pages/entity/authority.html"

    roles: list[Role]
    roles_capped: bool
    roles_read: int
    periods: list[FunctionPeriod]
    functions_capped: bool
    functions_read: int
    produced: list[Figure]
    produced_capped: bool
    produced_read: int


def applies(subject: Subject) -> bool:
    return subject.kind in ("authority", "organisation") or bool(
        subject.types & _ORGANISATION_TYPES
    )


def _value(term: Term | None) -> str | None:
    """The IRI or lexical form of an optional term."""
    return term.value if term is not None else None


def build(subject: Subject) -> AuthorityView:
    """The authority's section: authority-functions.rq, authority-roles.rq and
    publisher-figures.rq."""
    store, iri, catalog, limits = subject.store, subject.iri, subject.catalog, subject.limits
    function_rows = select_capped(
        store, "authority-functions", limits.authority_functions, entity=iri
    )
    role_rows = select_capped(store, "authority-roles", limits.authority_roles, entity=iri)
    figure_rows = select_capped(store, "publisher-figures", limits.publisher_figures, entity=iri)

    def when(period: str | None) -> tuple[str]:
        return (catalog.period_start(period) or "9999",)

    functions = sorted(
        (
            Function(
                row["assignment"].value,
                row["function"].value,
                _value(row.get("status")),
                _value(row.get("period")),
                _value(row.get("publication")),
                _value(row.get("locator")),
            )
            for row in function_rows
        ),
        key=lambda f: (when(f.period), catalog.label(f.function)),
    )
    roles = sorted(
        (
            Role(
                row["assignment"].value,
                row["role"].value,
                _value(row.get("organisation")),
                _value(row.get("period")),
                _value(row.get("publication")),
                _value(row.get("locator")),
            )
            for row in role_rows
        ),
        key=lambda r: (when(r.period), catalog.label(r.role)),
    )
    by_period: dict[str, list[Function]] = defaultdict(list)
    for function in functions:
        by_period[function.period or ""].append(function)
    return AuthorityView(
        roles=roles,
        roles_capped=role_rows.truncated,
        roles_read=len(role_rows),
        periods=[FunctionPeriod(period, items) for period, items in by_period.items()],
        functions_capped=function_rows.truncated,
        functions_read=len(function_rows),
        produced=read_figures(figure_rows, catalog),
        produced_capped=figure_rows.truncated,
        produced_read=len(figure_rows),
    )
