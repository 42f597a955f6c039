"""World Bank API v2 indicators → releases of World Development Indicators (source 2).

Format (https://datahelpdesk.worldbank.org/knowledgebase/articles/898581 and producer-apis.md):
``GET {base}/country/{codes}/indicator/{id}?format=json&date=Y1:Y2&per_page=N&page=P`` answers
``[{"page","pages","per_page","total","sourceid","lastupdated"}, [row, ...]]``, each row
``{"indicator":{"id","value"}, "country":{"id","value"}, "countryiso3code", "date", "value",
"unit", "obs_status", "decimal"}``. The base URL is the API root (``https://api.worldbank.org/v2``).

One call per indicator (no ``source=2`` needed), the states' codes joined by ``;`` and chunked
so that the path segment stays under 1,500 characters, every page read until
``page == pages`` (``per_page`` and ``date`` may be strings). Only rows of the states asked for
become figures (aggregates such as WLD, EUU, ECS and rows with an empty ``countryiso3code`` are
dropped); ``value: null`` is counted in :attr:`Fetched.skipped_null`. The empty result
``[{"page":0,"pages":0,...}, null]`` gives no figures and is no error; the 200-status message
envelope ``[{"message":[...]}]`` (e.g. id 175, an archived indicator) and any other shape raise
:class:`UpdateError`.

Releases: a figure belongs to the release named by the ``lastupdated`` of the response it was
read from (the version and, as a date, ``issued``). All indicators of source 2 share one
``lastupdated``, so a run normally gives one release; if the World Bank publishes between two
calls of a run, the figures read before and after fall into two releases, one per
``lastupdated``, each true to the responses it was read from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from .chunks import chunk_codes
from .errors import UpdateError
from .fetched import Fetched, group_releases
from .http import ProducerClient
from .jsonbody import JsonNumber, load
from .records import ProducerFigure, Response
from .states import State, all_states

__all__ = ["DEFAULT_BASE", "INDICATORS", "SDMX_STATUS", "fetch"]

SOURCE = "worldbank"
DEFAULT_BASE = "https://api.worldbank.org/v2"
#: World Bank indicator id → the project's indicator slug (producer-spec.md, "Indicators fetched").
INDICATORS = {
    "SP.POP.TOTL": "population",
    "SP.POP.1564.TO": "working-age-population",
    "SL.UEM.TOTL.ZS": "unemployment-rate",
    "NY.GDP.MKTP.CD": "gdp-current-prices",
    "SM.POP.TOTL": "immigrant-stock",
}
#: SDMX observation status letters (SDMX code list CL_OBS_STATUS).
SDMX_STATUS = frozenset("ABDEFGIKLMNOPQSUV")
MAX_SEGMENT = 1500
MAX_PAGES = 10_000


def fetch(
    client: ProducerClient,
    states: Sequence[State] | None = None,
    first: int = 1990,
    last: int = 2024,
    *,
    indicators: Iterable[str] = tuple(INDICATORS),
    per_page: int = 1000,
    max_segment: int = MAX_SEGMENT,
) -> Fetched:
    """Every value of ``indicators`` for ``states`` (default: all) from ``first`` to ``last``.

    :raises UpdateError: on any HTTP failure, error envelope or unexpected shape.
    """
    states = tuple(all_states() if states is None else states)
    wanted = {state.world_bank: state for state in states}
    years = (first, last)
    parts = []
    responses: list[Response] = []
    skipped = 0
    seen: set[tuple[str, str, int]] = set()
    for indicator in indicators:
        if indicator not in INDICATORS:
            raise UpdateError(f"{SOURCE}: {indicator} is not an indicator the update knows")
        for codes in chunk_codes(list(wanted), ";", max_segment):
            path = f"country/{';'.join(codes)}/indicator/{indicator}"
            page, pages, count, total = 1, None, 0, 0
            while True:
                params = {
                    "format": "json",
                    "date": f"{first}:{last}",
                    "per_page": per_page,
                    "page": page,
                }
                response = client.get(path, params, source=SOURCE)
                responses.append(response)
                header, rows = _page(response, indicator, page)
                if pages is not None and header["pages"] != pages:
                    raise _shape(response, f"pages changed from {pages} to {header['pages']}")
                pages, total = header["pages"], header["total"]
                count += len(rows)
                figures, nulls = _figures(response, indicator, rows, wanted, years, seen)
                skipped += nulls
                if header["lastupdated"] is not None:
                    issued = _issued(response, header["lastupdated"])
                    parts.append((header["lastupdated"], issued, response, figures))
                elif figures:
                    raise _shape(response, "figures without 'lastupdated'")
                if pages == 0 or page >= pages:
                    break
                if page >= MAX_PAGES:
                    raise _shape(response, f"more than {MAX_PAGES} pages")
                page += 1
            if count != total:
                raise _shape(response, f"'total' is {total} but the pages held {count} rows")
    return Fetched(
        source=SOURCE,
        releases=group_releases(SOURCE, parts),
        responses=tuple(responses),
        skipped_null=skipped,
    )


def _shape(response: Response, reason: str) -> UpdateError:
    return UpdateError(f"{SOURCE}: unexpected response from {response.url}: {reason}")


def _int(response: Response, value: object, what: str) -> int:
    """A count the API writes as a number or a string of digits (``per_page``, ``date``)."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise _shape(response, f"{what} is {value!r}, not a whole number")


