"""`make bench` / `python -m bench`: every benchmark, one after another, each printing its anchor ratio.

    python -m bench [NAME ...]     # names: train_throughput db_queries sweep report_scale worker_memory scaling halving ui

Run it on an otherwise idle machine: the figures are wall-clock and the anchors share the same run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

BENCHMARKS = (
    "train_throughput", "db_queries", "sweep", "report_scale", "worker_memory", "scaling", "halving", "ui",
)


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}: expected {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        print(f"\n=== bench.{name} (load average {os.getloadavg()[0]:.2f}) ===", flush=True)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", f"bench.{name}"])
        print(f"=== bench.{name}: {time.perf_counter() - start:.0f} s, exit {done.returncode} ===", flush=True)
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
