"""The migkg benchmark: load time, in-process query latency (Oxigraph against rdflib's own
engine on the same data), HTTP throughput under concurrent load, and whether a slow query
blocks fast ones. Writes ``bench/RESULTS.md`` (and ``bench/out/results.json``).

    python bench/run.py              # everything (about 15-25 minutes on 2 cores)
    python bench/run.py --quick      # fewer runs, shorter HTTP phases, rdflib on the real data only

Datasets: the real Kazakhstan dataset (``migkg build``) and the deterministic 50-country
graph (``bench/generate.py``, ~1.7 M triples; a ~1 M-triple variant for the load target).
The query mix: every example query (``service/queries/examples``) plus entity-page lookups,
a small ASK, a 90-row SELECT and an aggregate (``bench/queries``).

Load = ``service.build.store_loader.load_store`` (the bulk load of a generation's store, with
the default-graph merge, optimize and statistics) on the dataset's N-Quads, in a child
process, into a store that is then removed. The stores queried are generations: the real
dataset's own (``migkg build --out bench/out/real``), and the 50-country graph published
once with ``service.build.generation.publish`` into ``bench/out/store-bench50`` (reused while
it holds the same dataset version).

In-process = the query and Oxigraph's native JSON serialisation in this process on a store
opened read-only (what one query child of the server does). rdflib = ``Dataset`` with the
union default graph, ``query()`` and ``serialize(format="json")``, in a child process with a
time budget per query. HTTP = ``wrk`` (Debian) against ``migkg serve`` (gunicorn) on
127.0.0.1, 16 connections, GET with the query in the URL and ``Accept`` for SPARQL JSON.
Every load-generating phase is bounded in time and talks to loopback only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CORES = os.cpu_count() or 2
BASE = "https://w3id.org/migkg/"  # the data namespace: query base, as the endpoint uses
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o }"

sys.path.insert(0, str(ROOT))


def log(*args) -> None:
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


# -- the query mix ----------------------------------------------------------------------------


def query_mix() -> list[tuple[str, str, str]]:
    """``(name, kind, text)``: kind is "example" or "mix"."""
    from service.web.sparql import load_examples

    # Federated examples are left out: they call another endpoint (the benchmark talks to
    # loopback only, and in-process Oxigraph would make the outbound request).
    mix = [(e.slug, "example", e.query) for e in load_examples() if not e.federated]
    for path in sorted((ROOT / "bench" / "queries").glob("*.rq")):
        mix.append((path.stem, "mix", path.read_text(encoding="utf-8")))
    return mix


# -- datasets --------------------------------------------------------------------------------


def build_real() -> Path:
    """The real dataset as a generations folder (``current`` and its generation)."""
    out = OUT / "real"
    subprocess.run(
        [sys.executable, "-m", "service.cli", "build", "--out", str(out)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out


def generate(real: Path, name: str, density: float) -> Path:
    from bench.generate import generate as run_generator

    out = OUT / name
    stamp = out / "version.json"
    if stamp.is_file():
        meta = json.loads(stamp.read_text())
        if meta.get("generator", {}).get("density") == density and meta.get(
            "source_version"
        ) == _version(real):
            return out
    meta = run_generator(real, out, density=density)
    meta["source_version"] = _version(real)
    stamp.write_text(json.dumps(meta, indent=2) + "\n")
    return out


def _version(dataset: Path) -> str:
    """The dataset version of a generations folder (its current generation) or dataset folder."""
    if (dataset / "current").exists():
        return json.loads((dataset / "current" / "meta.json").read_text())["version"]
    return json.loads((dataset / "version.json").read_text())["version"]


def nquads_file(dataset: Path) -> Path:
    """The N-Quads file of a dataset folder (``dataset.nq``) or, for a generations folder, its
    current generation's N-Quads dump (the bytes the build loaded), unpacked beside it."""
    if (dataset / "dataset.nq").is_file():
        return dataset / "dataset.nq"
    target = dataset.parent / f"{dataset.name}-dataset.nq"
    with gzip.open(dataset / "current" / "dumps" / "dataset.nq.gz") as source:
        target.write_bytes(source.read())
    return target


