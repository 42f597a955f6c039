"""The records between fetching and modelling (``producer-spec.md``, "records.py (exact)").

The fetchers (:mod:`.worldbank`, :mod:`.unhcr`, :mod:`.undesa`) produce them; the history writer
turns them into RDF. Nothing here knows HTTP or RDF.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

__all__ = ["Response", "ProducerFigure", "Release"]


@dataclass(frozen=True)
class Response:
    """One raw response (or one downloaded file) an update used."""

    source: str  # "worldbank" | "unhcr" | "undesa"
    url: str  # the full URL requested (or file:///abs/path for --file)
    retrieved: datetime  # UTC, timezone-aware
    body: bytes  # exactly as received
    media_type: str  # "application/json", or the xlsx media type

    @property
    def sha256(self) -> str:
        """The hex SHA-256 of the body (the response entity's checksum and file name)."""
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class ProducerFigure:
    """One value a producer published for a state, an indicator, a year and a sex."""

    source: str  # "worldbank" | "unhcr" | "undesa"
    indicator: str  # project indicator slug (population, refugees, immigrant-stock, ...)
    series: str  # the producer's own id: "SP.POP.TOTL", "refugees", "destination" / "origin"
    area: str  # ISO 3166-1 alpha-3 of the state ("XKX" for Kosovo, World Bank only)
    year: int
    sex: str  # "T" | "M" | "F"
    value: Decimal  # exact
    published: str  # the value exactly as written in the response ("1830489311088.89", "12")
    status: str  # SDMX obsStatus letter: "A" unless the producer says otherwise
    response: str  # sha256 of the Response it was read from
    order: int  # 1-based position of the figure in that response


@dataclass(frozen=True)
class Release:
    """One release (vintage) of a producer's dataset and the figures read from it."""

    source: str
    version: str  # WB: lastupdated; UNHCR: 16 hex of a SHA-256; UN DESA: the revision code
    issued: date | None  # WB: lastupdated; UNHCR/UN DESA: None unless stated
    figures: tuple[ProducerFigure, ...]
    responses: tuple[Response, ...]
