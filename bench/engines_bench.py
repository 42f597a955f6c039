"""The query mix over HTTP against four servers of the same data, in one run (issue 14):

  (a) ``migkg serve`` on the embedded store, default configuration;
  (b) ``migkg serve`` over Oxigraph's server (``MIGKG_STORE`` = its query URL);
  (c) Oxigraph's own server directly (``oxigraph serve-read-only``, the Rust binary of the
      ``oxigraph`` package on PyPI), defaults;
  (d) Virtuoso directly (Debian's ``virtuoso-opensource``), when installed;

plus, for context, (a) with every query sent to a query process (``QUERY_INPROCESS_MS=0``, the
behaviour before proven-cheap requests ran in the worker) and the framework's ceiling (a bare
Flask route under the same gunicorn configuration).

    .venv/bin/python bench/engines_bench.py --write        # ~10 minutes on 2 cores

Data: the current generation of ``var/generations`` (``migkg build``). Oxigraph's server reads a
copy of that generation's store (the named graphs and the default-graph merge the build wrote:
what ``migkg publish --to`` loads); Virtuoso is loaded with the generation's dump.
Load: wrk (Debian), 2 threads, 16 connections, GET with the query in the URL and ``Accept:
application/sparql-results+json, text/turtle;q=0.9``, the same Lua script for every server: it
gives each request an ``X-Forwarded-For`` from 128 addresses, so that migkg's fair share (2
queries at once per client, its default) sees many clients, as it would behind the reference
nginx (``TRUSTED_PROXIES=127.0.0.1``; the engines ignore the header). migkg runs with its
defaults otherwise: 2 gthread workers × 4 threads, access log on (written to a file).
Engine time = the in-process median of the query on the same store (what a query process
does), which sorts the mix into research queries (≥ 1 ms) and cheap ones.

Nothing in the SPARQL path is cached: each request evaluates its query (ETags are not sent by
wrk, so no 304). What (a) remembers is which requests are cheap, not their answers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "engines"
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from run import _free_port, _wrk, log, oxigraph_latencies, query_mix  # noqa: E402

ACCEPT = "application/sparql-results+json, text/turtle;q=0.9"
LUA = """
local counter = 0
local index = 0
function setup(thread)
  thread:set("id", index)
  index = index + 1
end
function request()
  counter = counter + 1
  wrk.headers["X-Forwarded-For"] = string.format("10.9.%d.%d", id, counter % 64)
  return wrk.format(nil)
