"""Entity-page benchmark: render time per page type in-process, and throughput over HTTP with
16 concurrent connections (wrk) against gunicorn, next to a bare Flask route in the same run.

Usage::

    python bench/pages_bench.py --dataset var/generations --label real
    python bench/pages_bench.py --dataset bench/out/bench50 --store /tmp/b/gen50 --label 50-country

``--dataset`` is either a generations folder (one with ``current``: ``migkg build``'s
``var/generations``), served as it is, or a dataset folder with ``dataset.nq``
(``bench/generate.py``), which is first published as a generation
(``service.build.generation.publish``) into the generations folder ``--store`` (kept, and
reused by a later run when its current generation already holds that dataset version; a
temporary folder, removed at the end, when ``--store`` is not given). ``--store`` is ignored
for a generations folder. The app and the servers write their state (fairshare.sqlite) into a
temporary ``STATE_DIR``.

For every page type (home, authority, law, observation, source, indicator, country, search
JSON) it picks up to ``--sample`` entities of that type from the pages catalogue and measures:

* in-process, Flask test client (the store's query child processes included):
  *cold* = every request renders (``PAGE_CACHE_SIZE=0``), *warm* = rendered responses
  memoised per dataset version (the default);
* over HTTP: ``migkg serve`` (gunicorn, ``--workers`` sync workers), wrk with 16 connections
  cycling through the sample, cold and warm, and a bare ``return "ok"`` Flask route served by
  gunicorn with the same workers, so the ratio to the bare route is machine-independent.

Prints one JSON document (medians and p95 in ms, requests/s) and a Markdown table.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from netsupport import stop_group  # noqa: E402

HTML = {"Accept": "text/html"}
KINDS = ("home", "authority", "law", "observation", "source", "indicator", "country", "search")

WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {["Accept"] = "text/html"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %f %f %d %d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.errors.status,
    summary.requests))
end
"""

