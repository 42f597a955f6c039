"""A local stand-in for the producers' APIs: a threaded HTTP server on a loopback port that
answers like the World Bank API v2 and the UNHCR population API, from an in-memory, mutable
"producer state", with faults that can be switched on.

CONSTRUCTED FIXTURE. Nothing live is reachable here: every response is built in the producers'
documented formats (World Bank data help desk articles 898581 and 1886674; UNHCR's API
documentation; ../shared/docs/producer-apis.md), quirks included, not recorded from the live
services:

* World Bank: ``GET /v2/country/{codes}/indicator/{id}?format=json&date=Y1:Y2&per_page=&page=``
  answers ``[header, rows]``; ``date`` is a string, ``value`` may be ``null``, ``per_page`` is a
  string on the pages listed in ``WorldBankData.per_page_as_string``, aggregates (WLD, EUU, ECS
  and one with an empty ``countryiso3code``) are mixed in, an empty result is
  ``[{"page":0,"pages":0,"per_page":0,"total":0}, null]``, an archived indicator gets the
  200-status message envelope (id 175), an unknown one id 120.
* UNHCR: ``GET /population/v1/population/?yearFrom=&yearTo=&coa=&cf_type=ISO&limit=&page=``
  answers ``{"page","maxPages","total","items"}``; counts are ints, strings or ``"-"`` as the
  state holds them; without ``cf_type=ISO`` a ``coa`` list matches nothing (the API then reads
  UNHCR's own codes, e.g. Germany ``GFR``, and silently answers 0 rows with status 200); without
  ``coa`` it answers a world aggregate (``coa_iso`` ``"-"``). Keys of an item's counts other
  than the count fields (``coo_iso``) override the item's.
* UN DESA: ``GET /undesa/{name}`` serves the workbooks of ``ProducerState.workbooks``.

Paging is real (by the request's ``per_page``/``page`` and ``limit``/``page``). Every request is
recorded (:attr:`ReplayServer.requests`: arrival time, path, query, User-Agent) so tests can
assert paging, chunking and parameters. :class:`Fault` injects the documented failures.
:func:`full_state` makes all 49 states × 1990–2024 with deterministic plausible values (a
seeded RNG) for the bench.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from service.update.states import all_states, by_iso3, by_world_bank_code

INDICATOR_NAMES = {
    "SP.POP.TOTL": "Population, total",
    "SP.POP.1564.TO": "Population ages 15-64, total",
    "SL.UEM.TOTL.ZS": "Unemployment, total (% of total labor force) (modeled ILO estimate)",
    "NY.GDP.MKTP.CD": "GDP (current US$)",
    "SM.POP.TOTL": "International migrant stock, total",
}
#: Aggregates the World Bank mixes with countries: (countryiso3code, country id, name).
AGGREGATES = (
    ("WLD", "1W", "World"),
    ("EUU", "EU", "European Union"),
    ("ECS", "Z7", "Europe & Central Asia"),
    ("", "XD", "High income"),
)
#: UNHCR's own codes where they differ from ISO (only the documented example).
UNHCR_CODES = {"DEU": "GFR"}
UNHCR_FIELDS = (
    "refugees",
    "asylum_seekers",
    "returned_refugees",
    "idps",
    "returned_idps",
    "stateless",
    "ooc",
    "oip",
    "hst",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ARCHIVED = (
    "175",
    "Invalid value",
    "The indicator was not found. It may have been deleted or archived.",
)
INVALID = ("120", "Invalid value", "The provided parameter value is not valid")


@dataclass
class Fault:
    """A failure served instead of the normal answer.

    ``kind``: ``envelope`` (World Bank 200-status message, ``message`` = (id, key, value)),
    ``error500``, ``throttle`` (429 with ``Retry-After: retry_after``), ``malformed`` (JSON cut
    in half), ``shape`` (World Bank rows without ``countryiso3code``; UNHCR ``items`` renamed
    ``data``), ``html400`` (a 400 HTML page), ``html200`` (an HTML portal page with status 200),
    ``redirect`` (302 to another host). It applies to requests whose path and query contain
    ``match``, the first ``times`` of them (None: all).
    """

    kind: str
    match: str = ""
    times: int | None = None
    retry_after: str = "1"
    message: tuple[str, str, str] = ARCHIVED


@dataclass
class WorldBankData:
    """What the World Bank publishes: values by (indicator, code, year), None = null."""

    values: dict[tuple[str, str, int], int | float | None] = field(default_factory=dict)
    lastupdated: str = "2026-07-13"
    lastupdated_by_indicator: dict[str, str] = field(default_factory=dict)
    obs_status: dict[tuple[str, str, int], str] = field(default_factory=dict)
    archived: set[str] = field(default_factory=set)
    aggregates: tuple[tuple[str, str, str], ...] = AGGREGATES
    per_page_as_string: set[int] = field(default_factory=lambda: {2})

    def indicators(self) -> set[str]:
        return {indicator for indicator, _, _ in self.values}


@dataclass
class UnhcrData:
    """What UNHCR publishes: items by (coa ISO3, year) → {field: int | str}."""

    items: dict[tuple[str, int], dict[str, int | str]] = field(default_factory=dict)
    default_limit: int = 100


@dataclass
class ProducerState:
    """Both producers' data and the faults switched on; tests change it between runs."""

    worldbank: WorldBankData = field(default_factory=WorldBankData)
    unhcr: UnhcrData = field(default_factory=UnhcrData)
    faults: list[Fault] = field(default_factory=list)
    #: UN DESA workbooks by file name, served at ``/undesa/{name}`` (see ``undesa_workbook``).
    workbooks: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    at: float  # time.monotonic() at arrival
    path: str
    query: dict[str, str]
    user_agent: str


