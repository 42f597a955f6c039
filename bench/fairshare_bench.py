"""Cost of one fair-share admission and release (service/web/fairshare.py), the per-query overhead
every SPARQL request pays: two short SQLite transactions on the shared state file.

    .venv/bin/python bench/fairshare_bench.py [--n 20000]

Prints the median and p99 of admit+release in microseconds, with 1 and with 8 clients, on a
file in a temporary folder (as STATE_DIR/fairshare.sqlite is).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.web.fairshare import FairShare  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fairshare-bench-"))
    for clients in (1, 8):
        fair = FairShare(folder / f"fs-{clients}.sqlite", max_concurrent=2, seconds=1e9)
        times = []
        for i in range(args.n):
            client = f"127.0.0.{2 + i % clients}"
            started = time.perf_counter()
            ticket, _ = fair.admit(client)
            fair.release(ticket, client, 0.001)
            times.append(time.perf_counter() - started)
        times.sort()
        print(
            f"{clients} client(s), {args.n} admissions: admit+release median "
            f"{statistics.median(times) * 1e6:.0f} us, p99 {times[int(len(times) * 0.99)] * 1e6:.0f} us"
        )


if __name__ == "__main__":
    main()
