"""The producer clients (issue 12) against the replay server (``producer_replay``) and a
constructed UN DESA workbook (``undesa_workbook``): both are built in the producers' documented
formats, nothing here reaches a live API.

World Bank API v2: paging, chunking, aggregates and nulls, ``per_page`` as a string, the
200-status error envelope and the other failures. UNHCR: ``cf_type=ISO``, numbers as strings and
``"-"``, the release version. UN DESA: the workbook layout, the sex blocks, the revision code.
The HTTP client: retries, ``Retry-After``, one base URL. The states and ``--countries``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from itertools import pairwise
from urllib.parse import urlsplit

import pytest
import requests
from producer_replay import Fault, ProducerState, ReplayServer, UnhcrData, WorldBankData, full_state
from undesa_workbook import build_workbook, default_values

from service.update import undesa, unhcr, worldbank
from service.update.errors import UpdateError
from service.update.http import ProducerClient
from service.update.states import all_states, by_iso3, by_m49, by_world_bank_code, parse_countries

STATE_CODES = {state.code for state in all_states()}
KAZ = by_iso3("KAZ")


@pytest.fixture
def replay():
    with ReplayServer(full_state()) as server:
        yield server


def client(base: str, **options) -> ProducerClient:
    """A client with short waits (tests stay fast; Retry-After is still honoured up to 5 s)."""
    settings = {"timeout": (2.0, 10.0), "attempts": 3, "backoff": 0.01, "max_retry_after": 5.0}
    return ProducerClient(base, **(settings | options))


def wb_fetch(server: ReplayServer, *args, **kwargs):
    with client(server.worldbank_base) as producer:
        return worldbank.fetch(producer, *args, **kwargs)


def unhcr_fetch(server: ReplayServer, *args, **kwargs):
    with client(server.unhcr_base) as producer:
        return unhcr.fetch(producer, *args, **kwargs)


# World Bank API v2 -------------------------------------------------------------------------


def test_world_bank_fetches_every_state_and_indicator_reading_every_page(replay):
    fetched = wb_fetch(replay, per_page=400)
    values = replay.state.worldbank.values
    published = {key: value for key, value in values.items() if value is not None}
    assert {(f.series, f.area, f.year) for f in fetched.figures} == set(published)
    assert fetched.skipped_null == len(values) - len(published)
    population = replay.requests_to("/indicator/SP.POP.TOTL")
    rows = 49 * 35 + 4 * 35  # the states and the four aggregates mixed in
    assert [r.query["page"] for r in population] == [str(p) for p in range(1, -(-rows // 400) + 1)]
    assert all(r.query["date"] == "1990:2024" and r.query["format"] == "json" for r in population)
    assert {r.query["per_page"] for r in population} == {"400"}


def test_long_country_lists_are_split_into_path_segments_under_the_limit(replay):
    fetched = wb_fetch(replay, indicators=["SP.POP.TOTL"], max_segment=60)
    segments = [r.path.split("/")[3] for r in replay.requests_to("/indicator/SP.POP.TOTL")]
    assert len(set(segments)) > 3
    assert all(len(segment) < 60 for segment in segments)
    assert set(";".join(set(segments)).split(";")) == STATE_CODES
    assert {f.area for f in fetched.figures} == STATE_CODES


def test_aggregates_and_nulls_never_become_figures(replay):
    replay.state.worldbank.values[("SP.POP.TOTL", "KAZ", 2024)] = None
    fetched = wb_fetch(replay, [KAZ], indicators=["SP.POP.TOTL"])
    body = json.loads(fetched.responses[0].body)
    assert {"WLD", "EUU", "ECS", ""} <= {row["countryiso3code"] for row in body[1]}
    assert {f.area for f in fetched.figures} == {"KAZ"}
    assert 2024 not in {f.year for f in fetched.figures}
    assert fetched.skipped_null == 1
    assert len(fetched.figures) == 34


def test_per_page_and_date_written_as_strings_are_read(replay):
    replay.state.worldbank.per_page_as_string = {1, 2, 3}
    fetched = wb_fetch(replay, indicators=["SP.POP.TOTL"], per_page=1000)
    header = json.loads(fetched.responses[0].body)[0]
    assert header["per_page"] == "1000"
    assert len(fetched.responses) == 2
    assert all(isinstance(f.year, int) for f in fetched.figures)
    assert len(fetched.figures) == 49 * 35 - 10  # Kosovo's figures start in 2000


def test_a_figure_keeps_the_published_text_and_its_exact_value(replay):
    replay.state.worldbank.values[("NY.GDP.MKTP.CD", "KAZ", 2024)] = 1830489311088.89
    replay.state.worldbank.obs_status[("NY.GDP.MKTP.CD", "KAZ", 2023)] = "E"
    fetched = wb_fetch(replay, [KAZ], indicators=["NY.GDP.MKTP.CD"])
    figures = {f.year: f for f in fetched.figures}
    gdp = figures[2024]
    assert gdp.published == "1830489311088.89"
    assert gdp.value == Decimal("1830489311088.89")
    assert (gdp.indicator, gdp.series, gdp.sex, gdp.status) == (
        "gdp-current-prices",
        "NY.GDP.MKTP.CD",
        "T",
        "A",
    )
    assert figures[2023].status == "E"
    assert gdp.response == fetched.responses[0].sha256
    assert sorted(f.order for f in fetched.figures) == list(range(1, 36))


def test_the_release_is_named_by_lastupdated(replay):
    fetched = wb_fetch(replay, [KAZ])
    (release,) = fetched.releases
    assert (release.version, release.issued) == ("2026-07-13", date(2026, 7, 13))
    assert release.responses == fetched.responses


def test_indicators_with_different_lastupdated_fall_into_one_release_each(replay):
    replay.state.worldbank.lastupdated_by_indicator["SM.POP.TOTL"] = "2026-09-01"
    fetched = wb_fetch(replay, [KAZ], indicators=["SP.POP.TOTL", "SM.POP.TOTL"])
    assert [r.version for r in fetched.releases] == ["2026-07-13", "2026-09-01"]
    assert {f.series for f in fetched.releases[1].figures} == {"SM.POP.TOTL"}


def test_an_empty_result_gives_no_figures_and_is_no_error():
    state = ProducerState(worldbank=WorldBankData(values={("SP.POP.TOTL", "UZB", 2020): 1}))
    with ReplayServer(state) as server:
        fetched = wb_fetch(server, [KAZ], indicators=["SP.POP.TOTL"])
    assert json.loads(fetched.responses[0].body) == [
        {"page": 0, "pages": 0, "per_page": 0, "total": 0},
        None,
    ]
    assert fetched.releases == () and fetched.skipped_null == 0


def test_an_archived_indicator_is_an_error_naming_it_and_the_message(replay):
    replay.state.worldbank.archived.add("SM.POP.TOTL")
    with pytest.raises(UpdateError) as error:
        wb_fetch(replay, [KAZ], indicators=["SP.POP.TOTL", "SM.POP.TOTL"])
    assert "SM.POP.TOTL" in str(error.value)
    assert "id 175" in str(error.value) and "deleted or archived" in str(error.value)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault("envelope", message=("120", "Invalid value", "not valid")), "id 120"),
        (Fault("error500"), "failed after 3 attempts (last: HTTP 500"),
        (Fault("malformed"), "malformed JSON"),
        (Fault("shape"), "lacks countryiso3code"),
        (Fault("html400"), "HTTP 400 Bad Request (text/html): Bad Request - Invalid URL"),
        (Fault("html200"), "answered text/html, expected application/json"),
        (Fault("redirect"), "redirected (HTTP 302) to https://data.example.org/moved"),
    ],
)
def test_each_failure_is_an_update_error_with_a_clear_message(replay, fault, message):
    replay.state.faults.append(fault)
    with pytest.raises(UpdateError, match="^worldbank: ") as error:
        wb_fetch(replay, [KAZ], indicators=["SP.POP.TOTL"])
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_429_waits_as_long_as_retry_after_says_then_retries(replay):
    replay.state.faults.append(Fault("throttle", times=2, retry_after="1"))
    fetched = wb_fetch(replay, [KAZ], indicators=["SP.POP.TOTL"])
    arrivals = [r.at for r in replay.requests]
    assert len(arrivals) == 3 and len(fetched.figures) == 35
    assert all(later - earlier >= 0.95 for earlier, later in pairwise(arrivals))
    assert arrivals[2] - arrivals[0] < 4  # not the default back-off of a slower client


def test_a_transient_server_error_is_retried(replay):
    replay.state.faults.append(Fault("error500", times=1))
    fetched = wb_fetch(replay, [KAZ], indicators=["SP.POP.TOTL"])
    assert len(replay.requests) == 2 and len(fetched.figures) == 35


def test_retry_after_as_an_http_date_is_honoured_and_capped():
    producer = ProducerClient("http://127.0.0.1:9", max_retry_after=30.0)
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    assert 8 < producer._retry_after(soon, 1) <= 10
    assert producer._retry_after("3600", 1) == 30.0
    assert producer._retry_after("not a date", 1) == 1.0  # the back-off
    producer.close()


def test_a_refused_connection_fails_after_the_attempts():
    with client("http://127.0.0.1:9", attempts=2) as producer:  # the discard port: nothing there
        with pytest.raises(UpdateError, match="failed after 2 attempts .last: ConnectionError"):
            worldbank.fetch(producer, [KAZ], indicators=["SP.POP.TOTL"])


def test_requests_go_only_to_the_base_url_and_name_the_project(replay):
    with client(replay.worldbank_base) as producer:
        with pytest.raises(UpdateError, match="is not a path under"):
            producer.get("https://api.example.org/v2/x", source="worldbank")
    wb_fetch(replay, [KAZ], indicators=["SP.POP.TOTL"])
    (request,) = replay.requests
    assert request.path.startswith("/v2/country/KAZ/indicator/")
    assert (
        request.user_agent.startswith("migkg/") and "+https://w3id.org/migkg" in request.user_agent
    )


# UNHCR population API ---------------------------------------------------------------------


def test_unhcr_always_sends_cf_type_iso_and_reads_every_page(replay):
    fetched = unhcr_fetch(replay, limit=300)
    requested = replay.requests_to("/population/")
    assert all(r.query["cf_type"] == "ISO" for r in requested)
    assert [r.query["page"] for r in requested] == [str(p) for p in range(1, 7)]  # 48 × 35 / 300
    assert set(requested[0].query["coa"].split(",")) == STATE_CODES - {"XKX"}
    assert (requested[0].query["yearFrom"], requested[0].query["yearTo"]) == ("1990", "2024")
    assert {f.area for f in fetched.figures} == STATE_CODES - {"XKX"}


def test_without_cf_type_iso_the_api_silently_returns_nothing(replay):
    """Why the client always sends it: the replay answers like the API, 200 and no rows."""
    answer = requests.get(
        replay.unhcr_base + "/population/", params={"coa": "DEU", "limit": 10}, timeout=5
    )
    assert answer.status_code == 200 and answer.json()["items"] == []


def test_unhcr_counts_as_numbers_or_strings_and_dash_as_no_value(replay):
    replay.state.unhcr.items[("KAZ", 2024)] = {
        "refugees": "1234",
        "asylum_seekers": 56,
        "idps": "-",
        "stateless": "0",
        "ooc": "-",
    }
    fetched = unhcr_fetch(replay, [KAZ], 2024, 2024)
    figures = {f.indicator: f for f in fetched.figures}
    assert set(figures) == {"refugees", "asylum-seekers", "stateless-persons"}
    assert (figures["refugees"].published, figures["refugees"].value) == ("1234", Decimal(1234))
    assert figures["asylum-seekers"].published == "56"
    assert figures["stateless-persons"].value == 0
    assert (
        figures["refugees"].series == "refugees"
        and figures["asylum-seekers"].series == "asylum_seekers"
    )
    assert fetched.skipped_null == 1


def test_the_unhcr_version_changes_with_a_figure_and_only_then(replay):
    def version():
        return unhcr_fetch(replay, [KAZ]).releases[0].version

    first = version()
    assert len(first) == 16 and int(first, 16) >= 0
    counts = replay.state.unhcr.items[("KAZ", 2010)]
    counts["ooc"] = 999_999  # a field the update does not read
    counts["refugees"] = str(counts["refugees"])  # the same number, written as a string
    assert version() == first
    counts["refugees"] = int(counts["refugees"]) + 1
    assert version() != first


def test_a_breakdown_by_origin_is_refused(replay):
    replay.state.unhcr.items[("KAZ", 2024)]["coo_iso"] = "AFG"
    with pytest.raises(UpdateError, match="broken down by origin .coo_iso 'AFG'"):
        unhcr_fetch(replay, [KAZ])


def test_a_changed_unhcr_shape_is_an_error(replay):
    replay.state.faults.append(Fault("shape", match="/population/"))
    with pytest.raises(UpdateError, match="^unhcr: unexpected response .* no items"):
        unhcr_fetch(replay, [KAZ])


def test_an_unhcr_count_that_is_not_a_count_is_an_error():
    state = ProducerState(unhcr=UnhcrData(items={("KAZ", 2024): {"refugees": "12.5"}}))
    with ReplayServer(state) as server, pytest.raises(UpdateError, match="refugees is '12.5'"):
        unhcr_fetch(server, [KAZ])


# Kosovo and the states --------------------------------------------------------------------


def test_kosovo_comes_from_the_world_bank_only_as_xkx(replay, tmp_path):
    wb = wb_fetch(replay, indicators=["SP.POP.TOTL"])
    kosovo = [f for f in wb.figures if f.area == "XKX"]
    assert [f.year for f in kosovo] == list(range(2024, 1999, -1))
    assert "XKX" not in {f.area for f in unhcr_fetch(replay).figures}
    assert all("XKX" not in r.query["coa"] for r in replay.requests_to("/population/"))
    workbook = undesa.read_workbook(build_workbook(tmp_path / "d.xlsx"))
    assert "XKX" not in {f.area for f in workbook.figures}


def test_the_49_named_states_and_their_codes():
    states = all_states()
    assert len(states) == 49 and len(STATE_CODES) == 49
    kosovo = by_world_bank_code("XKX")
    assert (kosovo.iso3, kosovo.iso2, kosovo.m49, kosovo.area_slug) == (None, None, None, "kosovo")
    assert kosovo.area_iri == "https://w3id.org/migkg/id/area/kosovo"
    assert by_m49(398) is KAZ and by_m49("008").code == "ALB" and by_m49(900) is None
    assert (KAZ.iso2, KAZ.m49, KAZ.area_slug, KAZ.name) == ("KZ", "398", "kz", "Kazakhstan")
    assert by_iso3("MDA").name == "Moldova"


@pytest.mark.parametrize(
    ("option", "codes"),
    [("KAZ,UZB", ["KAZ", "UZB"]), (" uzb , kaz ", ["KAZ", "UZB"]), ("XKX", ["XKX"])],
)
def test_countries_option_reads_iso3_codes(option, codes):
    assert [state.code for state in parse_countries(option)] == codes


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("KAZ,XXX", "--countries: XXX is not the code of a Prague Process state"),
        ("MEX,USA", "MEX, USA are not codes of a Prague Process state"),
        ("KZ", "KZ is not the code"),
        (" , ", "give ISO 3166-1 alpha-3 codes"),
    ],
)
def test_countries_option_rejects_unknown_codes(option, message):
    with pytest.raises(UpdateError, match=message):
        parse_countries(option)


# UN DESA workbooks ------------------------------------------------------------------------


def test_a_workbook_by_destination_gives_immigrant_stock_by_sex(tmp_path):
    values = default_values()
    fetched = undesa.read_workbook(build_workbook(tmp_path / "dest.xlsx", "destination", values))
    figures = {(f.area, f.sex, f.year): f for f in fetched.figures}
    assert {f.area for f in fetched.figures} == {"KAZ", "KGZ", "UZB", "MDA", "DEU"}
    assert len(figures) == 5 * 3 * 8 - 1 and fetched.skipped_null == 1  # UZB females 1990 ".."
    for sex in ("T", "M", "F"):
        assert figures[("KAZ", sex, 2020)].value == values[(398, sex, 2020)]
    kaz = figures[("KAZ", "M", 2024)]
    assert (kaz.indicator, kaz.series, kaz.status) == ("immigrant-stock", "destination", "A")
    assert kaz.published == str(values[(398, "M", 2024)])
    assert ("UZB", "F", 1990) not in figures and ("UZB", "M", 1990) in figures
    (release,) = fetched.releases
    assert (release.version, release.issued) == ("POP/DB/MIG/Stock/Rev.2024", None)
    assert release.responses[0].url == (tmp_path / "dest.xlsx").resolve().as_uri()


def test_changing_one_cell_changes_one_figure(tmp_path):
    values = default_values()
    before = undesa.read_workbook(build_workbook(tmp_path / "a.xlsx", values=values))
    values[(276, "F", 2015)] = 123_456
    after = undesa.read_workbook(build_workbook(tmp_path / "b.xlsx", values=values))
    old = {(f.area, f.sex, f.year): f.value for f in before.figures}
    new = {(f.area, f.sex, f.year): f.value for f in after.figures}
    assert {key for key in new if new[key] != old[key]} == {("DEU", "F", 2015)}


def test_a_workbook_by_origin_gives_emigrant_stock_and_both_make_one_release(tmp_path):
    paths = [
        build_workbook(tmp_path / "dest.xlsx", "destination"),
        build_workbook(tmp_path / "orig.xlsx", "origin"),
    ]
    fetched = undesa.read_workbooks(paths, [KAZ], 2020, 2024)
    (release,) = fetched.releases
    assert len(release.responses) == 2
    assert {(f.indicator, f.series) for f in fetched.figures} == {
        ("immigrant-stock", "destination"),
        ("emigrant-stock", "origin"),
    }
    assert {(f.area, f.year) for f in fetched.figures} == {("KAZ", 2020), ("KAZ", 2024)}


def test_a_workbook_without_a_revision_code_is_refused(tmp_path):
    path = build_workbook(tmp_path / "d.xlsx", revision=None)
    with pytest.raises(UpdateError, match=r"d\.xlsx: no revision code"):
        undesa.read_workbook(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"D11": "Code"}, "cell D11 (row 11, column D) is 'Code', expected 'Location code'"),
        ({"F11": 1985}, "cell F11 (row 11, column F) is 1985, expected 1990"),
        ({"B11": "Country"}, "cell B11 is 'Country', expected 'Region, development group"),
        ({"N10": "International migrant stock (females)"}, "cell N10 is"),
    ],
)
def test_a_workbook_with_unexpected_headers_names_the_file_and_cell(tmp_path, change, message):
    path = build_workbook(tmp_path / "changed.xlsx", header_changes=change)
    with pytest.raises(UpdateError) as error:
        undesa.read_workbook(path)
    assert "changed.xlsx" in str(error.value) and message in str(error.value)


def test_a_text_in_a_value_cell_is_refused(tmp_path):
    values = default_values() | {(398, "T", 2000): "about 3 million"}
    with pytest.raises(UpdateError, match="cell H16 is 'about 3 million', not a number"):
        undesa.read_workbook(build_workbook(tmp_path / "d.xlsx", values=values))


def test_a_file_that_is_no_workbook_is_refused(tmp_path):
    path = tmp_path / "page.xlsx"
    path.write_text("<html>Access denied</html>")
    with pytest.raises(UpdateError, match="not a readable xlsx workbook"):
        undesa.read_workbook(path)


def test_workbooks_are_downloaded_from_the_configured_folder(replay, tmp_path):
    for name, kind in zip(undesa.WORKBOOKS, ("destination", "origin"), strict=True):
        replay.state.workbooks[name] = build_workbook(tmp_path / name, kind).read_bytes()
    with client(replay.undesa_base) as producer:
        fetched = undesa.fetch(producer, [KAZ])
    assert [urlsplit(r.url).path for r in fetched.responses] == [
        "/undesa/" + name for name in undesa.WORKBOOKS
    ]
    assert {f.indicator for f in fetched.figures} == {"immigrant-stock", "emigrant-stock"}
    assert len(fetched.figures) == 2 * 3 * 8


def test_a_download_that_is_no_workbook_is_refused(replay):
    replay.state.workbooks["x.xlsx"] = b"<html>blocked</html>"
    with client(replay.undesa_base) as producer, pytest.raises(UpdateError, match="no ZIP header"):
        undesa.download(producer, "x.xlsx")
