"""Adaptive sweeps: ASHA and median stopping through the real queue, against the full grid and scikit-learn's
HalvingGridSearchCV, in the same run.

    .venv/bin/python -m bench.halving [--quick] [--epochs 27] [--workers 2] [--strategies grid,asha,median,sklearn]

The grid (54 configs): learning_rate {0.001, 0.01, 0.1} (hopeless, middling, good for plain SGD) x hidden
{[128], [256, 128], [512, 256]} x batch_size {16, 32, 64} x l2 {0, 1e-4}, optimizer sgd, `--epochs` epochs
(27 = 3^3: ASHA's rungs at 1, 3, 9 and 27 epochs with eta 3), seed 0, on mnist-5k (3,600 train / 400 val /
1,000 test). `--quick`: 6 small configs x 3 epochs, for the tests.

Each mnistq strategy gets a fresh scratch PostgreSQL database and a flushed Redis database (so no run is reused
from another strategy's sweep), `mnistq db upgrade`, then `--workers` separate `mnistq worker --concurrency 1`
processes of 1 BLAS thread each (bench/scaling.py's "N x 1" layout: never more BLAS threads than cores on two
workers and two cores); once they are ready the spec is submitted: no [search] table for "grid", `[search]
strategy = "asha" | "median", metric = "val_loss", min_epochs = 1, eta = 3` for the others. From the store,
per strategy: wall = submit to the last run's finished_at; epochs trained = epoch_metrics rows; the best
validation accuracy and the test accuracy of that run; utilisation = sum of task times (claimed_at, else
started_at, to finished_at) / (workers x span from the first claim to the last finish).

The anchor (bench/halving_anchor.py), run right after ASHA so that the two see the same load on a shared
machine: HalvingGridSearchCV over the same 54 configs, max_iter from 1 to `--epochs`
by factor 3, on the same train/val split, n_jobs = `--workers`, timed around `fit`; its best config is retrained
once at `--epochs` iterations outside the timing to score it on the test split.

Exit 0 when everything ran (a missed target is a figure, not a failure); non-zero when a sweep did not end,
a run failed, or a worker died.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import services
from bench.halving_anchor import AnchorResult, run_anchor
from bench.halving_report import machine, print_table, targets, where_time_goes
from bench.halving_runs import SweepResult, Task
from bench.scaling import CORES, Layout, empty_redis, mnistq, scratch_database, workers
from db import open_store, session_scope
from db.queries import list_runs, run_histories
from db.records import RunRecord
from model.config import TrainConfig

STRATEGIES = ("grid", "asha", "median")
ANCHOR = "sklearn"
SEARCH = {"metric": "val_loss", "min_epochs": 1, "eta": 3}
UNFINISHED = ("queued", "running")
# the anchor right after ASHA: the two rows a target compares see the same load on a shared machine
RUN_ORDER = ("grid", "asha", ANCHOR, "median")


@dataclass(frozen=True)
class Grid:
    """The swept axes; every other key is mnistq's default (numpy engine, relu, seed 0, val 0.1, test 0.2)."""

    learning_rate: tuple[float, ...]
    hidden: tuple[tuple[int, ...], ...]
    batch_size: tuple[int, ...]
    l2: tuple[float, ...]
    epochs: int

    @property
    def size(self) -> int:
        return len(self.learning_rate) * len(self.hidden) * len(self.batch_size) * len(self.l2)

    def spec(self, strategy: str) -> str:
        """The grid spec mnistq submits for `strategy` ("grid": no [search] table, as today's specs)."""
        lines = [
            f'name = "halving-{strategy}"',
            "[fixed]",
            'engine = "numpy"',
            'dataset = "mnist-5k"',
            'optimizer = "sgd"',
            f"epochs = {self.epochs}",
            "seed = 0",
            "[grid]",
            f"learning_rate = {json.dumps(list(self.learning_rate))}",
            f"hidden = {json.dumps([list(h) for h in self.hidden])}",
            f"batch_size = {json.dumps(list(self.batch_size))}",
            f"l2 = {json.dumps(list(self.l2))}",
        ]
        if strategy != "grid":
            lines += ["[search]", f'strategy = "{strategy}"', f'metric = "{SEARCH["metric"]}"',
                      f"min_epochs = {SEARCH['min_epochs']}", f"eta = {SEARCH['eta']}"]
        return "\n".join(lines) + "\n"

    def configs(self) -> list[TrainConfig]:
        """The configs mnistq expands the grid spec into (the anchor searches exactly these)."""
        from scheduler.spec import expand

        return list(expand(tomllib.loads(self.spec("grid")), "halving-grid"))


FULL = Grid((0.001, 0.01, 0.1), ((128,), (256, 128), (512, 256)), (16, 32, 64), (0.0, 1e-4), epochs=27)
QUICK = Grid((0.001, 0.01, 0.1), ((16,),), (64,), (0.0, 1e-4), epochs=3)



