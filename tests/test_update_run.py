"""``migkg update`` end to end, against the replay server (tests/producer_replay.py: responses
constructed in the World Bank's, UNHCR's and UN DESA's documented formats; nothing live is
reachable here) and real generations.

What a run promises: the figures of the states asked for, each with its release, run and raw
response; a rerun adds nothing; a changed value adds exactly one observation and keeps the old
one; any failure — or a kill — leaves the served data byte-identical; two runs never overlap.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
from kgsupport import ROOT, config
from producer_replay import Fault, ReplayServer, full_state
from undesa_workbook import build_workbook

from service import generations as gens
from service.update.errors import UpdateError
from service.update.run import UpdateOptions, run_update
from service.update.states import parse_countries
from service.update.undesa import WORKBOOKS

COUNTRIES = "KAZ,UZB,DEU"
YEARS = (2020, 2024)
PREFIXES = """PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dct: <http://purl.org/dc/terms/>
PREFIX qb: <http://purl.org/linked-data/cube#> PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX pav: <http://purl.org/pav/> PREFIX spdx: <http://spdx.org/rdf/terms#>
PREFIX mig: <https://w3id.org/migkg/def#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
"""
PRODUCERS = "<https://w3id.org/migkg/graph/producers>"


# -- helpers ------------------------------------------------------------------------------


def producer_state():
    """All states, 2020-2024, and both UN DESA workbooks."""
    state = full_state(years=YEARS)
    for name, kind in zip(WORKBOOKS, ("destination", "origin"), strict=True):
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"migkg-test-{os.getpid()}-{kind}.xlsx"
        state.workbooks[name] = build_workbook(path, kind).read_bytes()
        path.unlink()
    return state


def settings(tmp: Path, replay: ReplayServer, **extra) -> dict:
    return config(
        GENERATIONS_DIR=str(tmp / "generations"),
        PRODUCERS_DIR=str(tmp / "producers"),
        WORLDBANK_API=replay.worldbank_base,
        UNHCR_API=replay.unhcr_base,
        UNDESA_URL=replay.undesa_base,
        UPDATE_ATTEMPTS=2,
        UPDATE_MAX_RETRY_AFTER=5.0,
        **extra,
    )


def options(**extra) -> UpdateOptions:
    return UpdateOptions(states=parse_countries(COUNTRIES), years=YEARS, **extra)


def snapshot(cfg: dict) -> dict[str, str]:
    """What the served data and the kept responses are: every file's SHA-256 under the
    generations and responses folders, and where ``current`` points."""
    files = {}
    for folder in (Path(cfg["GENERATIONS_DIR"]), Path(cfg["PRODUCERS_DIR"]) / "responses"):
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if path.is_file() and not path.name.endswith(".lock"):
                files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    files["current"] = str(gens.current(Path(cfg["GENERATIONS_DIR"])))
    return files


def query(cfg: dict, text: str) -> list[tuple[str, ...]]:
    """Rows of a SELECT over the current generation's store."""
    root = Path(cfg["GENERATIONS_DIR"])
    store = ox.Store.read_only(str(root / gens.current(root) / gens.STORE))
    try:
        return sorted(
            tuple("" if term is None else term.value for term in row)
            for row in store.query(PREFIXES + text)
        )
    finally:
        del store


def producer_observations(cfg: dict) -> set[str]:
    rows = query(cfg, f"SELECT ?o WHERE {{ GRAPH {PRODUCERS} {{ ?o a qb:Observation }} }}")
    return {row[0] for row in rows}


def expected_figures(state) -> int:
    """The non-null figures the replay state holds for COUNTRIES and YEARS (what a run must add)."""
    codes = set(COUNTRIES.split(","))
    first, last = YEARS
    world_bank = sum(
        1
        for (_, code, year), value in state.worldbank.values.items()
        if code in codes and first <= year <= last and value is not None
    )
    unhcr = sum(
        1
        for (code, year), counts in state.unhcr.items.items()
        if code in codes and first <= year <= last
        for name in ("refugees", "asylum_seekers", "idps", "stateless")
        if counts.get(name, 0) not in ("-", None, "")
    )
    # the workbooks: KAZ, UZB, DEU × 2020 and 2024 × 3 sexes × 2 workbooks, less the one ".."
    # cell (Uzbekistan, females, 1990: outside the years asked for)
    undesa = 3 * 2 * 3 * 2
    return world_bank + unhcr + undesa


