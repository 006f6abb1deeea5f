"""Memory of one long-lived worker process: RSS after a warm-up and after 200 more runs, and the growth per run.

    .venv/bin/python -m bench.worker_memory [--runs 200] [--warmup 10] [--epochs 2] [--hidden 64]

A Celery pool process trains run after run until `worker_max_memory_per_child` replaces it; whatever one run
leaves behind accumulates. This benchmark calls the Celery task function `worker.tasks.train_run` in this one
process (the body a pool process runs, store lookup included, without the broker) on distinct configs of one
dataset and split (mnist-5k, learning rates apart), storing every epoch and a checkpoint every epoch in a
temporary SQLite store. RSS is read from /proc after a full garbage collection. Also printed: how often the
dataset cache prepared data (1 = reused by every run), live Python objects and threads, so a leak shows where.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import threading
import time
from pathlib import Path


def rss_mib() -> float:
    """Resident set size of this process, MiB (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure() -> tuple[float, int, int]:
    gc.collect()
    return rss_mib(), len(gc.get_objects()), threading.active_count()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_memory", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs measured after the warm-up")
    parser.add_argument("--warmup", type=int, default=10, help="runs before the first measurement")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--hidden", default="64", help="comma-separated widths")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mnistq-memory-") as workdir:
        run(args, Path(workdir))
        from db import dispose_engines

        dispose_engines()


def run(args: argparse.Namespace, workdir: Path) -> None:
    """Store the sweep in a SQLite store under `workdir`, train it run by run, print the figures."""
    os.environ["MNISTQ_DATABASE_URL"] = f"sqlite:///{workdir / 'store.db'}"
    os.environ["MNISTQ_CHECKPOINT_EVERY"] = "1"  # exercise every write path of a run
    os.environ.setdefault("MNISTQ_BLAS_THREADS", "1")

    from db import open_store, session_scope
    from scheduler.spec import load_spec
    from scheduler.submit import store_sweep
    from worker.blas import apply_blas_threads
    from worker.datacache import PROCESS_CACHE
    from worker.tasks import train_run

    apply_blas_threads()
    total = args.warmup + args.runs
    rates = ", ".join(f"{0.01 + i * 1e-4:.4f}" for i in range(total))
    spec = workdir / "memory.toml"
    spec.write_text(
        f'name = "memory"\n[fixed]\ndataset = "mnist-5k"\nepochs = {args.epochs}\nhidden = [{args.hidden}]\n'
        f"[grid]\nlearning_rate = [{rates}]\n"
    )
    with session_scope(open_store(create=True)) as session:
        run_ids = [run_id for run_id, _ in store_sweep(session, load_spec(spec)).to_train]

    start = measure()
    print(f"process start (store open, modules imported): RSS {start[0]:.1f} MiB")
    for run_id in run_ids[: args.warmup]:
        assert train_run(run_id) == "completed"
    warm = measure()
    began = time.perf_counter()
    checkpoints = {}
    for done, run_id in enumerate(run_ids[args.warmup :], 1):
        assert train_run(run_id) == "completed"
        if done % 50 == 0 or done == args.runs:
            checkpoints[done] = measure()[0]
    elapsed = time.perf_counter() - began
    end = measure()

    growth_kib = (end[0] - warm[0]) * 1024 / args.runs
    print(f"{args.warmup} warm-up runs, then {args.runs} runs of {args.epochs} epochs, 784-{args.hidden}-10 "
          f"({elapsed / args.runs:.2f} s per run)")
    print(f"RSS after warm-up:        {warm[0]:8.1f} MiB")
    print(f"RSS after {args.runs} runs:     {end[0]:8.1f} MiB")
    print("RSS along the way:        " + ", ".join(f"{n}: {rss:.1f}" for n, rss in checkpoints.items()))
    print(f"growth per run:           {growth_kib:8.1f} KiB")
    print(f"live Python objects:      {warm[1]} -> {end[1]} ({(end[1] - warm[1]) / args.runs:+.1f} per run)")
    print(f"threads:                  {warm[2]} -> {end[2]}")
    print(f"dataset preparations:     {PROCESS_CACHE.loads} for {total} runs")


if __name__ == "__main__":
    main()
