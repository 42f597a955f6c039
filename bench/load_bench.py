"""Load time of the embedded store, split into its steps, for the datasets bench/run.py made.

    python bench/load_bench.py            # bench/out/{real,bench1m,bench50}, 3 runs each

Measures ``service.store.load_dataset`` end to end (bulk load of dataset.nq, the default
graph written as the merge of the named graphs, optimize, statistics) and, in the same run,
the bulk load alone as the baseline, so the cost of the merge shows as a ratio. Peak RSS is
the child process's ``ru_maxrss``.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _full(dataset: str, out) -> None:
    from service.store.embedded import load_dataset

    with tempfile.TemporaryDirectory() as store_dir:
        started = time.perf_counter()
        meta = load_dataset(dataset, store_dir)
        total = time.perf_counter() - started
    out.put(
        {
            "total": total,
            "load": meta["load_seconds"],
            "optimize": meta["optimize_seconds"],
            "statistics": meta["statistics_seconds"],
            "triples": meta["triples"],
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def _bulk_only(dataset: str, out) -> None:
    import pyoxigraph as ox

    with tempfile.TemporaryDirectory() as store_dir:
        started = time.perf_counter()
        store = ox.Store(store_dir + "/db")
        store.bulk_load(path=str(Path(dataset) / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
        store.flush()
        out.put({"bulk": time.perf_counter() - started})


def run(target, dataset: str) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(dataset, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    rows = []
    for name in ("real", "bench1m", "bench50"):
        dataset = ROOT / "bench" / "out" / name
        if not (dataset / "dataset.nq").is_file():
            continue
        fulls = [run(_full, str(dataset)) for _ in range(3)]
        bulks = [run(_bulk_only, str(dataset)) for _ in range(3)]

        def med(key, items):
            return statistics.median(r[key] for r in items)

        rows.append(
            {
                "dataset": name,
                "triples": fulls[0]["triples"],
                "bulk_only": med("bulk", bulks),
                "load_with_merge": med("load", fulls),
                "optimize": med("optimize", fulls),
                "statistics": med("statistics", fulls),
                "total": med("total", fulls),
                "rss_mb": max(r["rss_mb"] for r in fulls),
            }
        )
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