#: the command's arguments for a World Bank run over COUNTRIES and YEARS
WORLD_BANK_RUN = ("--source", "worldbank", "--countries", COUNTRIES, "--years", "%d:%d" % YEARS)


@contextmanager
def producer_changed(replay: ReplayServer, key: tuple[str, str, int], delta: int):
    """The World Bank publishes ``key`` changed by ``delta`` while the block runs."""
    replay.state.worldbank.values[key] += delta
    try:
        yield
    finally:
        replay.state.worldbank.values[key] -= delta


def cli(cfg: dict, *args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, **{f"MIGKG_{k}": str(v) for k, v in cfg.items() if k.isupper()}}
    env.pop("MIGKG_BUILD_HOLD", None)
    env.update(popen.pop("env", {}))
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "update", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replay():
    with ReplayServer(producer_state()) as server:
        yield server


@pytest.fixture(scope="module")
def first_run(replay, tmp_path_factory):
    """One published first run, shared by the tests that only read it."""
    cfg = settings(tmp_path_factory.mktemp("update"), replay)
    result = run_update(cfg, options())
    return cfg, result


# -- a first run, a rerun, a revision -------------------------------------------------------


def test_a_first_run_adds_every_figure_of_the_states_asked_for(first_run, replay):
    cfg, result = first_run
    assert result.published
    expected = expected_figures(replay.state)
    assert len(producer_observations(cfg)) == expected
    stats = result.changes.stats
    assert sum(s.new for s in stats.values()) == expected
    assert stats["worldbank"].skipped_null > 0  # nulls counted, never figures
    areas = query(
        cfg,
        f"SELECT DISTINCT ?a WHERE {{ GRAPH {PRODUCERS} {{ ?o sdmx-dimension:refArea ?a }} }}",
    )
    # aggregates (WLD, EUU, ECS, regions of the workbook) never become observations
    assert {a[0].rsplit("/", 1)[-1] for a in areas} == {"kz", "uz", "de", "world"}


def test_every_figure_has_two_level_provenance_down_to_the_kept_raw_response(first_run, replay):
    cfg, _ = first_run
    rows = query(
        cfg,
        f"""SELECT ?o ?release ?version ?run ?started ?ended ?response ?url ?sum WHERE {{
            GRAPH {PRODUCERS} {{
              ?o a qb:Observation ; qb:dataSet ?release ; prov:wasDerivedFrom ?response .
              ?release dcat:isVersionOf ?source ; dcat:version ?version ;
                       prov:wasGeneratedBy ?run ; prov:wasDerivedFrom ?response .
              ?o prov:hadPrimarySource ?source .
              ?run a prov:Activity ; prov:startedAtTime ?started ; prov:endedAtTime ?ended ;
                   prov:used ?response .
              ?response pav:retrievedFrom ?url ; pav:retrievedOn ?on ;
                        spdx:checksum/spdx:checksumValue ?sum . }} }}""",
    )
    assert len({row[0] for row in rows}) == len(producer_observations(cfg))
    kept = Path(cfg["PRODUCERS_DIR"]) / "responses"
    for checksum in {row[8] for row in rows}:
        body = gzip.decompress((kept / f"{checksum}.gz").read_bytes())
        assert hashlib.sha256(body).hexdigest() == checksum
    assert all(row[7].startswith(replay.url) for row in rows)
    assert {row[2] for row in rows} >= {"2026-07-13", "POP/DB/MIG/Stock/Rev.2024"}


def test_the_seed_figures_stay_beside_the_producers_new_ones(first_run):
    cfg, _ = first_run
    rows = query(
        cfg,
        """SELECT ?o ?v ?graph WHERE { GRAPH ?graph {
             ?o mig:indicator <https://w3id.org/migkg/id/indicator/population> ;
                sdmx-dimension:refArea <https://w3id.org/migkg/id/area/kz> ;
                sdmx-dimension:refPeriod <https://w3id.org/migkg/id/period/2024> ;
                prov:hadPrimarySource <https://w3id.org/migkg/id/source/world-bank-wdi> ;
                sdmx-measure:obsValue ?v } }""",
    )
    by_graph = {row[2].rsplit("/", 1)[-1]: row for row in rows}
    assert by_graph["profile-2024"][0].endswith("web-gi-population-wb-2024")
    assert by_graph["profile-2024"][1] == "20592571"  # as the 2024 page quoted it
    assert "producers" in by_graph