def wait_for_sweep(database_url: str, timeout: float, started: Sequence[subprocess.Popen[bytes]]) -> None:
    """Poll the store until no run of the (only) sweep is queued or running; stop when a run failed, a worker of
    `started` died, or after `timeout` seconds."""
    engine, deadline = open_store(database_url, create=True), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            dead = [f"worker {i} (exit {p.returncode})" for i, p in enumerate(started) if p.poll() is not None]
            if dead:
                sys.exit(f"{', '.join(dead)} died during the sweep; logs in the benchmark's temporary folder")
            with session_scope(engine) as session:
                runs = list_runs(session)
            if runs and not any(r.status in UNFINISHED for r in runs):
                failed = [f"run {r.id}: {r.error}" for r in runs if r.status == "failed"]
                if failed:
                    sys.exit(f"{len(failed)} run(s) failed: {'; '.join(failed[:3])}")
                return
            time.sleep(0.2)
        sys.exit(f"the sweep did not end within {timeout:.0f} s")
    finally:
        engine.dispose()


def read_sweep(database_url: str) -> tuple[list[RunRecord], int, float]:
    """Every run of the scratch store, the epochs they trained (epoch_metrics rows) and those epochs' seconds
    (each a training pass and the validation pass after it)."""
    engine = open_store(database_url, create=True)
    try:
        with session_scope(engine) as session:
            runs = list_runs(session)
            curves = run_histories(session, [r.id for r in runs]).values()
    finally:
        engine.dispose()
    return runs, sum(len(c) for c in curves), sum(e.seconds or 0.0 for c in curves for e in c)


def measure(strategy: str, grid: Grid, args: argparse.Namespace, scratch: Path) -> SweepResult:
    """One strategy's sweep in a fresh database and Redis db, on freshly started workers."""
    spec = scratch / f"{strategy}.toml"
    spec.write_text(grid.spec(strategy))
    with ExitStack() as stack:
        database_url = stack.enter_context(scratch_database(args.pg_admin_url))
        broker_url = stack.enter_context(empty_redis(args.redis_url))
        env = {**os.environ, "MNISTQ_DATABASE_URL": database_url, "MNISTQ_BROKER_URL": broker_url}
        mnistq("db", "upgrade", env=env)
        logs = scratch / strategy
        logs.mkdir()
        started = stack.enter_context(workers(Layout(args.workers, 1), env, logs))
        load_before = os.getloadavg()[0]
        submitted = datetime.now(UTC)
        mnistq("submit", str(spec), "--json", env=env)
        wait_for_sweep(database_url, args.timeout, started)
        runs, epochs, epoch_seconds = read_sweep(database_url)
    tasks = tuple(Task.from_record(r) for r in runs)
    statuses: dict[str, int] = {}
    for r in runs:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return SweepResult(
        strategy=strategy,
        wall=(max(t.finished_at for t in tasks) - submitted).total_seconds(),
        epochs=epochs,
        epoch_seconds=epoch_seconds,
        tasks=tasks,
        workers=args.workers,
        first_claim=(min(t.claimed_at for t in tasks) - submitted).total_seconds(),
        load_before=load_before,
        statuses=dict(sorted(statuses.items())),
    )



def measure_anchor(grid: Grid, n_jobs: int) -> AnchorResult:
    """HalvingGridSearchCV over `grid`'s configs on their (one) split, with ASHA's factor and first rung."""
    from model.data.prepare import prepare

    configs = grid.configs()
    return run_anchor(configs, prepare(configs[0]), max_resources=grid.epochs, factor=SEARCH["eta"],
                      min_resources=SEARCH["min_epochs"], n_jobs=n_jobs)


def parse_strategies(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in chosen if name not in (*STRATEGIES, ANCHOR)]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"--strategies {text!r}: expected names from "
                                         f"{', '.join((*STRATEGIES, ANCHOR))}, comma-separated")
    return chosen


@contextmanager
def announced(label: str) -> Iterator[None]:
    print(f"  {label} ...", end="", flush=True)
    start = time.perf_counter()
    yield
    print(f" {time.perf_counter() - start:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.halving", description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="6 configs x 3 epochs: seconds, for the tests")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run, the largest rung (default 27)")
    parser.add_argument("--workers", type=int, default=2, help="mnistq worker processes, 1 BLAS thread each; "
                        "also the anchor's n_jobs")
    parser.add_argument("--strategies", type=parse_strategies, default=[*STRATEGIES, ANCHOR],
                        help="which of grid,asha,median,sklearn to run (default all)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per sweep")
    args = parser.parse_args(argv)
    if args.workers < 1 or (args.epochs is not None and args.epochs < 1):
        parser.error("--workers and --epochs must be >= 1")
    base = QUICK if args.quick else FULL
    grid = Grid(base.learning_rate, base.hidden, base.batch_size, base.l2, args.epochs or base.epochs)
    args.redis_url = services.redis_url()
    args.pg_admin_url = services.pg_admin_url()
    print(f"# bench.halving  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {machine()}  "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{grid.size} configs x {grid.epochs} epochs on mnist-5k; {args.workers} workers x 1 BLAS thread; "
          f"search {SEARCH}")
    if args.workers > CORES:
        print(f"note: {args.workers} workers oversubscribe {CORES} cores")
    rows: list[SweepResult] = []
    anchor = None
    with tempfile.TemporaryDirectory(prefix="mnistq-halving-") as tmp:
        for name in sorted(args.strategies, key=RUN_ORDER.index):
            if name == ANCHOR:
                with announced("HalvingGridSearchCV (and its best config retrained, untimed)"):
                    anchor = measure_anchor(grid, args.workers)
            else:
                with announced(name):
                    rows.append(measure(name, grid, args, Path(tmp)))
    print_table(rows, anchor, args.workers)
    if rows:
        where_time_goes(rows)
    print("\ntargets:")
    for line in targets(rows, anchor):
        print(f"  {line}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