BARE_APP = """
from flask import Flask
app = Flask(__name__)

@app.route("/")
def bare():
    return "ok"
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def generations_folder(dataset: Path, store: Path | None) -> Path:
    """The generations folder to serve ``dataset`` from (see the module docstring)."""
    if (dataset / "current").exists():
        return dataset
    from service.build.generation import publish

    if store is None:
        store = Path(tempfile.mkdtemp(prefix="pages-bench-generations-"))
        atexit.register(shutil.rmtree, store, ignore_errors=True)
    started = time.perf_counter()
    generation, published = publish((dataset / "dataset.nq").read_bytes(), store)
    print(
        f"{'published' if published else 'reusing'} generation {generation.name} in {store}"
        + (f" ({time.perf_counter() - started:.0f} s)" if published else ""),
        file=sys.stderr,
        flush=True,
    )
    return store


def _state_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="pages-bench-state-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _close(app) -> None:
    app.extensions["kg_current"].close()
    app.extensions["kg_engine"].close()


def sample_paths(app, size: int) -> dict[str, list[str]]:
    from service.iris import IriScheme
    from service.namespaces import MIG
    from service.web.pages import get_catalog

    with app.test_request_context("/"):
        catalog = get_catalog()
    scheme = IriScheme()
    by_kind = catalog.by_kind

    def pick(iris):
        step = max(1, len(iris) // size)
        return [scheme.page_url(i) for i in iris[::step][:size]]

    indicators = [
        i for i in by_kind.get("indicator", []) if MIG + "Indicator" in catalog.types.get(i, ())
    ]
    words = [
        "stat kz",
        "refugees",
        "committee",
        "migration",
        "kazakhstan",
        "law",
        "unhcr",
        "population",
        "labour",
        "border",
    ]
    return {
        "home": ["/"],
        "authority": pick(by_kind.get("authority", [])),
        "law": pick([i for i in by_kind.get("law", []) if not i.endswith("/en")]),
        "observation": pick(by_kind.get("observation", [])),
        "source": pick(by_kind.get("source", [])),
        "indicator": pick(indicators),
        "country": [scheme.page_url(i) for i in catalog.countries[:size]],
        "search": [f"/search.json?q={w.replace(' ', '+')}" for w in words],
    }


def in_process(generations: Path, size: int) -> tuple[dict, dict[str, list[str]]]:
    from service import create_app

    results: dict[str, dict] = {}
    state = _state_dir()
    cold_app = create_app(
        {
            "GENERATIONS_DIR": str(generations),
            "STATE_DIR": str(state),
            "ACCESS_LOG": False,
            "PAGE_CACHE_SIZE": 0,
        }
    )
    started = time.perf_counter()
    paths = sample_paths(cold_app, size)
    catalog_seconds = time.perf_counter() - started
    client = cold_app.test_client()
    for kind in KINDS:
        times = []
        for path in paths[kind]:
            for _ in range(3 if kind in ("home", "search") else 1):
                t0 = time.perf_counter()
                response = client.get(path, headers=HTML)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (path, response.status_code)
        results[kind] = {
            "n": len(times),
            "cold_median_ms": round(statistics.median(times), 2),
            "cold_p95_ms": round(_percentile(times, 0.95), 2),
        }
    _close(cold_app)
    warm_app = create_app(
        {"GENERATIONS_DIR": str(generations), "STATE_DIR": str(state), "ACCESS_LOG": False}
    )
    client = warm_app.test_client()
    for kind in KINDS:
        for path in paths[kind]:
            client.get(path, headers=HTML)
        times = []
        for _ in range(5):
            for path in paths[kind]:
                t0 = time.perf_counter()
                client.get(path, headers=HTML)
                times.append((time.perf_counter() - t0) * 1000)
        results[kind].update(
            warm_median_ms=round(statistics.median(times), 3),
            warm_p95_ms=round(_percentile(times, 0.95), 3),
        )
    _close(warm_app)
    results["_catalog_seconds"] = round(catalog_seconds, 2)
    return results, paths


def _wait(url: str, process, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} not ready")


def _stop(process) -> None:
    stop_group(process)


def wrk(
    url: str, paths: list[str], seconds: int, workdir: Path, script_text: str = WRK_SCRIPT
) -> dict:
    """wrk (2 threads, 16 connections) running ``script_text`` over ``paths`` (the file named by
    PATHS_FILE); the script prints ``RESULT rps p50 p95 errors requests``."""
    script = workdir / "requests.lua"
    script.write_text(script_text, encoding="utf-8")
    listing = workdir / "paths.txt"
    listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
    env = dict(os.environ, PATHS_FILE=str(listing), WRK_THREADS="2")
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 60,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT"))
    rps, p50, p95, errors, total = line.split()[1:]
    return {
        "rps": round(float(rps)),
        "median_ms": round(float(p50), 2),
        "p95_ms": round(float(p95), 2),
        "non_2xx": int(errors),
        "requests": int(total),
    }


def single_pages(generations: Path, pages: list[str]) -> dict:
    """Cold in-process render time (median of 7 after one warm-up) and size of given pages."""
    from service import create_app

    app = create_app(
        {
            "GENERATIONS_DIR": str(generations),
            "STATE_DIR": str(_state_dir()),
            "ACCESS_LOG": False,
            "PAGE_CACHE_SIZE": 0,
        }
    )
    client = app.test_client()
    results = {}
    for path in pages:
        client.get(path, headers=HTML)
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            response = client.get(path, headers=HTML)
            times.append((time.perf_counter() - t0) * 1000)
        results[path] = {
            "status": response.status_code,
            "bytes": len(response.data),
            "cold_median_ms": round(statistics.median(times), 2),
        }
    _close(app)
    return results


def over_http(generations: Path, paths: dict[str, list[str]], workers: int, seconds: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    results: dict[str, dict] = {}
    try:
        port = _free_port()
        (workdir / "bare.py").write_text(BARE_APP, encoding="utf-8")
        bare = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "bare:app",
            ],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait(f"http://127.0.0.1:{port}/", bare)
            results["bare_flask"] = wrk(f"http://127.0.0.1:{port}", ["/"], seconds, workdir)
        finally:
            _stop(bare)
        for label, cache in (("warm", "2048"), ("cold", "0")):
            port = _free_port()
            env = dict(
                os.environ,
                MIGKG_GENERATIONS_DIR=str(generations),
                MIGKG_STATE_DIR=str(workdir / f"state-{label}"),
                MIGKG_PORT=str(port),
                MIGKG_WORKERS=str(workers),
                MIGKG_ACCESS_LOG="0",
                MIGKG_PAGE_CACHE_SIZE=cache,
            )
            server = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                _wait(base + "/healthz", server)
                for _ in range(workers * 2):  # every worker builds its catalogue
                    _wait(base + "/", server)
                # warm-up: catalogue, memo, query children. Each worker memoises for itself
                # and the kernel hands connections to whichever accepts first, so the warm
                # run asks for every path several times per worker first.
                rounds = workers * 4 if label == "warm" else 1
                for kind in KINDS:
                    for _ in range(rounds):
                        for path in paths[kind]:
                            urllib.request.urlopen(
                                urllib.request.Request(base + path, headers=HTML), timeout=120
                            ).read()
                    results.setdefault(kind, {})[label] = wrk(base, paths[kind], seconds, workdir)
            finally:
                _stop(server)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def table(label: str, local: dict, http: dict) -> str:
    bare = http["bare_flask"]["rps"]
    lines = [
        f"| page ({label}) | in-process cold median / p95 ms | in-process warm median ms | "
        f"HTTP cold req/s (median ms) | HTTP warm req/s (median / p95 ms) | warm / bare |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind in KINDS:
        lp, hp = local[kind], http[kind]
        lines.append(
            f"| {kind} (n={lp['n']}) | {lp['cold_median_ms']} / {lp['cold_p95_ms']} | "
            f"{lp['warm_median_ms']} | {hp['cold']['rps']} ({hp['cold']['median_ms']}) | "
            f"{hp['warm']['rps']} ({hp['warm']['median_ms']} / {hp['warm']['p95_ms']}) | "
            f"{hp['warm']['rps'] / bare:.2f} |"
        )
    lines.append(
        f"| bare Flask route | | | | {bare} ({http['bare_flask']['median_ms']} / "
        f"{http['bare_flask']['p95_ms']}) | 1.00 |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dataset",
        type=Path,
        required=True,
        help="a generations folder (has current), or a dataset folder with dataset.nq",
    )
    parser.add_argument(
        "--store",
        type=Path,
        help="for a dataset folder: the generations folder to publish it into (default: a "
        "temporary one); ignored for a generations folder",
    )
    parser.add_argument("--label", default="dataset")
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument(
        "--pages",
        nargs="+",
        metavar="PATH",
        help="only these pages: cold in-process median of 7 and size, no HTTP",
    )
    args = parser.parse_args()
    generations = generations_folder(args.dataset, args.store)
    if args.pages:
        print(json.dumps(single_pages(generations, args.pages), indent=2))
        return
    local, paths = in_process(generations, args.sample)
    http = over_http(generations, paths, args.workers, args.seconds)
    print(json.dumps({"label": args.label, "in_process": local, "http": http}, indent=2))
    print(table(args.label, local, http))


if __name__ == "__main__":
    main()