_LOAD_CHILD = """
import gc, json, shutil, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from service.build.store_loader import load_store
nquads = Path(sys.argv[1]).read_bytes()
work = Path(sys.argv[2])
try:
    started = time.perf_counter()
    store, meta = load_store(nquads, work / "store")
    meta["wall_seconds"] = round(time.perf_counter() - started, 2)
    # VmHWM: this process's own peak (ru_maxrss would include the parent's, kept across exec)
    meta["max_rss_mb"] = round(int(next(line.split()[1] for line in open("/proc/self/status")
                                        if line.startswith("VmHWM:"))) / 1024)
    del store
    gc.collect()
finally:
    shutil.rmtree(work, ignore_errors=True)
result = {k: meta[k] for k in ("triples", "load_seconds", "optimize_seconds",
          "statistics_seconds", "wall_seconds", "max_rss_mb")}
if sys.argv[3]:  # then publish it as a generation for the query phases (not measured above)
    from service.build.generation import publish
    started = time.perf_counter()
    generation, published = publish(nquads, Path(sys.argv[3]))
    result["published"] = generation.name
    result["publish_seconds"] = round(time.perf_counter() - started, 2) if published else None
print(json.dumps(result))
"""


def measure_load(dataset: Path, store_dir: Path, publish_to: Path | None = None) -> dict:
    """Load the dataset's N-Quads into a fresh store at ``store_dir/store`` (removed
    afterwards) in a child process (so its peak memory is its own); with ``publish_to``, the
    child then publishes them as a generation there (unless it already holds that version)."""
    shutil.rmtree(store_dir, ignore_errors=True)
    store_dir.mkdir(parents=True)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _LOAD_CHILD,
            str(nquads_file(dataset)),
            str(store_dir),
            str(publish_to or ""),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"loading {dataset} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- in-process: Oxigraph ---------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def oxigraph_latencies(store_dir: Path, mix, runs: int, budget: float) -> dict:
    """In-process latencies on the current generation of the generations folder ``store_dir``."""
    import pyoxigraph as ox

    from service.config import DEFAULTS
    from service.store.executor import open_generation

    target = os.readlink(store_dir / "current")
    # Exactly what a query child opens: RocksDB read-only, or its in-memory copy when the
    # dataset is under MEMORY_COPY_MAX_TRIPLES.
    store = open_generation(str(store_dir / target), DEFAULTS["MEMORY_COPY_MAX_TRIPLES"])
    triples = json.loads((store_dir / target / "meta.json").read_text())["triples"]
    results = {
        "_store": "in-memory copy"
        if triples <= DEFAULTS["MEMORY_COPY_MAX_TRIPLES"]
        else "RocksDB (read-only)"
    }
    for name, _, text in mix:
        times, size = [], 0
        deadline = time.perf_counter() + budget
        for attempt in range(runs + 1):
            started = time.perf_counter()
            # as the query children do: the default graph is the merge the loader wrote
            answer = store.query(text, base_iri=BASE)
            if isinstance(answer, ox.QueryTriples):
                body = ox.serialize(answer, format=ox.RdfFormat.TURTLE)
            else:
                body = answer.serialize(format=ox.QueryResultsFormat.JSON)
            elapsed = time.perf_counter() - started
            size = len(body)
            if attempt:  # the first run warms caches
                times.append(elapsed)
            if time.perf_counter() > deadline and len(times) >= 3:
                break
        results[name] = {
            "median_ms": statistics.median(times) * 1000,
            "p95_ms": _percentile(times, 0.95) * 1000,
            "runs": len(times),
            "bytes": size,
        }
        log(f"  oxigraph {name}: {results[name]['median_ms']:.2f} ms")
    return results


# -- in-process: rdflib -----------------------------------------------------------------------

_RDFLIB_CHILD = r"""
import json, signal, statistics, sys, time
from rdflib import Dataset
dataset_path, base, runs, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
mix = json.loads(sys.stdin.read())
class Budget(Exception):
    pass
def alarm(signum, frame):
    raise Budget()
signal.signal(signal.SIGALRM, alarm)
started = time.perf_counter()
ds = Dataset(default_union=True)
ds.parse(dataset_path, format="nquads")
print(json.dumps({"load_seconds": round(time.perf_counter() - started, 2), "quads": len(ds)}), flush=True)
for name, text in mix:
    times = []
    try:
        for attempt in range(runs + 1):
            signal.setitimer(signal.ITIMER_REAL, budget)
            t = time.perf_counter()
            result = ds.query(text, base=base)
            result.serialize(format="json" if result.type != "CONSTRUCT" and result.type != "DESCRIBE" else "turtle")
            elapsed = time.perf_counter() - t
            signal.setitimer(signal.ITIMER_REAL, 0)
            if attempt or runs == 0:
                times.append(elapsed)
            if sum(times) > budget:
                break
        print(json.dumps({"name": name, "median_ms": statistics.median(times) * 1000, "runs": len(times)}), flush=True)
    except Budget:
        print(json.dumps({"name": name, "timeout_s": budget}), flush=True)
    except Exception as exc:
        signal.setitimer(signal.ITIMER_REAL, 0)
        print(json.dumps({"name": name, "error": f"{type(exc).__name__}: {exc}"[:200]}), flush=True)
"""


