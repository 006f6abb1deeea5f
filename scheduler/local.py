"""Local mode: worker processes on this machine train a sweep (or one run of it), with no broker.

Each process is `python -m worker.local --sweep ID [--run ID]`: the same `execute_run` as the Celery task,
walking the sweep's claimable runs (the atomic claim shares them out). The scheduler starts the processes,
supervises them and watches the database; it never imports training code.

Supervision does at once for local processes what the reaper does for lost Celery workers: when a process
exits, however it exits (the OOM killer, kill -9, a crash), the run it held is given back (`release_runs`:
queued again, failed once it has used MNISTQ_MAX_ATTEMPTS, cancelled if a cancel is pending), and while
claimable runs remain a replacement process takes the run over and resumes it from its checkpoint. A death
while holding a run is bounded by the run's attempts; processes that exit without ever holding a run (a worker
that cannot start) are replaced only until `workers + 2` of them in a row did so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core import settings
from db import SweepCounts, session_scope
from db.queries import attempts_used, claimable_runs, get_run, release_runs, sweep_counts
from scheduler.outcome import Target
from scheduler.progress import watch

BLAS_THREADS_ENV = "MNISTQ_BLAS_THREADS"  # read by worker.blas in each process
WORKER_MODULE = "worker.local"  # what each process runs (`python -m WORKER_MODULE --sweep ID`)
POLL_SECONDS = 0.2  # between checks on the processes once the runs have settled


@dataclass(frozen=True)
class LocalPlan:
    """How many processes, and BLAS threads each: processes × threads never exceeds the cores unless
    $MNISTQ_BLAS_THREADS says so."""

    workers: int
    blas_threads: int

    @classmethod
    def for_machine(
        cls,
        workers: int | None = None,
        cores: int | None = None,
        *,
        runs: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> LocalPlan:
        """`workers` processes (default: one per core), never more than the `runs` there are to train;
        $MNISTQ_BLAS_THREADS threads each when set, else max(1, cores // processes)."""
        env = os.environ if env is None else env
        cores = cores or os.cpu_count() or 1
        workers = workers or cores
        if runs is not None:
            workers = max(1, min(workers, runs))
        if env.get(BLAS_THREADS_ENV, "").strip():
            return cls(workers=workers, blas_threads=settings.read(BLAS_THREADS_ENV, env))
        return cls(workers=workers, blas_threads=max(1, cores // workers))


def run_local(
    engine: Engine,
    target: Target,
    database_url: str,
    *,
    workers: int | None = None,
    max_attempts: int,
    stream: TextIO | None = None,
) -> SweepCounts:
    """Train `target`'s runs in local worker processes (`workers`, default one per core), supervised, with a
    progress display; return the final counts. Ctrl-C stops the processes and puts their runs back."""
    with session_scope(engine) as session:
        todo = claimable_runs(
            session, target.sweep_id, max_attempts=max_attempts, run_id=target.run_id, with_running=True
        )
    if todo:
        plan = LocalPlan.for_machine(workers, runs=len(todo))
        _Pool(engine, target, database_url, plan, max_attempts=max_attempts, stream=stream).run()
    with session_scope(engine) as session:
        return sweep_counts(session, target.sweep_id, run_id=target.run_id)


class _Pool:
    """The worker processes of one `run_local`, and what happens when one of them exits."""

    def __init__(
        self,
        engine: Engine,
        target: Target,
        database_url: str,
        plan: LocalPlan,
        *,
        max_attempts: int,
        stream: TextIO | None,
    ) -> None:
        self.engine, self.target, self.plan, self.max_attempts = engine, target, plan, max_attempts
        self.stream = stream
        self.host = settings.read("MNISTQ_WORKER_HOST")  # the host part of the processes' worker names
        self.command = [sys.executable, "-m", WORKER_MODULE, "--sweep", str(target.sweep_id)]
        if target.run_id is not None:
            self.command += ["--run", str(target.run_id)]
        self.env = {**os.environ, "MNISTQ_DATABASE_URL": database_url, BLAS_THREADS_ENV: str(plan.blas_threads)}
        self.live: list[subprocess.Popen[bytes]] = []
        self.barren = 0  # processes in a row that exited while no run was claimed: failing before they can
        self.barren_limit = plan.workers + 2
        self.attempts = self._attempts_used()
        self.told_limit = False

    def run(self) -> None:
        for _ in range(self.plan.workers):
            self._start()
        try:
            watch(
                self.engine, self.target.sweep_id, run_id=self.target.run_id, workers=self.plan.workers,
                keep_going=self.supervise, stream=self.stream,
            )
            while self.supervise():  # settled: the processes find nothing left to claim and exit
                time.sleep(POLL_SECONDS)
        except BaseException:  # Ctrl-C, or the store became unreachable: stop, and give the runs back
            self._stop_all()
            raise

    def supervise(self) -> bool:
        """Handle the processes that exited since the last call, start replacements while claimable runs
        remain; False once no process is left."""
        exited = [process for process in self.live if process.poll() is not None]
        if exited:
            self.live = [process for process in self.live if process.returncode is None]
            with session_scope(self.engine) as session:
                for process in exited:
                    self._gone(session, process)
                claimable = claimable_runs(
                    session, self.target.sweep_id, max_attempts=self.max_attempts, run_id=self.target.run_id
                )
            self._replace(len(claimable))
        return bool(self.live)

    def _attempts_used(self) -> int:
        with session_scope(self.engine) as session:
            return attempts_used(session, self.target.sweep_id, run_id=self.target.run_id)

    def _start(self) -> None:
        self.live.append(subprocess.Popen(self.command, env=self.env))

    def _name(self, process: subprocess.Popen[bytes]) -> str:
        return f"{self.host}:{process.pid}"  # as worker.identity names the process

    def _gone(self, session: Session, process: subprocess.Popen[bytes]) -> None:
        """Give back the run a process held when it exited, and say so in one line if it died."""
        name = self._name(process)
        given = release_runs(session, workers=[name], max_attempts=self.max_attempts)
        held = sorted((*given.requeued_ids, *given.failed_ids, *given.cancelled_ids))
        # a claim counts an attempt; a sibling may have taken this process's run over before this call
        attempts = attempts_used(session, self.target.sweep_id, run_id=self.target.run_id)
        self.barren = 0 if held or attempts > self.attempts else self.barren + 1
        self.attempts = attempts
        if self.barren == 0:
            self.told_limit = False
        how = _how_it_ended(process.returncode)
        for run_id in held:
            run = get_run(session, run_id)
            attempt = f"attempt {run.attempts} of {self.max_attempts}"
            if run_id in given.requeued_ids:
                fate = f"goes back to the queue ({attempt} used)"
            elif run_id in given.failed_ids:
                fate = f"failed: that was {attempt}"
            else:
                fate = f"cancelled: a cancel was pending ({attempt})"
            self._say(f"local worker {process.pid} {how} while training run {run_id}; the run {fate}")
        if not held and process.returncode != 0:
            self._say(f"local worker {process.pid} {how}; no run was held in its name")

    def _replace(self, claimable: int) -> None:
        """Start processes for the claimable runs, up to the plan's number of processes alive."""
        wanted = min(claimable, self.plan.workers - len(self.live))
        if wanted <= 0:
            return
        if self.barren >= self.barren_limit:
            if not self.told_limit:
                self._say(
                    f"local workers: {self.barren} processes in a row exited without claiming a run; "
                    "not starting another (see their output above)"
                )
                self.told_limit = True
            return
        for _ in range(wanted):
            self._start()

    def _stop_all(self) -> None:
        for process in self.live:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.live:
            process.wait()
        with session_scope(self.engine) as session:
            release_runs(session, workers=[self._name(p) for p in self.live], max_attempts=self.max_attempts)
        self.live = []

    def _say(self, line: str) -> None:
        print(line, file=self.stream or sys.stderr, flush=True)  # sys.stderr now: a progress bar redirects it


def _how_it_ended(returncode: int) -> str:
    """'was killed by SIGKILL' or 'exited with code 1' (a negative return code is the signal's number)."""
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"
