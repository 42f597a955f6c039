"""UNHCR Refugee Data Finder population API → a release of UNHCR's refugee statistics.

Format (https://api.unhcr.org/docs/refugee-statistics.html and producer-apis.md):
``GET {base}/population/?yearFrom=Y1&yearTo=Y2&coa=ISO3,...&cf_type=ISO&limit=N&page=P``
answers ``{"page","maxPages","total","items":[{"year","coo_iso","coa_iso","refugees",
"asylum_seekers","idps","stateless",...}]}``. The base URL is the API root
(``https://api.unhcr.org/population/v1``).

``cf_type=ISO`` is always sent: without it ``coa`` takes UNHCR's own codes and ``coa=DEU``
silently returns nothing. The states' ISO codes go in ``coa=`` lists (chunked), every page is
read until ``page >= maxPages``. Fields refugees → refugees, asylum_seekers → asylum-seekers,
idps → idps, stateless → stateless-persons, by country of asylum (``coa_iso``); counts come as
numbers or strings, ``"-"`` (or empty) is no value and counted in :attr:`Fetched.skipped_null`.
A row with ``coo_iso`` other than ``"-"`` is a breakdown by origin that a query by ``coa`` alone
should never return: it raises :class:`UpdateError`, as does any other shape. Kosovo has no ISO
code and is fetched from the World Bank only.

The release version is the first 16 hex digits of the SHA-256 of the canonical JSON (keys
sorted, no spaces, UTF-8) of the items used — the items of the states asked for within the
years, reduced to ``year``, ``coa_iso`` and the four counts (as int, or null for no value), sorted
by ``coa_iso`` and ``year`` — so the version changes exactly when a figure the update reads
changes, not when paging, chunking or the spelling of a number (``12`` / ``"12"``) does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal

from .chunks import chunk_codes
from .errors import UpdateError
from .fetched import Fetched, group_releases
from .http import ProducerClient
from .jsonbody import load
from .records import ProducerFigure, Response
from .states import State, all_states

__all__ = ["DEFAULT_BASE", "FIELDS", "fetch"]

SOURCE = "unhcr"
DEFAULT_BASE = "https://api.unhcr.org/population/v1"
#: UNHCR field → the project's indicator slug (producer-spec.md, "Indicators fetched").
FIELDS = {
    "refugees": "refugees",
    "asylum_seekers": "asylum-seekers",
    "idps": "idps",
    "stateless": "stateless-persons",
}
NO_VALUE = frozenset({"-", ""})
MAX_COA = 600
MAX_PAGES = 10_000


def fetch(
    client: ProducerClient,
    states: Sequence[State] | None = None,
    first: int = 1990,
    last: int = 2024,
    *,
    limit: int = 1000,
    max_coa: int = MAX_COA,
) -> Fetched:
    """The four counts for ``states`` (default: all with an ISO code) from ``first`` to ``last``.

    :raises UpdateError: on any HTTP failure or unexpected shape.
    """
    states = tuple(all_states() if states is None else states)
    wanted = {state.iso3: state for state in states if state.iso3 is not None}
    years = (first, last)
    responses: list[Response] = []
    pages_read: list[tuple[Response, list[dict]]] = []
    used: list[dict] = []
    seen: set[tuple[str, int]] = set()
    skipped = 0
    for codes in chunk_codes(list(wanted), ",", max_coa):
        page = 1
        while True:
            params = {
                "yearFrom": first,
                "yearTo": last,
                "coa": ",".join(codes),
                "cf_type": "ISO",
                "limit": limit,
                "page": page,
            }
            response = client.get("population/", params, source=SOURCE)
            responses.append(response)
            max_pages, items = _page(response, page)
            rows = []
            for number, item in enumerate(items, start=1):
                row = _row(response, number, item, wanted, years)
                if row is None:
                    continue
                key = (row["coa_iso"], row["year"])
                if key in seen:
                    raise _shape(response, f"{key[0]} {key[1]} arrived twice")
                seen.add(key)
                rows.append(row)
            pages_read.append((response, rows))
            if page >= max_pages:
                break
            if page >= MAX_PAGES:
                raise _shape(response, f"more than {MAX_PAGES} pages")
            page += 1
    parts = []
    for response, rows in pages_read:
        figures: list[ProducerFigure] = []
        digest = response.sha256  # once: the property hashes the whole body
        for row in rows:
            used.append({"year": row["year"], "coa_iso": row["coa_iso"], **row["counts"]})
            for field, indicator in FIELDS.items():
                published = row["published"][field]
                if published is None:
                    skipped += 1
                    continue
                figures.append(
                    ProducerFigure(
                        source=SOURCE,
                        indicator=indicator,
                        series=field,
                        area=row["coa_iso"],
                        year=row["year"],
                        sex="T",
                        value=Decimal(row["counts"][field]),
                        published=published,
                        status="A",
                        response=digest,
                        order=len(figures) + 1,
                    )
                )
        parts.append((figures, response))
    version = _version(used)
    return Fetched(
        source=SOURCE,
        releases=group_releases(
            SOURCE, ((version, None, response, figures) for figures, response in parts)
        )
        if used
        else (),
        responses=tuple(responses),
        skipped_null=skipped,
    )


def _shape(response: Response, reason: str) -> UpdateError:
    return UpdateError(f"{SOURCE}: unexpected response from {response.url}: {reason}")


def _whole(value: object) -> int | None:
    """A whole number written as a JSON number or a string of digits (both ``str`` here, see
    :mod:`.jsonbody`), else None."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _page(response: Response, page: int) -> tuple[int, list]:
    """``maxPages`` and the items of one page."""
    body = load(response)
    if not isinstance(body, dict):
        raise _shape(response, "not a JSON object")
    missing = [key for key in ("page", "maxPages", "items") if key not in body]
    if missing:
        raise _shape(response, f"no {', '.join(missing)}")
    max_pages, got = _whole(body["maxPages"]), _whole(body["page"])
    if max_pages is None or got is None:
        raise _shape(response, f"page {body['page']!r} of maxPages {body['maxPages']!r}")
    if got != page:
        raise _shape(response, f"page {got} arrived for page {page}")
    if not isinstance(body["items"], list):
        raise _shape(response, "'items' is not a list")
    return max_pages, body["items"]