def rdflib_latencies(dataset: Path, mix, runs: int, budget: float) -> dict:
    payload = json.dumps([(name, text) for name, _, text in mix])
    process = subprocess.run(
        [
            sys.executable,
            "-c",
            _RDFLIB_CHILD,
            str(nquads_file(dataset)),
            BASE,
            str(runs),
            str(budget),
        ],
        input=payload,
        capture_output=True,
        text=True,
    )
    lines = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(process.stderr[-2000:])
    results = {"load": lines[0]}
    for item in lines[1:]:
        results[item["name"]] = item
        log(
            f"  rdflib {item['name']}: {item.get('median_ms', item.get('timeout_s', item.get('error')))}"
        )
    return results


# -- HTTP -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``migkg serve`` on the generations folder ``generations``; ``state_dir`` (emptied first)
    is its STATE_DIR (the fair-share database)."""

    def __init__(self, generations: Path, state_dir: Path, workers: int, timeout: float = 30.0):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        shutil.rmtree(state_dir, ignore_errors=True)
        env = dict(
            os.environ,
            MIGKG_GENERATIONS_DIR=str(generations),
            MIGKG_STATE_DIR=str(state_dir),
            MIGKG_PORT=str(self.port),
            MIGKG_WORKERS=str(workers),
            MIGKG_ACCESS_LOG="false",
            MIGKG_QUERY_TIMEOUT=str(timeout),
            # wrk's 16 connections are one client: without this the fair share (2 queries at
            # once per client) would answer most of them 429 and the figures would count those
            MIGKG_CLIENT_MAX_CONCURRENT="64",
            MIGKG_CLIENT_QUERY_SECONDS="1000000",
        )
        self.log = open(OUT / f"server-{self.port}.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def _wrk(
    url: str, accept: str, seconds: int, connections: int = 16, script: Path | None = None
) -> dict:
    result = subprocess.run(
        [
            "wrk",
            *(["--script", str(script)] if script else []),
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "--timeout",
            "30s",
            "-H",
            f"Accept: {accept}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    text = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    latency = {}
    for pct in ("50", "99"):
        match = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", text)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            latency[pct] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    return {
        "rps": rps,
        "p50_ms": latency.get("50"),
        "p99_ms": latency.get("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def http_throughput(server: Server, mix, seconds: int) -> dict:
    results = {}
    for name, _, text in mix:
        url = server.url + "sparql?" + urllib.parse.urlencode({"query": text})
        accept = "application/sparql-results+json, text/turtle;q=0.9"
        if len(url) > 8000:
            results[name] = {"skipped": "URL too long for GET"}
            continue
        results[name] = _wrk(url, accept, seconds)
        log(f"  http {name}: {results[name]['rps']:.0f} req/s")
    return results


def slow_versus_fast(server: Server, fast_query: str, seconds: int) -> dict:
    """A fast query's throughput and latency alone, then while runaway queries keep one
    worker busy until the time limit stops them."""
    url = server.url + "sparql?" + urllib.parse.urlencode({"query": fast_query})
    accept = "application/sparql-results+json"
    alone = _wrk(url, accept, seconds)
    stop = threading.Event()
    outcomes = []

    def runaway():
        slow = server.url + "sparql?" + urllib.parse.urlencode({"query": RUNAWAY})
        while not stop.is_set():
            try:
                with urllib.request.urlopen(slow, timeout=60) as response:
                    outcomes.append(response.status)
            except urllib.error.HTTPError as exc:
                outcomes.append(exc.code)
            except OSError:
                outcomes.append("error")

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    together = _wrk(url, accept, seconds)
    stop.set()
    thread.join()
    return {"alone": alone, "with_runaway": together, "runaway_statuses": outcomes}


def bare_flask_ceiling(workers: int, seconds: int) -> dict:
    """The same wrk run against a Flask route that returns a constant (no store, no IPC)."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.bare_app:app",
        ],
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/sparql?query=ASK%20%7B%7D"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        return _wrk(url, "application/sparql-results+json", seconds)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


