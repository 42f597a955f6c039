"""Producer update benchmark (issue 12, "Numbers to reach"): ``migkg update`` of all 49 states ×
all sources × 1990-2024 from local replayed responses, a no-change rerun and a one-value
revision, each timed end to end (wall time and peak RSS of the ``migkg update`` process).

Usage::

    python bench/update_bench.py [--repeat 3] [--write]

The replay server (tests/producer_replay.py; responses constructed in the producers' documented
formats, nothing live) runs in this process on a loopback port with ``full_state(years=(1990,
2024))`` and two UN DESA workbooks (tests/undesa_workbook.py) holding a row for every Prague
Process state with an M49 code, a few regions and one other country. Each repeat, in fresh
temporary ``GENERATIONS_DIR`` and ``PRODUCERS_DIR``:

1. ``python -m service.cli build``: the project alone (the baseline "build without producers";
   not part of the update's time);
2. ``python -m service.cli update --years 1990:2024`` (all sources, all states): the first run;
3. the same again, same responses: the no-change rerun;
4. the same after one value changed (World Bank population of Kazakhstan in 2020, its
   indicator's ``lastupdated`` moved on): a revision.

Each command is a subprocess run under ``/usr/bin/time -v`` (its "Maximum resident set size":
the largest RSS of the process and its waited-for children; without ``/usr/bin/time``,
``os.wait4``'s), wall time from spawn to exit. Its progress lines (``update: ...`` on standard
error) are timestamped as they arrive, which splits a run into phases (start = interpreter and
imports until the first line). Medians over ``--repeat`` repeats are printed as Markdown; with
``--write`` they replace the section between ``<!-- update:begin -->`` and ``<!-- update:end -->``
of bench/RESULTS.md (appended if missing).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from producer_replay import ReplayServer, full_state  # noqa: E402
from undesa_workbook import build_workbook, default_values  # noqa: E402

from service.update.states import all_states  # noqa: E402
from service.update.undesa import WORKBOOKS  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- update:begin -->", "<!-- update:end -->"
YEARS = (1990, 2024)
TIME = Path("/usr/bin/time")
#: the value the revision run changes (and the indicator whose release moves on)
REVISED = ("SP.POP.TOTL", "KAZ", 2020)
REVISED_LASTUPDATED = "2026-09-30"
#: rows of the workbooks that are not Prague Process states (name, M49 code): regions first,
#: one other country last
REGIONS = (
    ("WORLD", 900),
    ("Sub-Saharan Africa", 947),
    ("Central Asia", 143),
    ("Eastern Europe", 151),
    ("Western Europe", 155),
)
OTHER_COUNTRY = ("Mexico", 484)
RUNS = (
    ("first", "first run (empty producers graph)"),
    ("rerun", "no-change rerun"),
    ("revision", "rerun with one revised value"),
)
TARGETS = {"first_seconds": 60.0, "first_mb": 1024.0, "rerun_seconds": 20.0}
OBSERVATION_TYPE = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://purl.org/linked-data/cube#Observation>"


# -- the replayed producers -----------------------------------------------------------------


def workbook_areas() -> tuple[tuple[str, int, bool], ...]:
    """Regions first, then every state with an M49 code, then one country that is no state."""
    states = sorted((s for s in all_states() if s.m49), key=lambda s: s.name)
    return (
        *((name, code, False) for name, code in REGIONS),
        *((state.name, int(state.m49), True) for state in states),
        (*OTHER_COUNTRY, False),
    )


def producer_state(workdir: Path):
    state = full_state(years=YEARS)
    areas = workbook_areas()
    for seed, (name, kind) in enumerate(zip(WORKBOOKS, ("destination", "origin"), strict=True)):
        path = workdir / f"{kind}.xlsx"
        values = default_values(seed=2024 + seed, areas=areas)
        state.workbooks[name] = build_workbook(path, kind, values, areas=areas).read_bytes()
    return state, areas


# -- one command, measured ------------------------------------------------------------------


def _phase(message: str) -> str:
    message = re.sub(r"version [0-9a-f]{16}", "version …", message)
    if message.startswith("switching current to"):
        return "switching current, pruning old generations, exit"
    return message


def measure(args: list[str], env: dict[str, str], workdir: Path) -> dict:
    """Run ``python -m service.cli *args``; wall time, peak RSS, stdout and timed phases."""
    command = [sys.executable, "-m", "service.cli", *args]
    rusage_file = workdir / "time.txt"
    if TIME.exists():
        command = [str(TIME), "-v", "-o", str(rusage_file), *command]
    lines: list[tuple[float, str]] = []
    out: list[str] = []
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )

    def read_stderr() -> None:
        for line in process.stderr:
            lines.append((time.perf_counter() - started, line.rstrip("\n")))

    def read_stdout() -> None:
        out.extend(line.rstrip("\n") for line in process.stdout)

    readers = [threading.Thread(target=read_stderr), threading.Thread(target=read_stdout)]
    for reader in readers:
        reader.start()
    if TIME.exists():
        returncode = process.wait()
        peak_kb = None
    else:
        _, status, usage = os.wait4(process.pid, 0)
        returncode = os.waitstatus_to_exitcode(status)
        process.returncode = returncode
        peak_kb = usage.ru_maxrss
    seconds = time.perf_counter() - started
    for reader in readers:
        reader.join()
    if TIME.exists():
        text = rusage_file.read_text()
        peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    if returncode != 0:
        tail = "\n".join(line for _, line in lines[-20:])
        raise RuntimeError(f"{' '.join(args)} exited {returncode}:\n{tail}\n" + "\n".join(out))
    progress = [(at, line.split(": ", 1)[1]) for at, line in lines if ": " in line]
    phases: dict[str, float] = {}
    marks = [(0.0, "start (interpreter, imports)"), *progress, (seconds, "")]
    for (at, name), (next_at, _) in zip(marks, marks[1:], strict=False):
        key = _phase(name)
        phases[key] = phases.get(key, 0.0) + (next_at - at)
    return {
        "seconds": seconds,
        "peak_mb": peak_kb / 1024,
        "stdout": out,
        "phases": phases,
    }


def generation_counts(generations: Path) -> dict:
    """What the current generation holds, from its meta.json and producers graph."""
    current = (generations / "current").resolve()
    meta = json.loads((current / "meta.json").read_text())
    producers = next(
        (g["triples"] for g in meta["graphs"] if g["iri"].endswith("/graph/producers")), 0
    )
    observations = next(
        (
            c["entities"]
            for c in meta["classes"]
            if c["iri"] == "http://purl.org/linked-data/cube#Observation"
        ),
        0,
    )
    producer_observations = 0
    if (current / "producers.nq.gz").exists():
        with gzip.open(current / "producers.nq.gz", "rb") as handle:
            producer_observations = sum(1 for line in handle if OBSERVATION_TYPE in line)
    return {
        "triples": meta["triples"],
        "producers_triples": producers,
        "observations": observations,
        "producer_observations": producer_observations,
        "graphs": len(meta["graphs"]),
        "store_load_seconds": meta.get("load_seconds"),
        "store_optimize_seconds": meta.get("optimize_seconds"),
        "store_statistics_seconds": meta.get("statistics_seconds"),
        "dumps_bytes": sum(
            f["size"] for name, f in meta["files"].items() if name.startswith("dumps/")
        ),
    }


def one_repeat(replay: ReplayServer, workdir: Path) -> dict:
    generations, producers = workdir / "generations", workdir / "producers"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIGKG_")}
    env.update(
        MIGKG_GENERATIONS_DIR=str(generations),
        MIGKG_PRODUCERS_DIR=str(producers),
        MIGKG_STATE_DIR=str(workdir / "state"),
        MIGKG_WORLDBANK_API=replay.worldbank_base,
        MIGKG_UNHCR_API=replay.unhcr_base,
        MIGKG_UNDESA_URL=replay.undesa_base,
    )
    update = ["update", "--years", f"{YEARS[0]}:{YEARS[1]}"]
    result: dict = {"build": measure(["build"], env, workdir)}
    result["project_counts"] = generation_counts(generations)
    before = len(replay.requests)
    result["first"] = measure(update, env, workdir)
    result["requests"] = len(replay.requests) - before
    result["counts"] = generation_counts(generations)
    result["rerun"] = measure(update, env, workdir)
    worldbank = replay.state.worldbank
    old = worldbank.values[REVISED]
    worldbank.values[REVISED] = old + 1234
    worldbank.lastupdated_by_indicator[REVISED[0]] = REVISED_LASTUPDATED
    try:
        result["revision"] = measure(update, env, workdir)
    finally:
        worldbank.values[REVISED] = old
        worldbank.lastupdated_by_indicator.pop(REVISED[0], None)
    result["revision_counts"] = generation_counts(generations)
    return result


# -- the report -----------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    from importlib.metadata import version

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "packages": {p: version(p) for p in ("pyoxigraph", "rdflib", "pyshacl", "openpyxl")},
        "commit": commit + (" with uncommitted changes" if dirty else ""),
        "rss_source": "/usr/bin/time -v" if TIME.exists() else "os.wait4 ru_maxrss",
    }


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _range(values: list[float], fmt: str = "{:.1f}") -> str:
    text = fmt.format(_median(values))
    if len(values) > 1:
        text += f" ({fmt.format(min(values))}–{fmt.format(max(values))})"
    return text


def summarise(repeats: list[dict]) -> dict:
    runs = {}
    for key in ("build", *(name for name, _ in RUNS)):
        phases: dict[str, list[float]] = {}
        for repeat in repeats:
            for name, seconds in repeat[key]["phases"].items():
                phases.setdefault(name, []).append(seconds)
        runs[key] = {
            "seconds": [r[key]["seconds"] for r in repeats],
            "peak_mb": [r[key]["peak_mb"] for r in repeats],
            "phases": {name: _median(values) for name, values in phases.items()},
            "stdout": repeats[-1][key]["stdout"],
        }
    first, rerun = runs["first"], runs["rerun"]
    met = {
        "first_seconds": _median(first["seconds"]) < TARGETS["first_seconds"],
        "first_mb": _median(first["peak_mb"]) < TARGETS["first_mb"],
        "rerun_seconds": _median(rerun["seconds"]) < TARGETS["rerun_seconds"],
        "all_repeats": all(
            r["first"]["seconds"] < TARGETS["first_seconds"]
            and r["first"]["peak_mb"] < TARGETS["first_mb"]
            and r["rerun"]["seconds"] < TARGETS["rerun_seconds"]
            for r in repeats
        ),
    }
    return {"runs": runs, "met": met}


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def markdown(report: dict) -> str:
    runs, met, m = report["summary"]["runs"], report["summary"]["met"], report["machine"]
    last = report["repeats"][-1]
    counts, project = last["counts"], last["project_counts"]
    first = runs["first"]
    repeats = len(report["repeats"])
    dominant = max(first["phases"], key=first["phases"].get)
    lines = [
        BEGIN,
        f"## Producer update (`bench/update_bench.py`, {report['date']}, the code of that day)",
        "",
        "    " + report["command"],
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory']} RAM, CPython {m['python']}, "
        + ", ".join(f"{p} {v}" for p, v in m["packages"].items())
        + f"; checkout {m['commit']}. Medians of {repeats} repeats (min–max in brackets); "
        f"wall time from spawn to exit of `python -m service.cli …`, peak RSS from "
        f"{m['rss_source']} (the update is one process; the replay server runs in the "
        "bench's process and is not counted).",
        "",
        "`migkg update` of all 49 states × World Bank (5 indicators), UNHCR and UN DESA (both "
        "workbooks) × 1990–2024 against the replay server (tests/producer_replay.py "
        "`full_state`; workbooks from tests/undesa_workbook.py with a row for each of the "
        f"{sum(1 for a in report['areas'] if a[2])} states with an M49 code, 5 regions and one "
        "other country): constructed responses, nothing live. The replay server runs in the "
        "bench's own process on the same cores and builds each JSON page per request; the "
        "workbooks are built once before the runs. Each repeat starts from fresh generations "
        "and producers folders with the project published alone (`migkg build`), so the "
        "first run starts with an empty producers graph; nothing is cached between commands "
        "except the operating system's file cache (interpreter, packages, the project's "
        "sources). The no-change rerun fetches everything again and compares; the revision "
        f"run changes one value ({' '.join(map(str, REVISED))}, +1234, its indicator's "
        "`lastupdated` moved on) and publishes a new generation.",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| first run < {TARGETS['first_seconds']:.0f} s, including validation and publication "
        f"| {_median(first['seconds']):.1f} s | {_verdict(met['first_seconds'])} |",
        f"| first run < 1 GB peak RSS | {_median(first['peak_mb']):,.0f} MB "
        f"| {_verdict(met['first_mb'])} |",
        f"| no-change rerun < {TARGETS['rerun_seconds']:.0f} s "
        f"| {_median(runs['rerun']['seconds']):.1f} s | {_verdict(met['rerun_seconds'])} |",
        "",
        f"In every repeat: {'all three targets met' if met['all_repeats'] else 'not all met'}.",
        "",
        "| command | wall time (s) | peak RSS (MB) | summary |",
        "|---|---:|---:|---|",
    ]
    labels = {"build": "`migkg build`, the project without producers (baseline)"}
    labels.update({name: f"`migkg update`: {label}" for name, label in RUNS})
    for key, label in labels.items():
        run = runs[key]
        verdict = run["stdout"][-1] if run["stdout"] else ""
        verdict = re.sub(r"/\S+/(gen-\S+)", r"\1", verdict)
        lines.append(
            f"| {label} | {_range(run['seconds'])} | {_range(run['peak_mb'], '{:,.0f}')} "
            f"| {verdict} |"
        )
    lines += [
        "",
        "What the first run printed (last repeat):",
        "",
        *("    " + line for line in runs["first"]["stdout"][:-1]),
        "",
        f"Published by the first run: {counts['producer_observations']:,} producer "
        f"observations ({counts['observations']:,} `qb:Observation` in all, "
        f"{project['observations']:,} of them the project's), {counts['triples']:,} triples in "
        f"{counts['graphs']} named graphs (meta.json's store count; "
        f"{counts['producers_triples']:,} in the producers "
        f"graph; the project alone: {project['triples']:,}); "
        f"{last['requests']:,} requests to the replay server. After the revision: "
        f"{last['revision_counts']['producer_observations']:,} producer observations, "
        f"{last['revision_counts']['triples']:,} triples.",
        "",
        f"The first run is dominated by {dominant} ({first['phases'][dominant]:.1f} s of "
        f"{_median(first['seconds']):.1f} s). Phases (medians, s), from the timestamps of the "
        "progress lines on standard error (a phase lasts until the next line; the last one "
        "until the process exits):",
        "",
        "| phase | first run | no-change rerun | revision |",
        "|---|---:|---:|---:|",
    ]
    names = list(runs["first"]["phases"])
    for key in ("rerun", "revision"):
        names += [n for n in runs[key]["phases"] if n not in names]
    for name in names:
        cells = [
            f"{runs[key]['phases'][name]:.2f}" if name in runs[key]["phases"] else "–"
            for key in ("first", "rerun", "revision")
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f'Within "loading the store" of the first run (its meta.json): bulk load '
        f"{counts['store_load_seconds']} s, optimize {counts['store_optimize_seconds']} s, "
        f"statistics {counts['store_statistics_seconds']} s.",
        END,
    ]
    return "\n".join(lines)


def write_results(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw report")
    args = parser.parse_args()
    command = (
        "python bench/update_bench.py"
        + (f" --repeat {args.repeat}" if args.repeat != 3 else "")
        + (" --write" if args.write else "")
    )
    workdir = Path(tempfile.mkdtemp(prefix="update-bench-"))
    report: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "machine": machine(),
        "repeats": [],
    }
    try:
        state, report["areas"] = producer_state(workdir)
        with ReplayServer(state) as replay:
            for index in range(args.repeat):
                folder = workdir / f"repeat-{index}"
                folder.mkdir()
                result = one_repeat(replay, folder)
                report["repeats"].append(result)
                shutil.rmtree(folder, ignore_errors=True)
                brief = {k: round(result[k]["seconds"], 1) for k in ("build", "first", "rerun")}
                brief["revision"] = round(result["revision"]["seconds"], 1)
                brief["first_mb"] = round(result["first"]["peak_mb"])
                print(f"repeat {index + 1}: {json.dumps(brief)}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report["summary"] = summarise(report["repeats"])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    section = markdown(report)
    print(section)
    if args.write:
        write_results(section)


if __name__ == "__main__":
    main()