def _row(
    response: Response,
    number: int,
    item: object,
    wanted: dict[str, State],
    years: tuple[int, int],
) -> dict | None:
    """One item of a state asked for: its year, state, counts (int or None) and their published
    text; None for an item of another area or year."""
    if not isinstance(item, dict):
        raise _shape(response, f"item {number} is not an object")
    missing = [key for key in ("year", "coa_iso", "coo_iso", *FIELDS) if key not in item]
    if missing:
        raise _shape(response, f"item {number} lacks {', '.join(missing)}")
    if item["coo_iso"] != "-":
        raise _shape(
            response,
            f"item {number} is broken down by origin (coo_iso {item['coo_iso']!r}), "
            "which a query by country of asylum should not return",
        )
    year = _whole(item["year"])
    if year is None:
        raise _shape(response, f"item {number}: year {item['year']!r}")
    code = item["coa_iso"]
    if not isinstance(code, str):
        raise _shape(response, f"item {number}: coa_iso {code!r}")
    if code not in wanted or not years[0] <= year <= years[1]:
        return None
    counts: dict[str, int | None] = {}
    published: dict[str, str | None] = {}
    for field in FIELDS:
        value = item[field]
        if value is None or (isinstance(value, str) and value.strip() in NO_VALUE):
            counts[field] = published[field] = None
            continue
        whole = _whole(value)
        if whole is None:
            raise _shape(response, f"item {number}: {field} is {value!r}, not a count")
        counts[field] = whole
        published[field] = str(value)
    return {"year": year, "coa_iso": code, "counts": counts, "published": published}


def _version(used: list[dict]) -> str:
    """The first 16 hex digits of the SHA-256 of the canonical JSON of the items used."""
    items = sorted(used, key=lambda item: (item["coa_iso"], item["year"]))
    text = json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
