"""Local mode: N worker processes on this machine train a sweep, with no broker.

Each process is `python -m worker.local --sweep ID`: the same `execute_run` as the Celery task, walking the
sweep's queued runs (the atomic claim shares them out). The scheduler only starts processes and watches the
database; it never imports training code. A process that dies gives its runs back (`release_runs`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from db import SweepCounts, session_scope
from db.queries import release_runs, sweep_counts, sweep_run_ids
from db.status import QUEUED
from scheduler.progress import watch

BLAS_THREADS_ENV = "MNISTQ_BLAS_THREADS"  # read by worker.blas in each process


@dataclass(frozen=True)
class LocalPlan:
    """How many processes, and BLAS threads each: processes × threads never exceeds the cores."""

    workers: int
    blas_threads: int

    @classmethod
    def for_machine(cls, workers: int | None = None, cores: int | None = None) -> LocalPlan:
        cores = cores or os.cpu_count() or 1
        workers = workers or cores
        return cls(workers=workers, blas_threads=max(1, cores // workers))


def run_local(
    engine: Engine, sweep_id: int, database_url: str, plan: LocalPlan, *, max_attempts: int
) -> SweepCounts:
    """Train sweep `sweep_id`'s queued runs with `plan.workers` processes; return the final counts.
    Ctrl-C stops the processes and puts their runs back in the queue."""
    with session_scope(engine) as session:
        if not sweep_run_ids(session, sweep_id, statuses=[QUEUED]):
            return sweep_counts(session, sweep_id)  # everything was reused: nothing to start
    env = {**os.environ, "MNISTQ_DATABASE_URL": database_url, BLAS_THREADS_ENV: str(plan.blas_threads)}
    command = [sys.executable, "-m", "worker.local", "--sweep", str(sweep_id)]
    processes = [subprocess.Popen(command, env=env) for _ in range(plan.workers)]
    try:
        watch(
            engine, sweep_id, workers=plan.workers, keep_going=lambda: any(p.poll() is None for p in processes)
        )
        for process in processes:
            process.wait()
    except KeyboardInterrupt:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait()
        raise
    finally:
        _release(engine, processes, max_attempts)
    return _final_counts(engine, sweep_id)


def _release(engine: Engine, processes: list[subprocess.Popen[bytes]], max_attempts: int) -> None:
    host = socket.gethostname()
    with session_scope(engine) as session:
        release_runs(session, workers=[f"{host}:{p.pid}" for p in processes], max_attempts=max_attempts)


def _final_counts(engine: Engine, sweep_id: int) -> SweepCounts:
    with session_scope(engine) as session:
        return sweep_counts(session, sweep_id)
