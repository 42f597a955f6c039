"""How much a page shows: the ``PAGE_*`` settings of :mod:`service.config` (documented there),
read here and nowhere else. Pages get them as one :class:`Limits` value.

The largest lists of the real dataset (the build of ``graph_data/`` the tests use) are far
below the defaults: 450 references to one entity (``publication/mpl-2015``), 150 observations
citing one primary source and one publisher's sources, 294 figures read from one publication,
22 function assignments of one authority, 9 role assignments and 6 key laws of one country; 340
figures of one country and 41 of one indicator (``PAGE_MAX_FIGURES`` is 500). The caps guard
against pages that would list tens of thousands of rows; a page says when it shows only the
first ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from flask import current_app

__all__ = ["Limits", "limits"]


@dataclass(frozen=True)
class Limits:
    """The page caps, each named after its setting."""

    max_figures: int  # PAGE_MAX_FIGURES: a bigger indicator or country page is faceted
    incoming: int  # PAGE_INCOMING_LIMIT: references listed under "Referenced by"
    source_figures: int  # PAGE_SOURCE_FIGURES: figures listed on a source's page
    publisher_figures: int  # PAGE_PUBLISHER_FIGURES: figures of an authority's sources
    publication_figures: int  # PAGE_PUBLICATION_FIGURES: rows of a publication's figures
    authority_functions: int  # PAGE_AUTHORITY_FUNCTIONS: an authority's function assignments
    authority_roles: int  # PAGE_AUTHORITY_ROLES: an authority's role assignments
    country_roles: int  # PAGE_COUNTRY_ROLES: a country's role assignments
    country_laws: int  # PAGE_COUNTRY_LAWS: rows of a country's key laws

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """The limits of ``config`` (``PAGE_<NAME>``, ``PAGE_INCOMING_LIMIT``); negative
        values count as 0."""
        settings = {
            field.name: config[_SETTINGS.get(field.name, "PAGE_" + field.name.upper())]
            for field in fields(cls)
        }
        return cls(**{name: max(0, int(value)) for name, value in settings.items()})


_SETTINGS = {"incoming": "PAGE_INCOMING_LIMIT"}


def limits() -> Limits:
    """The limits of the current app (read from its configuration once)."""
    found = current_app.extensions.get("kg_limits")
    if found is None:
        found = current_app.extensions["kg_limits"] = Limits.from_config(current_app.config)
    return found