class ReplayServer:
    """The replay server on ``127.0.0.1`` (a free port); a context manager.

    ``url`` is its root; ``worldbank_base`` and ``unhcr_base`` are the API roots a client is
    configured with (``MIGKG_WORLDBANK_API``, ``MIGKG_UNHCR_API``).
    """

    def __init__(self, state: ProducerState | None = None):
        self.state = state or ProducerState()
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.replay = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.worldbank_base = self.url + "/v2"
        self.unhcr_base = self.url + "/population/v1"
        self.undesa_base = self.url + "/undesa"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def requests_to(self, fragment: str) -> list[Recorded]:
        """The recorded requests whose path contains ``fragment``."""
        with self.lock:
            return [request for request in self.requests if fragment in request.path]

    def _record(self, path: str, query: dict[str, str], agent: str) -> Fault | None:
        """Record a request and return the fault to serve, if one applies."""
        with self.lock:
            self.requests.append(Recorded(time.monotonic(), path, query, agent))
            target = path + "?" + "&".join(f"{k}={v}" for k, v in query.items())
            for fault in self.state.faults:
                if fault.match in target and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ProducerReplay/1"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        replay: ReplayServer = self.server.replay  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        fault = replay._record(parts.path, query, self.headers.get("User-Agent", ""))
        state = replay.state
        if match := re.fullmatch(r"/v2/country/([^/]+)/indicator/([^/]+)", parts.path):
            source, answer = "worldbank", lambda: _worldbank(state.worldbank, match, query)
        elif re.fullmatch(r"/population/v1/population/?", parts.path):
            source, answer = "unhcr", lambda: _unhcr(state.unhcr, query)
        elif parts.path.startswith("/undesa/") and parts.path[8:] in state.workbooks:
            body = state.workbooks[parts.path[8:]]
            return self._send(200, XLSX, body) if fault is None else self._fault(fault, "", None)
        else:
            return self._send(404, "text/html", b"<html><body>Not Found</body></html>")
        if fault is not None:
            return self._fault(fault, source, answer)
        status, body = answer()
        self._send(status, "application/json;charset=utf-8", _dump(body))

    def _fault(self, fault: Fault, source: str, answer) -> None:
        if fault.kind == "envelope":
            key = dict(zip(("id", "key", "value"), fault.message, strict=True))
            self._send(200, "application/json;charset=utf-8", _dump([{"message": [key]}]))
        elif fault.kind == "error500":
            self._send(
                500, "text/html", b"<html><body><h1>Internal Server Error</h1></body></html>"
            )
        elif fault.kind == "throttle":
            self._send(429, "text/plain", b"Too Many Requests", {"Retry-After": fault.retry_after})
        elif fault.kind == "malformed":
            body = _dump(answer()[1])
            self._send(200, "application/json;charset=utf-8", body[: len(body) // 2])
        elif fault.kind == "shape":
            body = answer()[1]
            if source == "worldbank" and isinstance(body, list) and body[1]:
                for row in body[1]:
                    row.pop("countryiso3code", None)
            elif source == "unhcr":
                body["data"] = body.pop("items")
            self._send(200, "application/json;charset=utf-8", _dump(body))
        elif fault.kind == "html400":
            page = (
                b"<!DOCTYPE HTML><html><head><title>Bad Request</title></head>"
                b"<body><h2>Bad Request - Invalid URL</h2><hr><p>HTTP Error 400. "
                b"The request URL is invalid.</p></body></html>"
            )
            self._send(400, "text/html; charset=us-ascii", page)
        elif fault.kind == "html200":
            page = (
                b"<!DOCTYPE html><html><head><title>Data portal</title></head><body></body></html>"
            )
            self._send(200, "text/html; charset=utf-8", page)
        elif fault.kind == "redirect":
            self._send(
                302, "text/html", b"", {"Location": "https://data.example.org/moved" + self.path}
            )
        else:
            raise ValueError(f"unknown fault {fault.kind!r}")

    def _send(self, status: int, content_type: str, body: bytes, headers=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _dump(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _years(query: dict[str, str], default: tuple[int, int] = (1960, 2025)) -> tuple[int, int]:
    text = query.get("date", "")
    if ":" in text:
        first, last = text.split(":", 1)
        return int(first), int(last)
    return (int(text), int(text)) if text else default


def _worldbank(data: WorldBankData, match: re.Match, query: dict[str, str]):
    codes, indicator = match.group(1).upper().split(";"), match.group(2)
    if indicator in data.archived:
        return 200, [{"message": [dict(zip(("id", "key", "value"), ARCHIVED, strict=True))]}]
    if indicator not in data.indicators():
        return 200, [{"message": [dict(zip(("id", "key", "value"), INVALID, strict=True))]}]
    first, last = _years(query)
    per_page = int(query.get("per_page", "50"))
    page = int(query.get("page", "1"))
    if codes == ["ALL"]:
        codes = [state.world_bank for state in all_states()]
    covered = {code for name, code, _ in data.values if name == indicator}
    rows = []
    for code, country_id, name in data.aggregates:
        for year in range(last, first - 1, -1):
            rows.append(_wb_row(indicator, code, country_id, name, year, 1_000_000 + year, ""))
    for code in codes:
        state = by_world_bank_code(code)
        if state is None or code not in covered:
            continue  # the World Bank has no series for it: no rows at all
        country_id = "XK" if code == "XKX" else state.iso2
        for year in range(last, first - 1, -1):
            key = (indicator, code, year)
            status = data.obs_status.get(key, "")
            rows.append(
                _wb_row(indicator, code, country_id, state.name, year, data.values.get(key), status)
            )
    if not any(row["countryiso3code"] in codes for row in rows):
        return 200, [{"page": 0, "pages": 0, "per_page": 0, "total": 0}, None]
    pages = math.ceil(len(rows) / per_page)
    header = {
        "page": page,
        "pages": pages,
        "per_page": str(per_page) if page in data.per_page_as_string else per_page,
        "total": len(rows),
        "sourceid": "2",
        "lastupdated": data.lastupdated_by_indicator.get(indicator, data.lastupdated),
    }
    chunk = rows[(page - 1) * per_page : page * per_page]
    return 200, [header, chunk or None]


def _wb_row(indicator, code, country_id, name, year, value, status) -> dict:
    return {
        "indicator": {"id": indicator, "value": INDICATOR_NAMES.get(indicator, indicator)},
        "country": {"id": country_id, "value": name},
        "countryiso3code": code,
        "date": str(year),
        "value": value,
        "unit": "",
        "obs_status": status,
        "decimal": 0 if isinstance(value, int) else 2,
    }


def _unhcr(data: UnhcrData, query: dict[str, str]):
    first = int(query.get("yearFrom", query.get("year", "1951")))
    last = int(query.get("yearTo", query.get("year", "2025")))
    limit = int(query.get("limit", data.default_limit))
    page = int(query.get("page", "1"))
    items = []
    if "coa" in query:
        if query.get("cf_type") == "ISO":
            wanted = set(query["coa"].upper().split(","))
            for (code, year), counts in sorted(
                data.items.items(), key=lambda kv: (kv[0][1], kv[0][0])
            ):
                if code in wanted and first <= year <= last:
                    items.append(_unhcr_item(code, year, counts))
    else:
        for year in range(first, last + 1):
            totals = {f: 0 for f in UNHCR_FIELDS}
            for (_, item_year), counts in data.items.items():
                if item_year == year:
                    for name, value in counts.items():
                        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                            totals[name] = totals.get(name, 0) + int(value)
            items.append(_unhcr_item("-", year, totals))
    max_pages = math.ceil(len(items) / limit)
    chunk = items[(page - 1) * limit : page * limit]
    return 200, {"page": page, "maxPages": max_pages, "total": len(items), "items": chunk}


def _unhcr_item(code: str, year: int, counts: dict[str, int | str]) -> dict:
    state = by_iso3(code)
    item = {
        "year": year,
        "coo_id": 0,
        "coo_name": "-",
        "coo": "-",
        "coo_iso": "-",
        "coa_id": 0,
        "coa_name": state.name if state else "-",
        "coa": UNHCR_CODES.get(code, code),
        "coa_iso": code,
    }
    for name in UNHCR_FIELDS:
        item[name] = counts.get(name, 0)
    item.update((key, value) for key, value in counts.items() if key not in UNHCR_FIELDS)
    return item


def full_state(seed: int = 12, years: tuple[int, int] = (1990, 2024)) -> ProducerState:
    """All 49 states × ``years`` for the five World Bank indicators and the UNHCR counts, with
    deterministic plausible values (a seeded RNG) and the producers' gaps: Kosovo's figures
    start in 2000, unemployment (modelled ILO) in 1991, the migrant stock is published for
    1990, 1995, ..., 2020 and 2024 only, UNHCR's IDP counts are ``"-"`` outside a few states,
    and some counts come as strings."""
    rng = random.Random(seed)
    first, last = years
    wb = WorldBankData()
    unhcr = UnhcrData()
    stock_years = {1990, 1995, 2000, 2005, 2010, 2015, 2020, 2024}
    displacement = {"UKR", "AZE", "GEO", "TUR", "CYP", "BIH", "RUS", "MDA", "SRB"}
    for state in all_states():
        base = math.exp(rng.uniform(math.log(35_000), math.log(146_000_000)))
        growth = rng.uniform(-0.012, 0.02)
        working = rng.uniform(0.6, 0.7)
        income = rng.uniform(500, 40_000)
        stock_share = rng.uniform(0.01, 0.3)
        for year in range(first, last + 1):
            t = year - first
            known = state.code != "XKX" or year >= 2000
            population = round(base * (1 + growth) ** t) if known else None
            code = state.world_bank
            wb.values[("SP.POP.TOTL", code, year)] = population
            wb.values[("SP.POP.1564.TO", code, year)] = (
                round(population * working) if population else None
            )
            wb.values[("SL.UEM.TOTL.ZS", code, year)] = (
                round(rng.uniform(2, 25), 3) if known and year >= 1991 else None
            )
            wb.values[("NY.GDP.MKTP.CD", code, year)] = (
                round(population * income * 1.03**t, 2) if population else None
            )
            wb.values[("SM.POP.TOTL", code, year)] = (
                round(population * stock_share) if population and year in stock_years else None
            )
            if state.iso3 is None:
                continue
            counts: dict[str, int | str] = {}
            for name in UNHCR_FIELDS:
                if name == "idps" and state.iso3 not in displacement:
                    counts[name] = "-"
                    continue
                value = int(math.exp(rng.uniform(0, 12))) if rng.random() < 0.8 else 0
                counts[name] = str(value) if rng.random() < 0.15 else value
            unhcr.items[(state.iso3, year)] = counts
    return ProducerState(worldbank=wb, unhcr=unhcr)
