"""What a fetcher returns: its releases, every response it used, and how many values it skipped.

The spec's :class:`~service.update.records.Release` has no room for the count of skipped values
("skipped-null" in the run's summary), and one fetch can meet more than one release (the World
Bank's ``lastupdated`` can change between two calls of one run), so each fetcher returns one
:class:`Fetched`:

* ``releases`` — one :class:`Release` per distinct version, ordered by version;
* ``responses`` — every response read, including those that gave no figure and belong to no
  release (an empty World Bank result carries no ``lastupdated``): the run records them all;
* ``skipped_null`` — values of the states asked for that the producer left empty (``null``,
  ``"-"``, ``".."``, an empty cell): not figures, only counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .records import ProducerFigure, Release, Response

__all__ = ["Fetched", "group_releases"]


@dataclass(frozen=True)
class Fetched:
    """The outcome of one fetcher: releases, responses, and the skipped-null count."""

    source: str
    releases: tuple[Release, ...]
    responses: tuple[Response, ...]
    skipped_null: int

    @property
    def figures(self) -> tuple[ProducerFigure, ...]:
        """Every figure of every release, in release order."""
        return tuple(figure for release in self.releases for figure in release.figures)


def group_releases(
    source: str,
    parts: Iterable[tuple[str, date | None, Response, list[ProducerFigure]]],
) -> tuple[Release, ...]:
    """One release per version from ``(version, issued, response, figures)`` parts, in the
    order of their versions; a release keeps the responses of its version in reading order."""
    grouped: dict[str, tuple[date | None, list[Response], list[ProducerFigure]]] = {}
    for version, issued, response, figures in parts:
        _, responses, collected = grouped.setdefault(version, (issued, [], []))
        responses.append(response)
        collected.extend(figures)
    return tuple(
        Release(
            source=source,
            version=version,
            issued=issued,
            figures=tuple(figures),
            responses=tuple(responses),
        )
        for version, (issued, responses, figures) in sorted(grouped.items())
    )
