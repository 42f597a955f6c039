"""Load time of the embedded store, split into its steps, for the datasets bench/run.py made.

    python bench/load_bench.py            # bench/out/{real,bench1m,bench50}, 3 runs each

Each dataset is a folder with ``dataset.nq`` (``bench/generate.py``) or a generations folder
(``migkg build --out``, as bench/run.py makes ``bench/out/real``), whose current generation's
N-Quads dump (``dumps/dataset.nq.gz``, the very bytes the build loaded) is used. "real" falls
back to ``var/generations`` (``migkg build``) when ``bench/out/real`` holds no dataset.

Measures ``service.build.store_loader.load_store`` on the dataset's N-Quads (what the build
does for a generation: bulk load, the default graph written as the merge of the named graphs,
optimize, statistics) and, in the same run, the bulk load alone as the baseline, so the cost of
the merge shows as a ratio. The N-Quads are read into memory before the clock starts
(``load_store`` takes bytes, as the build hands them over), so peak RSS, the child process's
``ru_maxrss``, includes them.
"""

from __future__ import annotations

import gzip
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


def _nquads(dataset: Path) -> bytes:
    """The N-Quads of a dataset folder (``dataset.nq``) or of a generations folder's current
    generation (its N-Quads dump)."""
    if (dataset / "dataset.nq").is_file():
        return (dataset / "dataset.nq").read_bytes()
    return gzip.decompress((dataset / "current" / "dumps" / "dataset.nq.gz").read_bytes())


def _has_dataset(dataset: Path) -> bool:
    return (dataset / "dataset.nq").is_file() or (
        dataset / "current" / "dumps" / "dataset.nq.gz"
    ).is_file()


def _full(dataset: str, out) -> None:
    from service.build.store_loader import load_store

    nquads = _nquads(Path(dataset))
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        store, meta = load_store(nquads, Path(work) / "store")
        total = time.perf_counter() - started
        del store
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

    nquads = Path(dataset) / "dataset.nq"
    source = {"path": str(nquads)} if nquads.is_file() else {"input": _nquads(Path(dataset))}
    with tempfile.TemporaryDirectory() as store_dir:
        started = time.perf_counter()
        store = ox.Store(store_dir + "/db")
        store.bulk_load(**source, format=ox.RdfFormat.N_QUADS)
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
        if name == "real" and not _has_dataset(dataset):
            dataset = ROOT / "var" / "generations"
        if not _has_dataset(dataset):
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
