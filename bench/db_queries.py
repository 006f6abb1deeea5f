"""Result-store speed at scale: 10,000 runs x 50 epochs, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.db_queries [--runs 10000] [--epochs 50] [--repeat 30] [--backend both]

For each backend, in a scratch database (a temporary SQLite file; a PostgreSQL database created and dropped,
admin URL from $MNISTQ_BENCH_PG_ADMIN_URL, else a private server this process starts; see bench/services.py):

- bulk creation: `create_sweep` of 10,000 new runs in one transaction, commit included (target <= 2 s; three
  times, each in a fresh database, median shown);
- population (not timed, bench/ui_store.py's): every run completed with final metrics and a 50-epoch curve
  (500,000 epoch rows), then settled as a store in service would be: VACUUM ANALYZE on PostgreSQL (autovacuum's work after a bulk
  load, which would otherwise compete with the measurements), a WAL checkpoint on SQLite;
- top-20 leaderboard of the sweep by val_acc (target <= 50 ms);
- a three-clause filter, every matching run returned as a record (target <= 50 ms), and the same filter
  counted only (the SQL alone, no target);
- an epoch write as a worker does it: heartbeat + upsert_epoch in its own transaction (target p95 <= 5 ms);
- sweep_counts, what `mnistq status` shows (no target).

Query figures are the median and p95 of --repeat runs. Anchors: MLflow takes over 15 minutes to search 30k runs
(mlflow#2730); Optuna's trials_dataframe took 13 minutes on thousands of trials (optuna#763).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url

from bench import services
from bench.ui_store import grid, populate
from db import NewRun, dispose_engines, open_store, session_scope
from db.models import Run
from db.queries import (
    claim_run,
    count_runs,
    create_sweep,
    heartbeat,
    leaderboard,
    list_runs,
    sweep_counts,
    upsert_epoch,
)

FILTER = "val_acc > 0.95 and (learning_rate < 0.1 or depth >= 3) and engine = 'numpy'"
TARGETS = {"create": 2000.0, "leaderboard": 50.0, "filter": 50.0, "epoch write": 5.0}


@dataclass(frozen=True)
class Sample:
    wall_ms: float  # elapsed time
    cpu_ms: float  # CPU time of this process (the database server's time on PostgreSQL is not in it)


@contextmanager
def measured(samples: list[Sample]) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    samples.append(Sample((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A URL of an empty database that disappears afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="mnistq-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    admin_url = services.pg_admin_url()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"mnistq_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def time_create(url: str, runs: list[NewRun], samples: list[Sample]) -> int:
    """Store a sweep of `runs` (commit included), timed into `samples`; returns the sweep id."""
    engine = open_store(url, create=True)
    with measured(samples), session_scope(engine) as session:
        return create_sweep(session, "bench", {"grid": "bench"}, runs).sweep.id


def settle(url: str) -> None:
    """What a store in service would have done after a bulk load (autovacuum's work on PostgreSQL, which
    would otherwise compete with the measurements; a WAL checkpoint on SQLite)."""
    engine = open_store(url, create=True)
    statement = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "PRAGMA wal_checkpoint(TRUNCATE)"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(statement))


def timings(repeat: int, call: Callable[[], Any]) -> list[Sample]:
    """`repeat` timed calls of `call` (after one warm-up call)."""
    call()
    samples: list[Sample] = []
    for _ in range(repeat):
        with measured(samples):
            call()
    return samples


def measure_queries(url: str, sweep_id: int, repeat: int) -> dict[str, list[Sample]]:
    engine = open_store(url, create=True)

    def in_session(query: Callable[[Any], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with session_scope(engine) as session:
                return query(session)

        return call

    return {
        "leaderboard": timings(repeat, in_session(lambda s: leaderboard(s, sweep_id, k=20))),
        "filter": timings(repeat, in_session(lambda s: list_runs(s, where=FILTER))),
        "filter count": timings(repeat, in_session(lambda s: count_runs(s, where=FILTER))),
        "sweep_counts": timings(max(3, repeat // 5), in_session(lambda s: sweep_counts(s, sweep_id))),
        "epoch write": epoch_writes(engine, repeat * 10),
    }


def epoch_writes(engine: Any, count: int) -> list[Sample]:
    """`count` worker-style epoch writes, each its own transaction, over 10 claimed runs."""
    with session_scope(engine) as session:
        run_ids = list(session.execute(text("SELECT id FROM runs ORDER BY id LIMIT 10")).scalars())
        session.execute(update(Run.__table__).where(Run.id.in_(run_ids)).values(status="queued", attempts=0))
        for run_id in run_ids:
            claim_run(session, run_id, worker="bench", lease_seconds=600, max_attempts=3)
    samples: list[Sample] = []
    for i in range(count):
        run_id, epoch = run_ids[i % len(run_ids)], 1 + i // len(run_ids) % 50
        metrics = {"epoch": epoch, "train_loss": 0.3, "train_acc": 0.9, "val_loss": 0.31, "val_acc": 0.89,
                   "seconds": 0.4}  # fmt: skip
        with measured(samples), session_scope(engine) as session:
            heartbeat(session, run_id, "bench")
            upsert_epoch(session, run_id, metrics)
    return samples


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def bench_backend(backend: str, runs: int, epochs: int, repeat: int) -> dict[str, Any]:
    configs = grid(runs, epochs=epochs)
    creates: list[Sample] = []
    for _ in range(2):  # two more creations, each in its own fresh database, for a median of three
        with scratch_database(backend) as url:
            time_create(url, configs, creates)
            dispose_engines()
    with scratch_database(backend) as url:
        sweep_id = time_create(url, configs, creates)
        started = time.perf_counter()
        populate(url, sweep_id, epochs)
        settle(url)
        populated_s = time.perf_counter() - started
        figures = measure_queries(url, sweep_id, repeat)
        with session_scope(open_store(url, create=True)) as session:
            matched = len(list_runs(session, where=FILTER))
        dispose_engines()
    figures["create"] = creates
    return {"figures": figures, "matched": matched, "populated_s": populated_s}


LABELS = {
    "create": "bulk create of the runs",
    "leaderboard": "top-20 leaderboard",
    "filter": "three-clause filter, all records",
    "filter count": "the same filter, count only",
    "epoch write": "epoch write (own transaction)",
    "sweep_counts": "sweep_counts (status)",
}


def print_table(results: dict[str, dict[str, Any]], runs: int, epochs: int) -> None:
    print(f"\nResult store, {runs:,} runs x {epochs} epochs ({runs * epochs:,} epoch rows); milliseconds")
    print(f"{'measure':<35}{'backend':<11}{'median':>9}{'p95':>9}{'CPU':>9}{'target':>8}  verdict")
    for key, label in LABELS.items():
        for backend, result in results.items():
            samples = result["figures"][key]
            walls = [sample.wall_ms for sample in samples]
            median, high = statistics.median(walls), p95(walls)
            cpu = statistics.median(sample.cpu_ms for sample in samples)
            target = TARGETS.get(key)
            checked = high if key == "epoch write" else median
            verdict = "" if target is None else ("ok" if checked <= target else "MISSED")
            shown = "" if target is None else f"{target:g}"
            print(f"{label:<35}{backend:<11}{median:>9.1f}{high:>9.1f}{cpu:>9.1f}{shown:>8}  {verdict}")
    for backend, result in results.items():
        print(
            f"{backend}: filter matched {result['matched']:,} runs; populating took {result['populated_s']:.0f} s"
        )
    print(f"filter: {FILTER}")
    print("targets: median, p95 for the epoch write; CPU: median CPU time of this process (not the server's)")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end (shared with others)"
    )
    print("anchors: MLflow > 15 min to search 30k runs (mlflow#2730); Optuna trials_dataframe 13 min on")
    print("         thousands of trials (optuna#763)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=30, help="timed repetitions of each query")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = {backend: bench_backend(backend, args.runs, args.epochs, args.repeat) for backend in backends}
    print_table(results, args.runs, args.epochs)


if __name__ == "__main__":
    main()