def _page(response: Response, indicator: str, page: int) -> tuple[dict, list]:
    """The header (page numbers as int, ``lastupdated`` or None) and the rows of one page."""
    body = load(response)
    if (
        isinstance(body, list)
        and body
        and isinstance(body[0], dict)
        and "message" in body[0]
        and len(body) == 1
    ):
        raise UpdateError(
            f"{SOURCE}: {indicator}: the API answered with an error message "
            f"({_messages(body[0]['message'])}) for {response.url}"
        )
    if not (isinstance(body, list) and len(body) == 2 and isinstance(body[0], dict)):
        raise _shape(response, "not the two-element array [header, rows]")
    meta, rows = body
    missing = [key for key in ("page", "pages", "per_page", "total") if key not in meta]
    if missing:
        raise _shape(response, f"the header lacks {', '.join(missing)}")
    header = {key: _int(response, meta[key], key) for key in ("page", "pages", "per_page", "total")}
    header["lastupdated"] = meta.get("lastupdated")
    if header["lastupdated"] is not None and not isinstance(header["lastupdated"], str):
        raise _shape(response, f"'lastupdated' is {header['lastupdated']!r}")
    if rows is None:
        if header["total"] != 0:
            raise _shape(response, f"no rows but 'total' is {header['total']}")
        return header, []
    if not isinstance(rows, list):
        raise _shape(response, "the second element is not a list of rows")
    if header["page"] != page:
        raise _shape(response, f"page {header['page']} arrived for page {page}")
    if len(rows) > header["per_page"]:
        raise _shape(response, f"{len(rows)} rows on a page of {header['per_page']}")
    return header, rows


def _messages(messages: object) -> str:
    if not isinstance(messages, list):
        return repr(messages)
    return "; ".join(
        f"id {m.get('id', '?')}, {m.get('key', '?')}: {m.get('value', '?')}"
        if isinstance(m, dict)
        else repr(m)
        for m in messages
    )


def _issued(response: Response, lastupdated: str) -> date:
    try:
        return date.fromisoformat(lastupdated)
    except ValueError:
        raise _shape(response, f"'lastupdated' {lastupdated!r} is not a date") from None


def _figures(
    response: Response,
    indicator: str,
    rows: list,
    wanted: dict[str, State],
    years: tuple[int, int],
    seen: set[tuple[str, str, int]],
) -> tuple[list[ProducerFigure], int]:
    """The figures of the states asked for on one page, and the count of their null values."""
    figures: list[ProducerFigure] = []
    nulls = 0
    digest = response.sha256  # once: the property hashes the whole body
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise _shape(response, f"row {number} is not an object")
        missing = [
            key
            for key in ("indicator", "countryiso3code", "date", "value", "obs_status")
            if key not in row
        ]
        if missing:
            raise _shape(response, f"row {number} lacks {', '.join(missing)}")
        row_indicator = row["indicator"].get("id") if isinstance(row["indicator"], dict) else None
        if row_indicator != indicator:
            raise _shape(response, f"row {number} is of indicator {row_indicator!r}")
        code = row["countryiso3code"]
        if not isinstance(code, str):
            raise _shape(response, f"row {number}: countryiso3code is {code!r}")
        state = wanted.get(code)
        if state is None:
            continue  # an aggregate, a region, or a state not asked for
        year = _int(response, row["date"], f"row {number}: date")
        if not years[0] <= year <= years[1]:
            continue
        key = (indicator, code, year)
        if key in seen:
            raise _shape(response, f"{code} {year} arrived twice")
        seen.add(key)
        value = row["value"]
        if value is None:
            nulls += 1
            continue
        if not isinstance(value, JsonNumber):
            raise _shape(response, f"row {number}: value is {value!r}, not a number or null")
        try:
            exact = Decimal(value)
        except InvalidOperation:
            raise _shape(response, f"row {number}: value {value!r}") from None
        status = row["obs_status"]
        if status == "" or status is None:
            status = "A"
        elif status not in SDMX_STATUS:
            raise _shape(response, f"row {number}: obs_status {status!r} is no SDMX status")
        figures.append(
            ProducerFigure(
                source=SOURCE,
                indicator=INDICATORS[indicator],
                series=indicator,
                area=state.code,
                year=year,
                sex="T",
                value=exact,
                published=str(value),
                status=status,
                response=digest,
                order=len(figures) + 1,
            )
        )
    return figures, nulls