def test_replaying_the_same_responses_adds_nothing(first_run):
    cfg, _ = first_run
    before = snapshot(cfg)
    result = run_update(cfg, options())
    assert not result.published and not result.changes.changed
    assert sum(s.unchanged for s in result.changes.stats.values()) > 0
    assert snapshot(cfg) == before


def test_one_changed_value_adds_exactly_one_observation_and_keeps_the_old_one(replay, tmp_path):
    cfg = settings(tmp_path, replay)
    run_update(cfg, options(sources=("worldbank",)))
    before = producer_observations(cfg)
    key = ("SP.POP.TOTL", "KAZ", 2023)
    old_value = replay.state.worldbank.values[key]
    replay.state.worldbank.lastupdated = "2026-09-30"
    try:
        with producer_changed(replay, key, 1234):
            result = run_update(cfg, options(sources=("worldbank",)))
    finally:
        replay.state.worldbank.lastupdated = "2026-07-13"
    after = producer_observations(cfg)
    assert result.changes.stats["worldbank"].revised == 1
    assert len(after) == len(before) + 1 and before <= after
    rows = query(
        cfg,
        """SELECT ?old ?oldv ?new ?newv ?prev ?release WHERE {
             ?new prov:wasRevisionOf ?old ; sdmx-measure:obsValue ?newv ; qb:dataSet ?release .
             ?old dct:isReplacedBy ?new ; prov:invalidatedAtTime ?t ; sdmx-measure:obsValue ?oldv .
             ?release dcat:previousVersion ?prev }""",
    )
    assert len(rows) == 1
    old, oldv, new, newv, prev, release = rows[0]
    assert (int(oldv), int(newv)) == (old_value, old_value + 1234)
    assert release.endswith("--2026-09-30") and prev.endswith("--2026-07-13")
    assert old in before and new not in before


# -- failures -------------------------------------------------------------------------------

FAULTS = {
    "archived indicator (200-status envelope)": (
        Fault("envelope", match="SM.POP.TOTL"),
        "175",
    ),
    "HTTP 500 on every attempt": (Fault("error500", match="SP.POP.TOTL"), "500"),
    "malformed JSON": (Fault("malformed", match="population/v1"), "JSON"),
    "a changed response shape": (Fault("shape", match="NY.GDP"), "countryiso3code"),
    "an HTML 400 page": (Fault("html400", match="SL.UEM"), "400"),
    "an HTML page with status 200": (Fault("html200", match="population/v1"), "html"),
    "a redirect to another portal": (Fault("redirect", match="SP.POP.1564"), "30"),
}


@pytest.fixture(scope="module")
def published(replay, tmp_path_factory):
    """A generation with producer figures, for the failure tests to leave alone."""
    cfg = settings(tmp_path_factory.mktemp("failures"), replay)
    run_update(cfg, options(sources=("worldbank", "unhcr")))
    # the next run would revise a figure, if it got that far
    return cfg


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_producer_failure_aborts_the_run_and_leaves_the_served_data_byte_identical(
    name, replay, published
):
    fault, words = FAULTS[name]
    before = snapshot(published)
    replay.state.faults.append(fault)
    try:
        with producer_changed(replay, ("SP.POP.TOTL", "DEU", 2022), 1):
            with pytest.raises(UpdateError) as failure:
                run_update(published, options(sources=("worldbank", "unhcr")))
    finally:
        replay.state.faults.remove(fault)
    assert words.lower() in str(failure.value).lower()
    assert "\n" not in str(failure.value)  # one line
    assert snapshot(published) == before


def test_a_workbook_with_unexpected_headers_aborts_the_run(published, tmp_path):
    before = snapshot(published)
    broken = build_workbook(tmp_path / "broken.xlsx", "destination", header_changes={"D11": "Code"})
    with pytest.raises(UpdateError, match="D11"):
        run_update(published, options(sources=("undesa",), files=(broken,)))
    assert snapshot(published) == before


def test_a_validation_violation_publishes_nothing(replay, published):
    """A negative population (the shapes allow negative values only for balances and
    changes) gets through fetching and fails validation: nothing is published."""
    before = snapshot(published)
    key = ("SP.POP.TOTL", "UZB", 2021)
    with producer_changed(replay, key, -replay.state.worldbank.values[key] - 5):
        with pytest.raises(UpdateError, match="non-negative"):
            run_update(published, options(sources=("worldbank",)))
    assert snapshot(published) == before
    assert not list((Path(published["PRODUCERS_DIR"]) / "responses").glob(".staging-*"))


