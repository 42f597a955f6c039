"""The Prague Process participating states: 49 named (50 stated in 2018).

The list is data (``service/build/prague_process_states.json``, shared with the reference data's
generator; ISO 3166-1 alpha-3 codes as named on the Prague
Process "States and partners" page); ISO alpha-2, UN M49 and names are derived from ``pycountry``
(Debian's iso-codes), never typed by hand. Kosovo* has no ISO 3166-1 and no M49 code: its only
producer code is the World Bank's ``XKX``, which is also its :attr:`State.code` (the ``area`` of
its figures), and its area IRI slug is ``kosovo``. Every other state's area slug is its ISO
alpha-2 code in lower case (``area:kz``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pycountry

from .errors import UpdateError

__all__ = [
    "AREA_BASE",
    "State",
    "all_states",
    "by_iso3",
    "by_m49",
    "by_world_bank_code",
    "parse_countries",
]

AREA_BASE = "https://w3id.org/migkg/id/area/"
#: The one list of the states (service/build/, shared with the reference data's generator,
#: service/build/states.py)
STATES_FILE = "prague_process_states.json"


@dataclass(frozen=True)
class State:
    """One Prague Process state and its codes (``None`` where the state has none)."""

    code: str  # ISO alpha-3, or "XKX" for Kosovo: the ``area`` of its figures
    iso3: str | None
    iso2: str | None
    m49: str | None  # three digits, as ISO 3166-1 numeric ("008")
    world_bank: str  # the World Bank API v2 code (ISO alpha-3, or XKX)
    name: str
    area_slug: str

    @property
    def area_iri(self) -> str:
        """The state's area IRI (``https://w3id.org/migkg/id/area/kz``)."""
        return AREA_BASE + self.area_slug


def _state(entry: dict) -> State:
    iso3 = entry.get("iso3")
    if iso3 is None:
        return State(
            code=entry["worldBank"],
            iso3=None,
            iso2=None,
            m49=None,
            world_bank=entry["worldBank"],
            name=entry["label"],
            area_slug=entry["area"],
        )
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        raise UpdateError(f"{STATES_FILE}: {iso3} is not an ISO 3166-1 alpha-3 code")
    return State(
        code=iso3,
        iso3=iso3,
        iso2=country.alpha_2,
        m49=country.numeric,
        world_bank=entry.get("worldBank", iso3),
        name=entry.get("label") or getattr(country, "common_name", country.name),
        area_slug=country.alpha_2.lower(),
    )


@cache
def all_states() -> tuple[State, ...]:
    """Every state, in the order of the data file (the Prague Process page's order)."""
    text = resources.files("service.build").joinpath(STATES_FILE).read_text("utf-8")
    return tuple(_state(entry) for entry in json.loads(text)["states"])


@cache
def _index(attribute: str) -> dict[str, State]:
    return {
        getattr(state, attribute): state
        for state in all_states()
        if getattr(state, attribute) is not None
    }


def by_iso3(code: str) -> State | None:
    """The state with this ISO 3166-1 alpha-3 code, or ``None`` (Kosovo has none)."""
    return _index("iso3").get(code)


def by_m49(code: int | str) -> State | None:
    """The state with this UN M49 code (``398``, ``"398"`` or ``"008"``), or ``None``."""
    try:
        number = int(code)
    except (TypeError, ValueError):
        return None
    return _index("m49").get(f"{number:03d}")


def by_world_bank_code(code: str) -> State | None:
    """The state the World Bank API v2 codes ``code`` (``countryiso3code``), or ``None``."""
    return _index("world_bank").get(code)


def parse_countries(text: str) -> tuple[State, ...]:
    """The states of a ``--countries ISO3,...`` option, in the list's order.

    ISO alpha-3 codes, case-insensitive, comma-separated; ``XKX`` names Kosovo.

    :raises UpdateError: on an empty list or a code that names no Prague Process state.
    """
    codes = [part.strip().upper() for part in text.split(",") if part.strip()]
    if not codes:
        raise UpdateError("--countries: give ISO 3166-1 alpha-3 codes, e.g. KAZ,UZB")
    known = {state.code: state for state in all_states()}
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise UpdateError(
            f"--countries: {', '.join(unknown)} "
            f"{'is not the code' if len(unknown) == 1 else 'are not codes'} of a Prague Process "
            "state (ISO 3166-1 alpha-3; Kosovo is XKX)"
        )
    wanted = set(codes)
    return tuple(state for state in all_states() if state.code in wanted)
