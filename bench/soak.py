"""Load held over time, abuse and faults: the reliability figures of bench/RESULTS.md.

    .venv/bin/python bench/soak.py [--seconds 300] [--clients 16] [--write]

Builds the real dataset (``migkg build`` into a temporary generations folder), starts
``migkg serve`` on it as users run it (defaults: 2 gthread workers, access log on; its
STATE_DIR in the same temporary folder) on a loopback port, and drives it with the researcher
mix (example queries, entity pages as HTML and Turtle, search, downloads) from ``--clients``
well-behaved clients, each from its own loopback address (127.0.0.2, ...), each one request at
a time:

1. capacity: 20 s closed loop (as fast as the clients go) -> requests per second;
2. soak at 70 % of that rate, paced per client, for ``--seconds`` (default 300), in thirds:
   clean; abuse (one more client, 127.0.0.99, sending runaway queries in a loop, four at a time); faults
   (kill -9 of a query child, of a gunicorn worker, and a dataset switch: a new generation of
   the same dataset published under the running server, which switches to it, thirty seconds
   apart).

With ``--proxy`` the clients go through nginx with the reference configuration
(``deploy/nginx/migkg.conf``: a read lost with its worker is sent again) and the server trusts
it for ``X-Forwarded-For``.

Reported: error count (5xx or no answer) of the well-behaved clients per phase and around
each fault, their p50/p99 per 30 s, the abuser's statuses, and the RSS of every server process
at the start and the end. Latency is measured from when a request was sent (a late request
is sent at once, not skipped). The load generator runs on the same 2 cores as the server.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import requests  # noqa: E402
from netsupport import (  # noqa: E402
    Nginx,
    children_of,
    client_address,
    command_of,
    free_port,  # noqa: E402
    session_from,
)

OUT = ROOT / "bench" / "out"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SEARCHES = [
    "migration",
    "refugee",
    "Kazakhstan",
    "law",
    "ministry",
    "STAT KZ",
    "oralman",
    "permit",
    "Russia",
    "labour",
    "population",
    "border",
    "asylum",
    "UN DESA",
]


def process_tree(root: int) -> list[int]:
    children = children_of()
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def rss_mb(pid: int) -> float | None:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Server:
    def __init__(self, generations: Path, workdir: Path, proxy: bool = False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.generations = generations
        env = {
            **os.environ,
            "MIGKG_GENERATIONS_DIR": str(generations),
            "MIGKG_STATE_DIR": str(workdir / "state"),
            "MIGKG_PORT": str(self.port),
            "MIGKG_HOST": "127.0.0.1",
            **({"MIGKG_TRUSTED_PROXIES": "127.0.0.1"} if proxy else {}),
        }
        self.log = open(workdir / "server.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(300):
            try:
                if requests.get(self.url + "healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        self.proxy = (
            Nginx(f"127.0.0.1:{self.port}", free_port(), workdir / "nginx") if proxy else None
        )
        if self.proxy:
            self.url = self.proxy.url  # the clients go through nginx

    def processes(self) -> dict[str, list[int]]:
        tree = process_tree(self.process.pid)
        kinds = {
            "master": [self.process.pid],
            "workers": [],
            "query children": [],
            "resource trackers": [],
        }
        for pid in tree[1:]:
            line = command_of(pid)
            kind = (
                "resource trackers"
                if "resource_tracker" in line
                else "query children"
                if "multiprocessing" in line
                else "workers"
            )
            kinds[kind].append(pid)
        return kinds

    def stop(self) -> None:
        if self.proxy:
            self.proxy.stop()
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def mix(server: Server) -> list[tuple[str, str, dict]]:
    """(kind, url, headers) requests of the researcher mix."""
    from service.web.sparql import load_examples

    examples = [e for e in load_examples() if "SERVICE" not in e.query.upper()]
    rows = requests.get(
        server.url + "sparql",
        params={
            "query": (
                "SELECT DISTINCT ?s WHERE { ?s a ?t FILTER(STRSTARTS(STR(?s), 'https://w3id.org/migkg/id/')) }"
            )
        },
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    ).json()
    entities = [
        b["s"]["value"][len("https://w3id.org/migkg/") :] for b in rows["results"]["bindings"]
    ]
    items = []
    for e in examples:
        items.append(
            (
                "example",
                server.url + "sparql?" + requests.compat.urlencode({"query": e.query}),
                {"Accept": "application/sparql-results+json, text/turtle;q=0.9"},
            )
        )
    rnd = random.Random(7)
    for path in rnd.sample(entities, min(400, len(entities))):
        items.append(("page-html", server.url + path, {"Accept": "text/html"}))
        items.append(("page-turtle", server.url + path, {"Accept": "text/turtle"}))
    for term in SEARCHES:
        items.append(
            ("search", server.url + "search.json?" + requests.compat.urlencode({"q": term}), {})
        )
    for name in ("SHA256SUMS", "links.nt.gz"):
        items.append(("download", server.url + "downloads/" + name, {}))
    return items


def weighted(items, rnd: random.Random):
    by_kind: dict[str, list] = {}
    for item in items:
        by_kind.setdefault(item[0], []).append(item)
    weights = {"page-html": 30, "page-turtle": 20, "example": 20, "search": 20, "download": 10}
    kinds = list(weights)
    while True:
        kind = rnd.choices(kinds, [weights[k] for k in kinds])[0]
        yield rnd.choice(by_kind[kind])


def client_loop(n: int, items, stop_at: float, rate: float | None, records: list, t0: float):
    session = session_from(client_address(n))
    rnd = random.Random(n)
    source = weighted(items, rnd)
    k = 0
    while True:
        if rate:
            due = t0 + k / rate + n / (rate * 16)
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
        start = time.monotonic()
        if start >= stop_at:
            return
        kind, url, headers = next(source)
        try:
            status = session.get(url, headers=headers, timeout=60).status_code
        except requests.RequestException:
            status = 0
        records.append((start - t0, time.monotonic() - start, status, kind))
        k += 1


def abuser_loop(stop_at: float, records: list, t0: float, url: str):
    session = session_from("127.0.0.99")
    while time.monotonic() < stop_at:
        start = time.monotonic()
        try:
            status = session.get(url, params={"query": RUNAWAY}, timeout=60).status_code
        except requests.RequestException:
            status = 0
        records.append((start - t0, time.monotonic() - start, status))
        if status == 429:
            time.sleep(0.2)


def run_clients(items, clients: int, seconds: float, rate: float | None) -> list:
    records: list = []
    t0 = time.monotonic()
    threads = [
        threading.Thread(
            target=client_loop, args=(n, items, t0 + seconds, rate and rate / clients, records, t0)
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    return records, threads, t0


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--write", action="store_true", help="write the table into RESULTS.md")
    parser.add_argument(
        "--proxy",
        action="store_true",
        help="run through nginx with deploy/nginx/migkg.conf in front",
    )
    args = parser.parse_args()
    from service.build.generation import build_generation, publish
    from service.config import load_config

    work = Path(tempfile.mkdtemp(prefix="migkg-soak-"))
    generations = work / "generations"
    built = build_generation(load_config({"GENERATIONS_DIR": str(generations)}, environ={}))
    server = Server(generations, work, proxy=args.proxy)
    try:
        items = mix(server)
        records, threads, _ = run_clients(items, args.clients, 20, None)
        for thread in threads:
            thread.join()
        ok = [r for r in records if r[0] >= 5]
        capacity = len(ok) / 15
        print(f"capacity (closed loop, {args.clients} clients): {capacity:.0f} req/s", flush=True)
        rate = 0.7 * capacity
        start_rss = {
            kind: [(pid, rss_mb(pid)) for pid in pids] for kind, pids in server.processes().items()
        }
        records, threads, t0 = run_clients(items, args.clients, args.seconds, rate)
        third = args.seconds / 3
        abuse: list = []
        time.sleep(third)
        abusers = [
            threading.Thread(
                target=abuser_loop, args=(t0 + 2 * third, abuse, t0, server.url + "sparql")
            )
            for _ in range(4)
        ]  # four at a time, from one address
        for abuser in abusers:
            abuser.start()
        time.sleep(third + 10)
        faults = []
        procs = server.processes()
        child = procs["query children"][0]
        os.kill(child, signal.SIGKILL)
        faults.append(("kill -9 of a query child", time.monotonic() - t0))
        time.sleep(30)
        worker = server.processes()["workers"][0]
        os.kill(worker, signal.SIGKILL)
        faults.append(("kill -9 of a gunicorn worker", time.monotonic() - t0))
        time.sleep(30)
        publish(
            gzip.decompress((built.generation / "dumps" / "dataset.nq.gz").read_bytes()),
            server.generations,
            force=True,
        )
        faults.append(("dataset switch (new store generation)", time.monotonic() - t0))
        for thread in threads + abusers:
            thread.join()
        end_rss = {
            kind: [(pid, rss_mb(pid)) for pid in pids] for kind, pids in server.processes().items()
        }
    finally:
        server.stop()

    def phase(lo, hi):
        chosen = [r for r in records if lo <= r[0] < hi]
        failed = [r for r in chosen if r[2] == 0 or r[2] >= 500]
        lat = [r[1] * 1000 for r in chosen]
        return len(chosen), len(failed), pct(lat, 0.5), pct(lat, 0.99)

    result = {
        "capacity_rps": capacity,
        "rate_rps": rate,
        "clients": args.clients,
        "phases": {
            name: phase(lo, hi)
            for name, lo, hi in (
                ("clean", 0, third),
                ("abuse", third, 2 * third),
                ("faults", 2 * third, args.seconds),
            )
        },
        "intervals": [(lo, *phase(lo, lo + 30)) for lo in range(0, int(args.seconds), 30)],
        "faults": [(name, at, phase(at - 2, at + 10)) for name, at in faults],
        "abuser": {
            str(s): sum(1 for r in abuse if r[2] == s) for s in sorted({r[2] for r in abuse})
        },
        "rss_start": start_rss,
        "rss_end": end_rss,
        "failed_examples": [r for r in records if r[2] == 0 or r[2] >= 500][:20],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "soak.json").write_text(json.dumps(result, indent=2))
    table = render(result, args)
    print(table)
    if args.write:
        path = ROOT / "bench" / "RESULTS.md"
        text = path.read_text()
        begin, end = "<!-- soak:begin -->", "<!-- soak:end -->"
        block = f"{begin}\n{table}\n{end}"
        text = (
            text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
            if begin in text
            else text.rstrip("\n") + "\n\n" + block + "\n"
        )
        path.write_text(text)


def render(r: dict, args) -> str:
    proxy = " --proxy" if args.proxy else ""
    lines = [
        f"Command: `.venv/bin/python bench/soak.py --seconds {args.seconds:g} --clients {args.clients}{proxy}`"
        f" ({time.strftime('%Y-%m-%d')}). Capacity of the mix (closed loop, {r['clients']} clients): "
        f"**{r['capacity_rps']:.0f} req/s**; soak at 70 %: {r['rate_rps']:.0f} req/s.",
        "",
        "| phase | requests | failed (5xx or no answer) | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, (n, failed, p50, p99) in r["phases"].items():
        lines.append(f"| {name} | {n} | {failed} | {p50:.1f} | {p99:.1f} |")
    lines += [
        "",
        "| fault | at s | requests in [-2 s, +10 s] | failed | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, at, (n, failed, _, p99) in r["faults"]:
        lines.append(f"| {name} | {at:.0f} | {n} | {failed} | {p99:.1f} |")
    lines += [
        "",
        "Per 30 s (well-behaved clients): "
        + "; ".join(
            f"{lo}-{lo + 30} s: {n} req, {failed} failed, p50 {p50:.1f} / p99 {p99:.1f} ms"
            for lo, n, failed, p50, p99 in r["intervals"]
        ),
        "",
        "Abuser (127.0.0.99, runaway queries in a loop, four at a time, during the middle third), statuses: "
        + ", ".join(f"{k}: {v}" for k, v in r["abuser"].items())
        + ".",
    ]

    def rss(block):
        return "; ".join(
            f"{kind}: " + ", ".join(f"{m:.0f}" for _, m in items if m is not None)
            for kind, items in block.items()
        )

    lines += [
        "",
        f"RSS (MB) at the start: {rss(r['rss_start'])}.",
        f"RSS (MB) at the end: {rss(r['rss_end'])} (a killed worker and child were replaced).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