end
"""
RESEARCH_MS = 1.0  # engine time from which a query counts as a research query
MARK_BEGIN, MARK_END = "<!-- engines:begin -->", "<!-- engines:end -->"


class Process:
    """A server process group with a log file, stopped with SIGTERM then SIGKILL."""

    def __init__(self, command: list[str], env: dict, name: str, ready_url: str, wait=180.0):
        OUT.mkdir(parents=True, exist_ok=True)
        self.log_path = OUT / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{name} exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(ready_url, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{name} did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def migkg(name: str, generations: Path, **settings) -> tuple[Process, str]:
    port = _free_port()
    state = OUT / f"state-{name}"
    shutil.rmtree(state, ignore_errors=True)
    env = dict(
        os.environ,
        MIGKG_GENERATIONS_DIR=str(generations),
        MIGKG_STATE_DIR=str(state),
        MIGKG_PORT=str(port),
        MIGKG_TRUSTED_PROXIES="127.0.0.1",
        **{f"MIGKG_{key}": str(value) for key, value in settings.items()},
    )
    url = f"http://127.0.0.1:{port}/"
    server = Process(
        [sys.executable, "-m", "service.cli", "serve"], env, f"migkg-{name}", url + "healthz"
    )
    return server, url + "sparql"


def oxigraph_server(store: Path) -> tuple[Process, str]:
    from oxigraph_server import oxigraph_binary

    port = _free_port()
    url = f"http://127.0.0.1:{port}/query"
    command = [
        oxigraph_binary(),
        "serve-read-only",
        "--location",
        str(store),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    probe = url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    return Process(command, dict(os.environ), "oxigraph", probe), url


def bare_flask(workers: int, threads: int) -> tuple[Process, str]:
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT / "bench"),
        "bare_app:app",
    ]
    url = f"http://127.0.0.1:{port}/sparql"
    return Process(command, dict(os.environ), "bare-flask", url), url


def measure(endpoint: str, mix, seconds: int, script: Path) -> dict:
    results = {}
    for name, _, text in mix:
        url = endpoint + "?" + urllib.parse.urlencode({"query": text})
        if len(url) > 8000:
            results[name] = {"skipped": "URL too long for GET"}
            continue
        # one request first: a server's first answer to a query is not the steady state
        request = urllib.request.Request(url, headers={"Accept": ACCEPT})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
        except OSError as exc:
            results[name] = {"skipped": f"first request failed: {exc}"}
            continue
        results[name] = _wrk(url, ACCEPT, seconds, script=script)
        log(f"  {name}: {results[name]['rps']:.0f} req/s ({results[name]['non_2xx']} non-2xx)")
    return results


def settle(limit: float = 60.0) -> None:
    """Wait until the machine is idle again (a stopped engine may still be writing: Virtuoso
    checkpoints on shutdown), so that each server is measured alone."""
    deadline = time.monotonic() + limit
    time.sleep(2)
    while time.monotonic() < deadline and os.getloadavg()[0] > 1.0:
        time.sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generations", type=Path, default=ROOT / "var" / "generations")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="query names (default: the whole mix)")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    script = OUT / "clients.lua"
    script.write_text(LUA, encoding="utf-8")
    generations = args.generations.resolve()
    current = generations / os.readlink(generations / "current")
    meta = json.loads((current / "meta.json").read_text())
    mix = [m for m in query_mix() if not args.only or m[0] in args.only]

    log(f"engine time, in-process, on {current.name}")
    engine = oxigraph_latencies(generations, mix, runs=20, budget=3.0)

    store_copy = OUT / "oxigraph-store"
    shutil.rmtree(store_copy, ignore_errors=True)
    shutil.copytree(current / "store", store_copy)

    results: dict = {"engine": engine, "http": {}}
    log("bare Flask route")
    bare, bare_url = bare_flask(2, 4)
    try:
        results["bare"] = _wrk(bare_url, ACCEPT, args.seconds, script=script)
    finally:
        bare.stop()
    servers = [
        ("migkg embedded", lambda: migkg("embedded", generations)),
        (
            "migkg embedded, every query in a query process",
            lambda: migkg("children", generations, QUERY_INPROCESS_MS=0),
        ),
        ("Oxigraph server", lambda: oxigraph_server(store_copy)),
    ]
    virtuoso = virtuoso_for(current)
    if virtuoso:
        servers.append(("Virtuoso", virtuoso))
    for label, start in servers:
        log(label)
        try:
            server, endpoint = start()
        except Exception as exc:  # reported, not hidden: a server that cannot start
            results["http"][label] = {"_error": str(exc)}
            log(f"  {label} did not start: {exc}")
            continue
        try:
            results["http"][label] = measure(endpoint, mix, args.seconds, script)
            if label == "Oxigraph server":
                log("migkg over Oxigraph server")
                over, over_endpoint = migkg("remote", generations, STORE=endpoint)
                try:
                    results["http"]["migkg over Oxigraph server"] = measure(
                        over_endpoint, mix, args.seconds, script
                    )
                finally:
                    over.stop()
        finally:
            server.stop()
            settle()
    results["meta"] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "triples": meta["triples"],
        "version": meta["version"],
        "seconds": args.seconds,
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
    }
    (OUT / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    report = render(results, mix)
    print(report)
    if args.write:
        write(report)


def virtuoso_for(generation: Path):
    """A starter for Virtuoso loaded with ``generation``, or None when it is not installed."""
    try:
        import virtuoso_server
    except ImportError:
        return None
    if not virtuoso_server.virtuoso_installed():
        return None

    def start():
        folder = OUT / "virtuoso"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        server = virtuoso_server.start_with_generation(generation, folder)
        return server, server.query_url

    return start


ORDER = [
    "migkg embedded",
    "migkg over Oxigraph server",
    "Oxigraph server",
    "Virtuoso",
    "migkg embedded, every query in a query process",
]


def render(results: dict, mix) -> str:
    http = results["http"]
    peer = http.get("Oxigraph server", {})
    labels = [label for label in ORDER if label in http]

    def rps(label, name):
        row = http.get(label, {}).get(name, {})
        return row.get("rps") if isinstance(row, dict) and not row.get("non_2xx") else None

    def ratio(label, name):
        mine, theirs = rps(label, name), rps("Oxigraph server", name)
        return mine / theirs if mine and theirs else None

    lines = [
        MARK_BEGIN,
        "## Four ways to serve the same data (`bench/engines_bench.py`, "
        f"{results['meta']['when']}, commit {results['meta']['commit']})",
        "",
        "    .venv/bin/python bench/engines_bench.py --write",
        "",
        f"The real dataset ({results['meta']['triples']:,} triples, version "
        f"{results['meta']['version']}), one run, each server alone on the 2 cores with wrk "
        f"(2 threads, 16 connections, {results['meta']['seconds']} s per query, 128 client "
        "addresses by X-Forwarded-For). requests/s; ratio = ÷ Oxigraph's server in the same run. "
        "Engine = in-process median (ms) on the same store. Nothing is cached: every request "
        "evaluates its query.",
        "",
        "| query | engine ms | " + " | ".join(labels) + " | (a) ÷ Oxigraph | (b) ÷ Oxigraph |",
        "|---|---:|" + "---:|" * len(labels) + "---:|---:|",
    ]
    research, cheap = [], []
    for name, _, _ in mix:
        engine_ms = results["engine"].get(name, {}).get("median_ms")
        cells = []
        for label in labels:
            row = http[label].get(name) if isinstance(http[label], dict) else None
            if not row or "_error" in http[label]:
                cells.append("–")
            elif "skipped" in row:
                cells.append(row["skipped"])
            else:
                text = f"{row['rps']:,.0f}"
                if row.get("non_2xx"):
                    text += f" ({row['non_2xx']:,} non-2xx)"
                cells.append(text)
        a, b = ratio("migkg embedded", name), ratio("migkg over Oxigraph server", name)
        lines.append(
            f"| {name} | {engine_ms:.2f} | " + " | ".join(cells) + f" | {_r(a)} | {_r(b)} |"
            if engine_ms is not None
            else f"| {name} | – | " + " | ".join(cells) + f" | {_r(a)} | {_r(b)} |"
        )
        if peer.get(name) and engine_ms is not None:
            (research if engine_ms >= RESEARCH_MS else cheap).append((name, a, b))
    bare = results.get("bare", {})
    lines += [
        "",
        f"Bare Flask route under the same gunicorn configuration (2 gthread workers × 4 "
        f"threads), same wrk: {bare.get('rps', 0):,.0f} req/s"
        + (
            f" = {bare['rps'] / rps('Oxigraph server', 'ask-small'):.2f}× Oxigraph's ASK."
            if bare.get("rps") and rps("Oxigraph server", "ask-small")
            else "."
        ),
        "",
        "**Targets** (medians of the ratios over each group):",
        "",
    ]
    lines += _target("research queries (engine ≥ 1 ms), (a) ≥ 0.9×", research, 1, 0.9)
    lines += _target("research queries (engine ≥ 1 ms), (b) ≥ 0.8×", research, 2, 0.8)
    lines += _target("cheap queries (engine < 1 ms), (a) ≥ 0.3×", cheap, 1, 0.3)
    for label, value in http.items():
        if isinstance(value, dict) and "_error" in value:
            lines.append(f"- {label} did not start: {value['_error'][:300]}")
    lines.append(MARK_END)
    return "\n".join(lines) + "\n"


def _r(value) -> str:
    return f"{value:.2f}" if value else "–"


def _target(label: str, group, index: int, goal: float) -> list[str]:
    values = [row[index] for row in group if row[index]]
    if not values:
        return [f"- {label}: not measured"]
    median = statistics.median(values)
    met = sum(1 for v in values if v >= goal)
    verdict = "met" if median >= goal else "**not met**"
    return [
        f"- {label}: median {median:.2f} ({met} of {len(values)} queries at or above): {verdict}"
    ]


def write(report: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    if MARK_BEGIN in text:
        head, rest = text.split(MARK_BEGIN, 1)
        text = head + report + rest.split(MARK_END, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + report
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
