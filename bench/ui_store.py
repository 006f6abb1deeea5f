"""A realistic result store at scale, seeded fast: one sweep of 10,000 runs x 50 epochs (500,000 epoch rows),
for the dashboard's benchmark and bench/db_queries.py.

    .venv/bin/python -m bench.ui_store [--runs 10000] [--epochs 50] [--keep FILE.db] [--report]

The sweep and its runs go in through the real `create_sweep`; a few runs are then claimed and left running
(partial history, fresh heartbeat) or failed through `claim_run` / `fail_run`, the last ones stay queued, and
every other run is completed by one bulk UPDATE with plausible final metrics, its whole curve bulk-inserted
(core INSERT, executemany on SQLite, one JSON document per 20,000 rows on PostgreSQL). Works on both
backends. `time_report` times `mnistq report` of the sweep as a subprocess: the benchmark's anchor.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import bindparam, update

from db import NewRun, dispose_engines, open_store, session_scope
from db.models import EpochMetric, Run, Sweep
from db.queries import claim_run, create_sweep, fail_run, heartbeat
from db.queries.bulk import insert_rows
from db.types import utcnow
from model.config import TrainConfig

HIDDEN = [[256], [256, 128], [256, 128, 64], [256, 128, 64, 32], [256, 128, 64, 32, 16]]
RATES = (0.005, 0.01, 0.05, 0.1, 0.2)
BATCHES = (32, 64, 128, 256)
WORKERS = ("worker-a", "worker-b", "worker-c", "worker-d")
EPOCH_SECONDS = 0.4  # a mnist-5k epoch of these networks, roughly
ROWS_PER_INSERT = 20_000  # epoch rows held in memory at once


def grid(count: int, offset: int = 0, *, epochs: int = 50) -> list[NewRun]:
    """`count` distinct valid configs of `epochs` epochs: 2 engines x 5 depths x 5 learning rates x 4 batch
    sizes x seeds (one more seed every 200 runs), as `spec(count, epochs)` states them."""
    runs = []
    for i in range(offset, offset + count):
        config = TrainConfig.from_dict(
            {
                "engine": ("numpy", "sklearn")[i % 2],
                "dataset": "mnist-5k",
                "hidden": HIDDEN[i // 2 % 5],
                "learning_rate": RATES[i // 10 % 5],
                "batch_size": BATCHES[i // 50 % 4],
                "epochs": epochs,
                "seed": i // 200,
            }
        )
        runs.append(NewRun(config.engine, config.to_dict(), config.config_hash()))
    return runs


def spec(count: int, epochs: int) -> dict:
    """The submitted spec of `grid(count, epochs=epochs)`, as the sweep stores it."""
    return {
        "name": f"ui-{count}x{epochs}",
        "fixed": {"dataset": "mnist-5k", "epochs": epochs},
        "grid": {
            "engine": ["numpy", "sklearn"],
            "hidden": HIDDEN,
            "learning_rate": list(RATES),
            "batch_size": list(BATCHES),
            "seed": list(range((count - 1) // 200 + 1)),
        },
    }


def seed_store(
    url: str,
    *,
    runs: int = 10_000,
    epochs: int = 50,
    running: int = 8,
    seed: int = 0,
    queued: int | None = None,
    failed: int | None = None,
) -> int:
    """Create the store at `url` if needed and add one sweep of `runs` runs: `running` running with part of
    their curve, `queued` (default: runs // 500, at least 1) never claimed, `failed` (same default) failed
    after a few epochs, the rest completed with `epochs` epochs each. Deterministic given `seed` (apart from
    timestamps, which end now). Returns the sweep id."""
    few = max(1, runs // 500)
    queued, failed = few if queued is None else queued, few if failed is None else failed
    if running + queued + failed > runs:
        raise ValueError(f"runs = {runs}: fewer than running + queued + failed = {running + queued + failed}")
    engine = open_store(url, create=True)
    with session_scope(engine) as session:
        submitted = spec(runs, epochs)
        sweep_id = create_sweep(session, submitted["name"], submitted, grid(runs, epochs=epochs)).sweep.id
    populate(url, sweep_id, epochs, running=running, queued=queued, failed=failed, seed=seed)
    return sweep_id


def populate(
    url: str, sweep_id: int, epochs: int, *, running: int = 0, queued: int = 0, failed: int = 0, seed: int = 0
) -> None:
    """Bring sweep `sweep_id`'s runs (all queued) to a store in service: the last `queued` stay queued, the
    `running` before them are running, `failed` others failed, every other run completed with an
    `epochs`-long curve. One transaction."""
    rng = np.random.default_rng(seed)
    engine = open_store(url, create=True)
    now = utcnow()
    with session_scope(engine) as session:
        run_ids = sorted(
            session.execute(
                Run.__table__.select().with_only_columns(Run.id).where(Run.sweep_id == sweep_id)
            ).scalars()
        )
        claimable = run_ids[: len(run_ids) - queued]
        active = claimable[len(claimable) - running :] if running else []
        settled = claimable[: len(claimable) - running]
        failing = sorted(rng.choice(settled, size=failed, replace=False).tolist()) if failed else []
        done = sorted(set(settled) - set(failing))
        # submitted before its first run started, as in service (create_sweep stamps the sweep and runs now)
        submitted = now - timedelta(seconds=EPOCH_SECONDS * (len(done) + 2 * epochs) + 60)
        for i, run_id in enumerate(active):
            worker = WORKERS[i % len(WORKERS)]
            started = now - timedelta(seconds=EPOCH_SECONDS * epochs)
            claim_run(session, run_id, worker=worker, lease_seconds=600, max_attempts=3, now=started)
            heartbeat(session, run_id, worker, now=now)
        for i, run_id in enumerate(failing):
            worker = WORKERS[i % len(WORKERS)]
            claimed = submitted + timedelta(seconds=30 + i)
            claim_run(session, run_id, worker=worker, lease_seconds=600, max_attempts=3, now=claimed)
            error = "MemoryError: Unable to allocate 1.2 GiB for an array (simulated)"
            failed_at = claimed + timedelta(seconds=2)
            fail_run(session, run_id, worker=worker, error=error, final=True, now=failed_at)
        finals = _complete(session, done, epochs, rng, now)
        session.execute(update(Sweep.__table__).where(Sweep.id == sweep_id).values(created_at=submitted))
        session.execute(update(Run.__table__).where(Run.sweep_id == sweep_id).values(created_at=submitted))
        partial = {run_id: int(rng.integers(1, max(2, epochs))) for run_id in active}
        partial.update({run_id: min(epochs, int(rng.integers(1, 4))) for run_id in failing})
        _insert_curves(session, [(run_id, epochs, finals[run_id]) for run_id in done], rng)
        _insert_curves(session, [(run_id, n, 0.9) for run_id, n in partial.items()], rng)


def _complete(
    session, run_ids: Sequence[int], epochs: int, rng: np.random.Generator, now
) -> dict[int, float]:
    """Mark `run_ids` completed with final metrics, finishing one after another over the past hours (one bulk
    UPDATE); returns each run's final validation accuracy."""
    val = np.clip(rng.beta(12, 1.2, size=len(run_ids)), 0.5, 0.995)
    seconds = epochs * EPOCH_SECONDS * rng.uniform(0.8, 1.25, size=len(run_ids))
    statement = (
        update(Run.__table__)
        .where(Run.id == bindparam("rid"))
        .values(
            {name: bindparam(f"v_{name}") for name in (
                "status", "attempts", "worker", "claimed_at", "heartbeat_at", "started_at", "finished_at",
                "train_acc", "train_loss", "val_acc", "val_loss", "test_acc", "test_loss", "best_epoch",
                "train_seconds",
            )}
        )
    )  # fmt: skip
    rows = []
    for i, run_id in enumerate(run_ids):
        finished = now - timedelta(seconds=EPOCH_SECONDS * (len(run_ids) - i))
        started = finished - timedelta(seconds=float(seconds[i]))
        acc = float(val[i])
        values = {
            "status": "completed", "attempts": 1, "worker": WORKERS[i % len(WORKERS)], "claimed_at": started,
            "heartbeat_at": finished, "started_at": started, "finished_at": finished,
            "train_acc": min(1.0, acc + 0.02), "train_loss": 2.3 * (1 - acc) - 0.02, "val_acc": acc,
            "val_loss": 2.3 * (1 - acc) + 0.05, "test_acc": acc - 0.005, "test_loss": 2.3 * (1 - acc) + 0.06,
            "best_epoch": epochs - int(rng.integers(0, 5)), "train_seconds": float(seconds[i]),
        }  # fmt: skip
        rows.append({"rid": run_id, **{f"v_{name}": value for name, value in values.items()}})
    if rows:
        session.execute(statement, rows)
    return {run_id: float(acc) for run_id, acc in zip(run_ids, val, strict=True)}


def _insert_curves(session, curves: Sequence[tuple[int, int, float]], rng: np.random.Generator) -> None:
    """Bulk-insert a learning curve for each (run id, epochs, final val_acc): rising towards the final value,
    training accuracy a little above it (overfitting), 0.3-0.5 s per epoch."""
    batch: list[dict] = []
    for run_id, length, final in curves:
        n = np.arange(1, length + 1)
        progress = 1 - np.exp(-n / 10)
        val = final * progress + 0.1 * (1 - progress) + rng.normal(0, 0.003, size=length)
        train = np.minimum(1.0, val + 0.02 * n / length)
        seconds = rng.uniform(0.3, 0.5, size=length)
        batch.extend(
            {"run_id": run_id, "epoch": e, "train_acc": t, "val_acc": v, "train_loss": 2.3 * (1 - t) + 0.02,
             "val_loss": 2.3 * (1 - v) + 0.05, "seconds": s, "nan_mask": 0}
            for e, t, v, s in zip(n.tolist(), train.tolist(), val.tolist(), seconds.tolist(), strict=True)
        )  # fmt: skip
        if len(batch) >= ROWS_PER_INSERT:
            insert_rows(session, EpochMetric.__table__, batch, skip_conflicts_on=["run_id", "epoch"])
            batch = []
    insert_rows(session, EpochMetric.__table__, batch, skip_conflicts_on=["run_id", "epoch"])


def time_report(url: str, sweep_id: int) -> float:
    """Wall-clock seconds of `mnistq report <sweep_id> -o <tmp>/report.html` against `url`, a subprocess as a
    user runs it (interpreter start and imports included). Raises CalledProcessError if it fails."""
    mnistq = Path(sys.executable).with_name("mnistq")
    with tempfile.TemporaryDirectory(prefix="mnistq-bench-report-") as folder:
        command = [str(mnistq), "report", str(sweep_id), "-o", str(Path(folder) / "report.html")]
        started = time.perf_counter()
        subprocess.run(
            command,
            env={**os.environ, "MNISTQ_DATABASE_URL": url},
            check=True,
            capture_output=True,
            text=True,
        )
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument(
        "--keep", type=Path, default=None, help="SQLite file to seed and keep (must not exist)."
    )
    parser.add_argument("--report", action="store_true", help="Also time `mnistq report` of the sweep.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mnistq-bench-") as folder:
        url = f"sqlite:///{args.keep or Path(folder) / 'ui.db'}"
        started = time.perf_counter()
        sweep_id = seed_store(url, runs=args.runs, epochs=args.epochs)
        print(f"seeded sweep {sweep_id}: {args.runs:,} runs x {args.epochs} epochs on SQLite in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        dispose_engines()
        if args.report:
            print(f"mnistq report: {time_report(url, sweep_id):.1f} s")


if __name__ == "__main__":
    main()
