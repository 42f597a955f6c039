"""Generations benchmark (issue 11): what a fresh worker's first request costs, and how many
distinct pages a crawler gets per second with the page memo off, against a baseline.

Usage::

    python bench/generate.py --real var/generations --out bench/out/bench50
    python bench/generation_bench.py --dataset bench/out/bench50 [--baseline 1ade710]

Both are measured on the same dataset in the same run for this checkout and, with
``--baseline REV``, for an earlier commit checked out with ``git worktree`` (its own
``migkg serve``, its own way of loading the data):

* **first request**: ``migkg serve`` with the shipped defaults except one gunicorn worker (so
  that "the first request" is the fresh worker's) and the page memo off (so that a later
  request of the same kind renders too), access log on. Once gunicorn logs the
  worker's boot and ``--settle`` seconds have passed (its app factory has returned; no request
  is sent before), one request of a kind (an observation page, a country page,
  ``/search.json``, a SPARQL ASK) is timed, then 20 more of the same kind; repeated over
  ``--restarts`` fresh servers. Reported: the first request's median and maximum and the later
  ones' median, per kind.
* **crawler, cold**: ``PAGE_CACHE_SIZE=0`` (every page rendered), shipped defaults otherwise
  (2 workers, access log on); wrk with 16 connections over the list of every observation,
  authority, law and indicator page, shuffled once with a fixed seed, each URL requested at
  most once (the run ends before the list does). Reported: pages/s, median and p95 latency,
  non-2xx count.

Prints one JSON document; ``--markdown`` also prints the table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
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
sys.path.insert(0, str(ROOT / "bench"))

from netsupport import free_port, stop_group  # noqa: E402
from pages_bench import wrk  # noqa: E402

WRK_ONCE = """
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
local counter = 0
local thread_id = 0
local threads = tonumber(os.getenv("WRK_THREADS"))
setup = function(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end
local i = 0
request = function()
  -- thread t takes URLs t+1, t+1+threads, ...: every URL at most once across threads
  local index = (i * threads) + thread_id + 1
  i = i + 1
  if index > #paths then index = ((index - 1) % #paths) + 1 end
  return wrk.format("GET", paths[index], {["Accept"] = "text/html"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %f %f %d %d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    summary.requests))
end
"""


def _wait_booted(
    log: Path,
    process,
    workers: int,
    settle: float,
    timeout: float = 600,
    marker: str = "Booting worker",
) -> None:
    """Wait until ``workers`` workers have logged ``marker`` (booted; or, with "warmed through
    gunicorn", done with their warm-up and about to take connections), then ``settle`` seconds,
    without sending a request (which would be the first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        if log.read_text(errors="replace").count(marker) >= workers:
            time.sleep(settle)
            return
        time.sleep(0.05)
    raise RuntimeError("server not booted")


def _get(url: str, accept: str = "text/html") -> float:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=600) as response:
        response.read()
        assert response.status == 200, (url, response.status)
    return (time.perf_counter() - started) * 1000


class Checkout:
    """A way to serve the dataset: this checkout (generations) or a baseline commit."""

    def __init__(
        self, label: str, root: Path, env: dict[str, str], ready_marker: str = "Booting worker"
    ):
        self.label, self.root, self.env = label, root, env
        self.ready_marker = ready_marker  # the log line of a worker ready for its first request

    def serve(self, port: int, log: Path, **settings) -> subprocess.Popen:
        env = dict(os.environ, **self.env, MIGKG_PORT=str(port), MIGKG_HOST="127.0.0.1")
        env.update({f"MIGKG_{k}": str(v) for k, v in settings.items()})
        with open(log, "wb") as handle:
            return subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve"],
                cwd=self.root,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


def current_checkout(
    dataset: Path, workdir: Path, generations: Path | None = None
) -> tuple[Checkout, dict]:
    from service.build.generation import publish

    if generations is not None:  # published before (by this checkout's build)
        env = {"MIGKG_GENERATIONS_DIR": str(generations), "MIGKG_STATE_DIR": str(workdir / "state")}
        return Checkout("this checkout", ROOT, env, "warmed through gunicorn"), {
            "published_before": str(generations)
        }
    root = workdir / "generations"
    started = time.perf_counter()
    generation, _ = publish((dataset / "dataset.nq").read_bytes(), root)
    seconds = time.perf_counter() - started
    env = {"MIGKG_GENERATIONS_DIR": str(root), "MIGKG_STATE_DIR": str(workdir / "state")}
    return Checkout("this checkout", ROOT, env, "warmed through gunicorn"), {
        "publish_seconds": round(seconds, 1),
        "triples": generation.meta["triples"],
        "catalogue": generation.meta["catalogue"],
    }


def baseline_checkout(revision: str, dataset: Path, workdir: Path) -> Checkout:
    tree = workdir / "baseline"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(tree), revision],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    if (tree / "service" / "build" / "generation.py").is_file():
        # a commit that serves generations: published by its own build code
        root = workdir / "baseline-generations"
        script = (
            "import sys; from pathlib import Path; "
            "from service.build.generation import publish; "
            f"publish(Path({str(dataset.resolve() / 'dataset.nq')!r}).read_bytes(), "
            f"Path({str(root)!r}))"
        )
        subprocess.run([sys.executable, "-c", script], cwd=tree, check=True)
        env = {
            "MIGKG_GENERATIONS_DIR": str(root),
            "MIGKG_STATE_DIR": str(workdir / "baseline-state"),
        }
        warmed = (tree / "service" / "web" / "warmup.py").is_file()
        marker = "warmed through gunicorn" if warmed else "Booting worker"
        return Checkout(f"baseline {revision}", tree, env, marker)
    env = {
        "MIGKG_DATASET_DIR": str(dataset),
        "MIGKG_STORE_DIR": str(workdir / "baseline-store"),
        "MIGKG_DOWNLOADS_DIR": str(workdir / "baseline-downloads"),
    }
    return Checkout(f"baseline {revision}", tree, env)


def paths_for(dataset: Path) -> dict[str, list[str]]:
    """Page paths by kind, from the dataset's typed subjects (no server needed)."""
    from service.iris import IriScheme

    scheme = IriScheme()
    kinds: dict[str, set[str]] = {}
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    with open(dataset / "dataset.nq", encoding="utf-8") as handle:
        for line in handle:
            if f" {rdf_type} " not in line or not line.startswith("<"):
                continue
            iri = line[1 : line.index(">")]
            kind = scheme.kind(iri)
            if kind in ("observation", "authority", "law", "indicator", "area"):
                kinds.setdefault(kind, set()).add(scheme.page_url(iri))
    return {kind: sorted(found) for kind, found in kinds.items()}


def first_requests(
    checkout: Checkout, paths: dict[str, list[str]], restarts: int, workdir: Path, settle: float
) -> dict:
    rng = random.Random(11)
    kinds = {
        "observation page": lambda: (rng.choice(paths["observation"]), "text/html"),
        "country page": lambda: ("/id/area/kz", "text/html"),
        "search.json": lambda: ("/search.json?q=migration", "application/json"),
        "SPARQL ASK": lambda: (
            "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D",
            "application/sparql-results+json",
        ),
    }
    results: dict[str, dict] = {}
    for kind, pick in kinds.items():
        firsts, idle_laters, laters = [], [], []
        for _ in range(restarts):
            port = free_port()
            log = workdir / "first.log"
            process = checkout.serve(port, log, WORKERS=1, PAGE_CACHE_SIZE=0)
            try:
                _wait_booted(log, process, 1, settle, marker=checkout.ready_marker)
                url = f"http://127.0.0.1:{port}"
                path, accept = pick()
                firsts.append(_get(url + path, accept))
                # the same kind again after the same idle time: this machine pages out memory
                # left idle (DAMON reclaim), so any request after seconds of idle costs more
                time.sleep(settle)
                path, accept = pick()
                idle_laters.append(_get(url + path, accept))
                for _ in range(20):
                    path, accept = pick()
                    laters.append(_get(url + path, accept))
            finally:
                stop_group(process, timeout=30)
        results[kind] = {
            "first_median_ms": round(statistics.median(firsts), 1),
            "first_max_ms": round(max(firsts), 1),
            "later_after_idle_median_ms": round(statistics.median(idle_laters), 1),
            "later_median_ms": round(statistics.median(laters), 1),
        }
    return results


def crawl(checkout: Checkout, urls: list[str], seconds: int, workdir: Path, **settings) -> dict:
    port = free_port()
    log = workdir / "crawl.log"
    process = checkout.serve(port, log, PAGE_CACHE_SIZE=0, **settings)
    try:
        _wait_booted(log, process, 2, 5.0)
        deadline = time.monotonic() + 300
        while True:  # ready: both workers answer /healthz (a readiness probe, as in production)
            try:
                _get(f"http://127.0.0.1:{port}/healthz", "application/json")
                _get(f"http://127.0.0.1:{port}/healthz", "application/json")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        result = wrk(f"http://127.0.0.1:{port}", urls, seconds, workdir, WRK_ONCE)
        return {
            "pages_per_s": result["rps"],
            "median_ms": round(result["median_ms"], 1),
            "p95_ms": round(result["p95_ms"], 1),
            "errors": result["non_2xx"],
            "requests": result["requests"],
            "distinct_urls": len(urls),
        }
    finally:
        stop_group(process, timeout=30)


def markdown(report: dict) -> str:
    lines = [
        "| | " + " | ".join(r["label"] for r in report["runs"]) + " |",
        "|---|" + "---:|" * len(report["runs"]),
    ]
    kinds = list(report["runs"][0].get("first_request", {}))
    for kind in kinds:
        cells = [
            f"{r['first_request'][kind]['first_median_ms']} ms (later, after the same idle: "
            f"{r['first_request'][kind]['later_after_idle_median_ms']} ms; back to back: "
            f"{r['first_request'][kind]['later_median_ms']} ms)"
            for r in report["runs"]
        ]
        lines.append(f"| first request: {kind} | " + " | ".join(cells) + " |")
    if any("crawl" not in r for r in report["runs"]):
        return "\n".join(lines)
    cells = [
        f"{r['crawl']['pages_per_s']} pages/s (median {r['crawl']['median_ms']} ms, "
        f"p95 {r['crawl']['p95_ms']} ms, {r['crawl']['errors']} errors)"
        for r in report["runs"]
    ]
    lines.append("| crawler, memo off, 16 connections | " + " | ".join(cells) + " |")
    for r in report["runs"]:
        if "crawl_live" in r:
            live = r["crawl_live"]
            lines.append(
                f"| crawler, same, `PAGE_MATERIALISED=0` ({r['label']}) | "
                f"{live['pages_per_s']} pages/s (median {live['median_ms']} ms, "
                f"p95 {live['p95_ms']} ms, {live['errors']} errors) |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, required=True, help="folder with dataset.nq")
    parser.add_argument("--baseline", default=None, help="a commit to measure the same way")
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds after a worker boots, before the first request",
    )
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--no-crawl", action="store_true", help="first requests only")
    parser.add_argument("--no-first", action="store_true", help="the crawler only")
    parser.add_argument(
        "--generations",
        type=Path,
        default=None,
        help="a generations folder this checkout published before (no new publication)",
    )
    parser.add_argument(
        "--compare-live",
        action="store_true",
        help="also crawl with PAGE_MATERIALISED=0 (observation pages ask the store)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="generation-bench-"))
    report: dict = {"dataset": str(args.dataset), "runs": []}
    try:
        checkout, published = current_checkout(args.dataset, workdir, args.generations)
        report["publish"] = published
        checkouts = [checkout]
        if args.baseline:
            checkouts.append(baseline_checkout(args.baseline, args.dataset, workdir))
        paths = paths_for(args.dataset)
        urls = [
            u for k in ("observation", "authority", "law", "indicator") for u in paths.get(k, [])
        ]
        random.Random(2024).shuffle(urls)
        report["pages"] = {k: len(v) for k, v in paths.items()}
        for item in checkouts:
            run = {"label": item.label}
            if not args.no_crawl:
                run["crawl"] = crawl(item, urls, args.seconds, workdir)
                if args.compare_live and item is checkout:
                    run["crawl_live"] = crawl(
                        item, urls, args.seconds, workdir, PAGE_MATERIALISED=0
                    )
            if not args.no_first:
                run["first_request"] = first_requests(
                    item, paths, args.restarts, workdir, args.settle
                )
            report["runs"].append(run)
            print(json.dumps(run), file=sys.stderr, flush=True)
    finally:
        if args.baseline:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(workdir / "baseline")],
                cwd=ROOT,
                capture_output=True,
            )
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2))
    if args.markdown:
        print(markdown(report))


if __name__ == "__main__":
    main()