def test_a_429_with_retry_after_is_waited_for(replay, published):
    replay.requests.clear()
    fault = Fault("throttle", match="SP.POP.TOTL", times=1, retry_after="1")
    replay.state.faults.append(fault)
    try:
        run_update(published, options(sources=("worldbank",), dry_run=True))
    finally:
        replay.state.faults.remove(fault)
    first, second = replay.requests_to("SP.POP.TOTL")[:2]
    assert first.query == second.query
    assert second.at - first.at >= 1.0


# -- the command: dry run, exit codes, the lock, a kill ------------------------------------


def test_the_command_says_what_a_dry_run_would_change_and_publishes_nothing(replay, published):
    before = snapshot(published)
    with producer_changed(replay, ("SP.POP.TOTL", "KAZ", 2021), 7):
        run = cli(published, *WORLD_BANK_RUN, "--dry-run")
        out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "revised https://w3id.org/migkg/id/observation/wb-population-kz-2021-t" in out
    assert "dry run: would publish 1 release(s)" in out
    assert snapshot(published) == before


def test_the_command_exits_0_when_nothing_is_new_and_2_on_a_usage_error(published):
    run = cli(published, *WORLD_BANK_RUN)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "nothing new" in out and "World Bank:" in out
    run = cli(published, "--countries", "KAZ,XYZ")
    _, err = run.communicate(timeout=60)
    assert run.returncode == 2 and "XYZ" in err


def test_a_killed_run_leaves_nothing_and_a_second_run_waits_for_no_one(replay, published):
    before = snapshot(published)
    with producer_changed(replay, ("SP.POP.TOTL", "DEU", 2020), 3):
        held = cli(
            published,
            *WORLD_BANK_RUN,
            env={"MIGKG_BUILD_HOLD": "store"},
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        said = [""]
        while "holding" not in said[-1] and time.monotonic() < deadline:
            said.append(held.stderr.readline())
            assert said[-1] or held.poll() is None, "".join(said) + held.stdout.read()
        assert "holding at store" in said[-1]
        # a second run at the same time fails at once, saying why
        second = cli(published, "--source", "worldbank", "--countries", COUNTRIES)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1 and "another `migkg update` is running" in err
        os.killpg(held.pid, signal.SIGKILL)
        held.communicate(timeout=30)
    assert snapshot(published)["current"] == before["current"]
    kept = {
        k: v
        for k, v in snapshot(published).items()
        if "/.staging-" not in k and "/.build-" not in k
    }
    assert kept == before
    # the next run clears what the killed one left and finds nothing new
    result = run_update(published, options(sources=("worldbank",)))
    assert not result.changes.changed
    assert snapshot(published) == before


# -- what readers see --------------------------------------------------------------------


def test_the_country_page_of_a_state_without_a_profile_shows_its_current_producer_figures(
    first_run, make_app
):
    cfg, _ = first_run
    app = make_app(GENERATIONS_DIR=cfg["GENERATIONS_DIR"])
    page = app.test_client().get("/id/area/uz", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "No national migration profile has been transcribed for Uzbekistan" in html
    # the latest population figure the World Bank published for it, with its source and period
    latest = query(
        cfg,
        """SELECT ?v ?o WHERE { GRAPH <https://w3id.org/migkg/graph/producers> {
             ?o mig:indicator <https://w3id.org/migkg/id/indicator/population> ;
                sdmx-dimension:refArea <https://w3id.org/migkg/id/area/uz> ;
                sdmx-dimension:refPeriod <https://w3id.org/migkg/id/period/2024> ;
                mig:publishedValue ?v } }""",
    )
    value, observation = latest[0]
    assert f"{int(value):,}".replace(",", " ") in html or value in html
    assert observation.rsplit("/", 1)[-1] in html
    assert "World Bank" in html and "2024" in html


def test_a_build_after_an_update_carries_the_producers_graph_unchanged(first_run):
    """`migkg build` (the project's sources, unchanged) starts from the current generation's
    producers graph: the same data, so the same version, and nothing is published."""
    from service.build.generation import build_generation

    cfg, _ = first_run
    before = snapshot(cfg)
    result = build_generation(cfg)
    assert not result.published
    assert snapshot(cfg) == before
    assert len(producer_observations(cfg)) > 0