# -- report -----------------------------------------------------------------------------------


def _fmt(value, digits=1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _targets(results: dict) -> list[str]:
    """The issue's targets, each with the measured figure and whether it is met."""

    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    rows = []
    bench = {
        k: v for k, v in results["oxigraph"].get("bench50", {}).items() if not k.startswith("_")
    }
    examples = {k: v for k, v in bench.items() if k[:2].isdigit()}
    if examples:
        slow = {k: v["median_ms"] for k, v in examples.items() if v["median_ms"] >= 100}
        worst = max(examples.items(), key=lambda kv: kv[1]["median_ms"])
        rows.append(
            (
                "every example query, in-process median < 100 ms (50-country graph)",
                f"slowest {worst[0]}: {worst[1]['median_ms']:.0f} ms"
                + (
                    f"; over: {', '.join(f'{k} ({v:.0f} ms)' for k, v in slow.items())}"
                    if slow
                    else ""
                ),
                mark(not slow),
            )
        )
    bare = results.get("bare_flask", {}).get("rps")
    for dataset in ("bench50", "real"):
        ox_results = {
            k: v for k, v in results["oxigraph"].get(dataset, {}).items() if not k.startswith("_")
        }
        http = results.get("http", {}).get(dataset, {})
        ratios = {
            k: http[k]["rps"] / (0.75 * CORES / (v["median_ms"] / 1000))
            for k, v in ox_results.items()
            if http.get(k, {}).get("rps")
        }
        if not ratios:
            continue
        heavy = [k for k in ratios if ox_results[k]["median_ms"] >= 1.0]
        light = [k for k in ratios if k not in heavy]
        met_heavy = [k for k in heavy if ratios[k] >= 1]
        missed = ", ".join(f"{k} ({ratios[k]:.2f})" for k in heavy if ratios[k] < 1)
        rows.append(
            (
                f"HTTP ≥ 0.75 × cores ÷ median, queries with an engine median ≥ 1 ms ({dataset})",
                f"{len(met_heavy)} of {len(heavy)}" + (f"; under: {missed}" if missed else ""),
                mark(len(met_heavy) == len(heavy)),
            )
        )
        if light and bare:
            # Below 1 ms of engine time the target exceeds what the bare Flask route reaches
            # on this machine; the comparable bound is that ceiling, measured in the same run.
            capped = {
                k: http[k]["rps"] / (0.75 * min(CORES / (ox_results[k]["median_ms"] / 1000), bare))
                for k in light
            }
            met_light = [k for k, r in capped.items() if r >= 1]
            rows.append(
                (
                    f"the same for sub-millisecond queries ({dataset}): the literal target "
                    f"is above the bare Flask ceiling ({bare:,.0f} req/s); measured against "
                    f"0.75 × that ceiling",
                    f"literal target: 0 of {len(light)}; against the ceiling: "
                    f"{len(met_light)} of {len(light)} (lowest "
                    f"{min(capped.values()):.2f})",
                    "not met (literal); " + mark(len(met_light) == len(light)) + " (ceiling)",
                )
            )
    http_real = results.get("http", {}).get("real", {})
    if "ask-small" in http_real:
        rps = http_real["ask-small"]["rps"]
        rows.append(
            ("small ASK ≥ 3,000 req/s (real dataset)", f"{rps:,.0f} req/s", mark(rps >= 3000))
        )
    if "select-90-rows" in http_real:
        rps = http_real["select-90-rows"]["rps"]
        rows.append(
            ("90-row SELECT ≥ 1,000 req/s (real dataset)", f"{rps:,.0f} req/s", mark(rps >= 1000))
        )
    load = results["load"].get("bench1m")
    if load:
        total = load["load_seconds"] + load["optimize_seconds"] + load["statistics_seconds"]
        rows.append(
            (
                "load of the ~1 M-triple graph < 10 s and < 1 GB",
                f"named graphs + default-graph merge {load['load_seconds']:.1f} s (+ optimize "
                f"{load['optimize_seconds']:.1f} s, statistics "
                f"{load['statistics_seconds']:.1f} s: {total:.1f} s in all), peak "
                f"{load['max_rss_mb']} MB",
                mark(load["load_seconds"] < 10 and load["max_rss_mb"] < 1024),
            )
        )
    rd = results.get("rdflib", {}).get("bench50", {})
    ratios = [
        rd[k]["median_ms"] / v["median_ms"]
        for k, v in bench.items()
        if "median_ms" in rd.get(k, {})
    ]
    if ratios:
        rows.append(
            (
                "Oxigraph against rdflib's engine, same data, same run (50-country graph)",
                f"{min(ratios):.0f}× to {max(ratios):.0f}× faster "
                f"(median {statistics.median(ratios):.0f}×)",
                "measured",
            )
        )
    lines = ["## Targets", "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return lines + [""]


def write_report(results: dict, path: Path) -> None:
    lines = [
        "# Benchmark results: the SPARQL endpoint",
        "",
        f"Generated by `python bench/run.py{' --quick' if results['quick'] else ''}` on "
        f"{results['when']}; {results['machine']}. Every figure below was measured in that "
        "one run; ratios compare engines on the same data in the same run.",
        "",
    ]
    lines += _targets(results)
    lines += [
        "## Load",
        "",
        "| dataset | triples | bulk load (s) | optimize (s) | statistics (s) "
        "| total (s) | peak RSS (MB) | rdflib parse (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, load in results["load"].items():
        rdflib_load = results.get("rdflib", {}).get(name, {}).get("load", {}).get("load_seconds")
        lines.append(
            f"| {name} | {load['triples']:,} | {load['load_seconds']} | "
            f"{load['optimize_seconds']} | {load['statistics_seconds']} | "
            f"{load['wall_seconds']} | {load['max_rss_mb']} | {_fmt(rdflib_load)} |"
        )
    for dataset in ("bench50", "real"):
        if dataset not in results["oxigraph"]:
            continue
        ox_results = results["oxigraph"][dataset]
        rd = results.get("rdflib", {}).get(dataset, {})
        http = results.get("http", {}).get(dataset, {})
        lines += [
            "",
            f"## Queries on `{dataset}`",
            "",
            "In-process medians and p95 (ms); rdflib = the same query on rdflib's engine "
            "(× = how many times slower than Oxigraph). HTTP: requests/s with 16 "
            f"connections, and the target 0.75 × ({CORES} cores ÷ in-process median).",
            "",
            "| query | Oxigraph median | p95 | rdflib median | rdflib ÷ Oxigraph | HTTP req/s "
            "| target req/s | HTTP ÷ target | HTTP p50 / p99 (ms) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        lines[-4] += f" Query children (and this measurement) use the {ox_results['_store']} store."
        for name, item in ox_results.items():
            if name.startswith("_"):
                continue
            rd_item = rd.get(name, {})
            if "median_ms" in rd_item:
                rd_text = _fmt(rd_item["median_ms"])
                ratio = f"{rd_item['median_ms'] / item['median_ms']:,.0f}×"
            elif "timeout_s" in rd_item:
                rd_text, ratio = (
                    f"> {rd_item['timeout_s']:.0f} s",
                    f"> {rd_item['timeout_s'] * 1000 / item['median_ms']:,.0f}×",
                )
            elif "error" in rd_item:
                rd_text, ratio = "error", "–"
            else:
                rd_text, ratio = "–", "–"
            h = http.get(name, {})
            target = 0.75 * CORES / (item["median_ms"] / 1000)
            rps = h.get("rps")
            lines.append(
                f"| {name} | {_fmt(item['median_ms'], 2)} | {_fmt(item['p95_ms'], 2)} | {rd_text} | "
                f"{ratio} | {_fmt(rps, 0)} | {_fmt(target, 0)} | "
                f"{_fmt(rps / target if rps else None, 2)} | "
                f"{_fmt(h.get('p50_ms'))} / {_fmt(h.get('p99_ms'))} |"
            )
        errors = {n: h for n, h in http.items() if h.get("non_2xx") or h.get("socket_errors")}
        if errors:
            lines += [
                "",
                "HTTP errors: "
                + "; ".join(
                    f"{n}: {h.get('non_2xx')} non-2xx, {h.get('socket_errors') or 'no'} socket errors"
                    for n, h in errors.items()
                ),
            ]
    if "bare_flask" in results:
        bare = results["bare_flask"]
        lines += [
            "",
            "## The framework's ceiling",
            "",
            "A Flask route that returns a constant SPARQL JSON boolean, under the same "
            f"gunicorn configuration and wrk run: {_fmt(bare['rps'], 0)} req/s "
            f"(p50 {_fmt(bare['p50_ms'], 2)} ms). No Python endpoint on this machine can "
            "answer faster than that; compare the ASK rows above with it.",
        ]
    if "slow_vs_fast" in results:
        sf = results["slow_vs_fast"]
        lines += [
            "",
            "## A slow query does not block fast ones",
            "",
            f"`ask-small` on `{sf['dataset']}` with wrk (16 connections), alone and while a "
            f"client keeps sending a runaway query (stopped at the {sf['timeout']} s limit "
            "each time, answered 503).",
            "",
            "| | req/s | p50 (ms) | p99 (ms) |",
            "|---|---:|---:|---:|",
            f"| alone | {_fmt(sf['alone']['rps'], 0)} | {_fmt(sf['alone']['p50_ms'], 2)} | "
            f"{_fmt(sf['alone']['p99_ms'], 2)} |",
            f"| with a runaway query | {_fmt(sf['with_runaway']['rps'], 0)} | "
            f"{_fmt(sf['with_runaway']['p50_ms'], 2)} | {_fmt(sf['with_runaway']['p99_ms'], 2)} |",
            "",
            f"Runaway answers: {sf['runaway_statuses']}.",
        ]
    lines += ["", "## Notes", ""] + results.get("notes", [])
    block = "\n".join([START_MARK] + lines + [END_MARK]) + "\n"
    # Other sections of the file (e.g. the entity-page benchmark) are kept as they are.
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    if START_MARK in existing and END_MARK in existing:
        before, rest = existing.split(START_MARK, 1)
        after = rest.split(END_MARK, 1)[1].lstrip("\n")
        text = before + block + ("\n" + after if after else "")
    else:
        text = block + ("\n" + existing if existing else "")
    path.write_text(text, encoding="utf-8")


START_MARK = "<!-- bench/run.py: SPARQL endpoint results (generated; edit bench/run.py) -->"
END_MARK = "<!-- end of bench/run.py results -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-rdflib-bench50", action="store_true")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite bench/RESULTS.md from bench/out/results.json",
    )
    args = parser.parse_args()
    if args.report_only:
        results = json.loads((OUT / "results.json").read_text())
        results["notes"] = NOTES
        write_report(results, ROOT / "bench" / "RESULTS.md")
        return
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    OUT.mkdir(parents=True, exist_ok=True)
    runs, budget = (5, 1.0) if args.quick else (20, 3.0)
    http_seconds = 3 if args.quick else 5
    mix = query_mix()
    results: dict = {
        "quick": args.quick,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{CORES} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, pyoxigraph {_pkg('pyoxigraph')}, "
        f"rdflib {_pkg('rdflib')}, gunicorn {_pkg('gunicorn')}, "
        f"{args.workers} sync workers",
        "load": {},
        "oxigraph": {},
        "rdflib": {},
        "http": {},
    }
    log("building the real dataset")
    datasets = {"real": build_real()}
    log("generating the 50-country graph")
    datasets["bench50"] = generate(datasets["real"], "bench50", 0.22)
    datasets["bench1m"] = generate(datasets["real"], "bench1m", 0.125)
    # The generations queried and served: the real dataset's own build, and the 50-country
    # graph's, which its load child publishes.
    published = {"bench50": OUT / "store-bench50"}
    generations = {"real": datasets["real"], **published}
    for name, dataset in datasets.items():
        log(f"loading {name}")
        results["load"][name] = measure_load(dataset, OUT / f"load-{name}", published.get(name))
    for name in ("real", "bench50"):
        log(f"oxigraph in-process on {name}")
        results["oxigraph"][name] = oxigraph_latencies(generations[name], mix, runs, budget)
    for name in ("real", "bench50"):
        if name == "bench50" and (args.quick or args.skip_rdflib_bench50):
            continue
        log(f"rdflib in-process on {name}")
        results["rdflib"][name] = rdflib_latencies(
            datasets[name], mix, 2 if name == "bench50" else 5, 20.0 if name == "bench50" else 10.0
        )
    for name in ("real", "bench50"):
        log(f"HTTP on {name}")
        server = Server(generations[name], OUT / f"serve-{name}", args.workers)
        try:
            results["http"][name] = http_throughput(server, mix, http_seconds)
        finally:
            server.stop()
    log("bare Flask ceiling")
    results["bare_flask"] = bare_flask_ceiling(args.workers, http_seconds)
    log("slow versus fast")
    server = Server(generations["real"], OUT / "serve-slow", args.workers, timeout=3.0)
    try:
        ask = next(text for name, _, text in mix if name == "ask-small")
        results["slow_vs_fast"] = dict(
            slow_versus_fast(server, ask, http_seconds + 3), dataset="real", timeout=3.0
        )
    finally:
        server.stop()
    results["notes"] = NOTES
    (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str))
    write_report(results, ROOT / "bench" / "RESULTS.md")
    log("wrote bench/RESULTS.md")


def _pkg(name: str) -> str:
    from importlib.metadata import version

    return version(name)


NOTES: list[str] = [
    "- **Machine noise.** The 2 cores are shared with other work on the same host; HTTP "
    "figures have moved by up to 2x between runs of the same phase on different days (the bare "
    "Flask route: 4,994 req/s in one run, 10,255 in another), so compare within a run. wrk runs "
    "on the same 2 cores as the server.",
    "- **What limits cheap queries over HTTP.** Each request costs the server a fixed amount "
    "beyond the engine: gunicorn's HTTP parsing and connection handling (sync workers close the "
    "connection after each response), Flask's request/response and the protocol checks (about "
    "0.3 ms in-process, profiled), and one pipe round trip to the query child, whose own CPU "
    "shares the same 2 cores. So the target 0.75 × cores ÷ median needs the engine to take at "
    "least about three times that cost; for sub-millisecond queries (ASK, entity lookups) it "
    "is far above even the bare Flask route, which does none of that work. Query results are "
    "never rebuilt in Python: the child serialises with Oxigraph and the bytes pass through.",
    "- **Examples on the 50-country graph.** Every example is written to start from Kazakhstan "
    "(the subject of the real data) and to read each series once: pairwise self-joins of "
    "observations (the naive way to find rival figures, or to pair immigration with emigration) "
    "ran for 60-90 s on this graph because Oxigraph picks the join order without statistics; the "
    "grouped one-pass forms run in 5-85 ms. `09-csv-for-pandas` leaves the sorting to the "
    "client: its ORDER BY cost 35 ms (118 against 83 ms). A query over every figure of all 50 "
    "countries (e.g. rival figures anywhere) reads ~1 M triples and cannot meet 100 ms on "
    "RocksDB (≈5 µs per index lookup): that would need the build to materialise one node per "
    "rival pair with its gap (not done).",
    "- **Store layout.** The default graph is the RDF merge of the named graphs, written at load "
    "time beside them (see the load section); queries read it directly. After the bulk load the "
    "store is compacted (`Store.optimize()`), which made index lookups 1.3-2.7x faster on this "
    "graph; its cost is the optimize column. Query children open the RocksDB store read-only "
    "and, when it holds at most `MEMORY_COPY_MAX_TRIPLES` (250 000) triples, copy it into an "
    "in-memory Oxigraph store (0.1 s per child for the real dataset; lookups 4-5x faster; the "
    "copy of the 50-country graph took 22 s and 1 GB per child, so it stays on disk). The real "
    "dataset is served from such copies, the 50-country graph from RocksDB; the in-process "
    "figures use the same store as the children.",
    "- **Slow against fast.** A runaway query holds one sync worker (and its query child) until "
    "the time limit stops it, so with `WORKERS=2` the fast queries keep being answered by the "
    "other worker at about half the throughput; the runaway itself gets a 503 naming the limit. "
    "More workers (or `WORKER_THREADS` with `QUERY_PROCESSES`) shrink the share one slow query "
    "can hold.",
    "- **rdflib** runs in a child process with a per-query budget (SIGALRM); `> N s` means the "
    "query had not finished after N seconds and was abandoned. rdflib's `Dataset` with the union "
    "default graph returns each triple once, the same semantics as the merged default graph.",
]

if __name__ == "__main__":
    main()
