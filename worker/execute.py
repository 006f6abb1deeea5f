"""Train one stored run: claim it, train it with a persisting callback, store its weights, finish it.

This is the body of the Celery task `mnistq.train_run` and of the local-mode worker processes alike. Only run
ids travel; the config, the checkpoint and the data are re-read here.

Exactly-once effect on an at-least-once queue: the claim is one conditional UPDATE (only a queued run, or a
running one whose lease expired, can be taken), every epoch write renews the lease in the same transaction,
and the final write only lands while this worker still holds the run. A second delivery of the same task
finds the run completed or held, and does nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np
from billiard.exceptions import SoftTimeLimitExceeded
from sqlalchemy.engine import Engine

from db import RungDecisionRecord, RunRecord, session_scope
from db.queries import (
    claim_run,
    delete_artifact,
    fail_run,
    finish_run,
    get_artifact,
    get_run,
    heartbeat,
    load_artifact,
    release_runs,
    run_history,
    store_artifact,
    truncate_history,
    upsert_epoch,
)
from db.status import PRUNED, RUNNING
from model.config import TrainConfig
from model.result import CANCELLED, COMPLETED, DIVERGED, EpochProgress, TrainResult
from model.train import train
from model.weights_io import weights_from_npz_bytes, weights_to_npz_bytes
from worker.datacache import PROCESS_CACHE, DataCache
from worker.identity import holder_is_dead, worker_name
from worker.retry import is_transient, retry_db
from worker.rungs import RungJudge
from worker.settings import WorkerSettings

log = logging.getLogger("mnistq.worker")

# outcomes returned by `execute_run` (the task's return value, and what local mode counts)
SKIPPED = "skipped"  # not claimable: finished, held by a live worker, cancelled or out of attempts
FAILED = "failed"
LOST_LEASE = "lost-lease"  # another worker took the run over while this one trained; nothing written


@dataclass
class _Control:
    """Flags shared by the epoch callback and the heartbeat thread."""

    lost_lease: bool = False
    cancel_requested: bool = False
    pruned: bool = False  # no sweep holding the run wants more epochs

    @property
    def stop(self) -> bool:
        return self.lost_lease or self.cancel_requested or self.pruned


def execute_run(
    run_id: int,
    *,
    engine: Engine,
    settings: WorkerSettings | None = None,
    worker: str | None = None,
    cache: DataCache = PROCESS_CACHE,
    deadline: float | None = None,
) -> str:
    """Claim and train run `run_id`; return its outcome (a run status, SKIPPED or LOST_LEASE).

    Never raises for a training problem: divergence ends as "diverged", an exception as "failed" with its
    message, and the sweep goes on either way.

    `deadline` (a `time.monotonic()` value) is the task's soft time limit. Celery enforces it with a signal
    whose exception lands wherever the task happens to be, and library code that catches Exception (closing a
    cursor, say) can swallow it; so the epoch callback also checks the clock after every epoch and fails the
    run the same way, SoftTimeLimitExceeded with its reason.
    """
    settings = settings or WorkerSettings.from_env()
    worker = worker or worker_name()
    run = retry_db(lambda: _claim(engine, run_id, worker, settings), what=f"run {run_id} claim")
    if run is None:
        log.info("run %s: not claimable, skipped", run_id)
        return SKIPPED
    log.info("run %s: claimed by %s (attempt %s)", run_id, worker, run.attempts)
    try:
        config = TrainConfig.from_dict(run.config, source=f"run {run_id} config")
        resume_from, judge = retry_db(
            lambda: _load_progress(engine, run_id, config), what=f"run {run_id} checkpoint"
        )
        data = cache.get(config)
    except Exception as exc:  # a bad stored config or dataset: deterministic, so retrying cannot help
        return _fail(engine, run_id, worker, exc)

    control = _Control()
    beat = _Heartbeat(engine, run_id, worker, settings.heartbeat_seconds, control)
    on_epoch = _EpochWriter(engine, run_id, worker, settings.checkpoint_every, control, judge, deadline)
    # pruned by every sweep holding it, but its worker died before the final write: end it where it stopped
    stop_after = len(judge.history) if judge.adaptive and judge.history and not judge.wanted() else None
    beat.start()
    try:
        result = train(config, data, on_epoch=on_epoch, resume_from=resume_from, stop_after=stop_after)
    except Exception as exc:  # includes Celery's SoftTimeLimitExceeded
        return _fail(engine, run_id, worker, exc)
    finally:
        beat.stop()
    if control.lost_lease:
        log.warning("run %s: lease lost to another worker; result discarded", run_id)
        return LOST_LEASE
    if result.status == CANCELLED and control.cancel_requested and result.history:
        # the stored reason, in the user's terms: what stopped the run and after which epoch
        stopped = f"cancelled by `mnistq cancel` after epoch {result.history[-1].epoch}"
        result = dataclasses.replace(result, message=stopped)
    if result.status == CANCELLED and (control.pruned or stop_after is not None):
        result = dataclasses.replace(result, status=PRUNED, message=judge.reason())
    return _finish(engine, run_id, worker, result, judge)


def _claim(engine: Engine, run_id: int, worker: str, settings: WorkerSettings) -> RunRecord | None:
    """Claim the run; if a dead process on this host still holds it (Celery redelivers the task of a
    killed child at once, long before its lease expires), give its run back first and claim again.

    Safe to retry: if an earlier try's claim committed but its acknowledgement was lost with the connection,
    this worker already holds the run, and the run is returned as claimed."""
    with session_scope(engine) as session:
        run = claim_run(
            session, run_id, worker=worker, lease_seconds=settings.lease_seconds, max_attempts=settings.max_attempts
        )
        if run is not None:
            return run
        current = get_run(session, run_id)
        if current.status == RUNNING and current.worker == worker:
            return current
        if current.status != RUNNING or current.worker is None or not holder_is_dead(current.worker):
            return None
        given = release_runs(session, workers=[current.worker], max_attempts=settings.max_attempts)
        if given.failed_ids or given.cancelled_ids:  # that was its last attempt, or a cancel was pending
            outcome = "failed" if given.failed_ids else "cancelled"
            log.warning("run %s: its holder %s died on attempt %s of %s; the run is %s", run_id, current.worker,
                        current.attempts, settings.max_attempts, outcome)
            return None
        log.warning("run %s: its holder %s died; taking it over", run_id, current.worker)
        return claim_run(
            session, run_id, worker=worker, lease_seconds=settings.lease_seconds, max_attempts=settings.max_attempts
        )


def _load_progress(
    engine: Engine, run_id: int, config: TrainConfig
) -> tuple[dict[str, np.ndarray] | None, RungJudge]:
    """The stored checkpoint to resume from (history after it is dropped), or None to start afresh; and the
    judge of the adaptive sweeps holding the run, with the learning curve kept."""
    with session_scope(engine) as session:
        snapshot = None
        if get_artifact(session, run_id, "checkpoint") is not None:
            candidate = weights_from_npz_bytes(load_artifact(session, run_id, "checkpoint"))
            if str(candidate.get("loop.config_hash", "")) == config.config_hash():
                snapshot = candidate
        done = 0 if snapshot is None else int(np.asarray(snapshot["loop.history"]).shape[0])
        truncate_history(session, run_id, keep_through=done)
        history = [dataclasses.asdict(row) for row in run_history(session, run_id)]
        judge = RungJudge.load(session, run_id, config.epochs, history)
    if snapshot is not None:
        log.info("run %s: resuming from the checkpoint after epoch %s", run_id, done)
    return snapshot, judge


class _EpochWriter:
    """The `on_epoch` callback: upsert the epoch, renew the lease, checkpoint, and say whether to go on."""

    def __init__(
        self,
        engine: Engine,
        run_id: int,
        worker: str,
        checkpoint_every: int,
        control: _Control,
        judge: RungJudge,
        deadline: float | None = None,
    ) -> None:
        self.engine, self.run_id, self.worker = engine, run_id, worker
        self.checkpoint_every = checkpoint_every
        self.control = control
        self.judge = judge
        self.deadline = deadline

    def __call__(self, progress: EpochProgress) -> bool:
        epoch = progress.metrics.epoch
        self.judge.history.append(progress.metrics.to_dict())
        # a rung keeps a checkpoint whatever MNISTQ_CHECKPOINT_EVERY says: a later sweep that wants the run
        # further resumes it from there
        due = (self.checkpoint_every > 0 and epoch % self.checkpoint_every == 0) or self.judge.is_rung(epoch)
        self._write(progress, epoch, due)
        if self.control.cancel_requested and not due and self.checkpoint_every > 0 and not self.control.lost_lease:
            # stopping here: a checkpoint of this very epoch lets `mnistq retry --cancelled` lose nothing
            self._write(progress, epoch, True)
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise SoftTimeLimitExceeded(f"the task's soft time limit passed after epoch {epoch}")
        return not self.control.stop

    def _write(self, progress: EpochProgress, epoch: int, checkpoint: bool) -> None:
        """Upsert the epoch (and the checkpoint) in the transaction that renews the lease, if still held; and
        there, the decisions of the adaptive sweeps due at this epoch. A run they prune keeps a checkpoint of
        this epoch, so a later sweep that wants it further loses nothing."""
        judging = self.judge.due(epoch)
        blob = weights_to_npz_bytes(progress.snapshot()) if checkpoint else None

        def write() -> list[RungDecisionRecord]:
            decisions: list[RungDecisionRecord] = []
            with session_scope(self.engine) as session:
                answer = heartbeat(session, self.run_id, self.worker)
                if answer.holds_lease:
                    upsert_epoch(session, self.run_id, progress.metrics.to_dict())
                    if judging:
                        decisions = self.judge.propose(session, epoch)
                    stopping = judging and not self.judge.wanted(decisions)
                    if blob is not None or stopping:
                        data = blob if blob is not None else weights_to_npz_bytes(progress.snapshot())
                        store_artifact(session, self.run_id, "checkpoint", data)
                self.control.lost_lease |= not answer.holds_lease
                self.control.cancel_requested |= answer.cancel_requested
            return decisions

        decisions = retry_db(write, what=f"run {self.run_id} epoch {epoch}")
        if decisions:
            self.judge.accept(decisions)
            self.control.pruned |= not self.judge.wanted()


class _Heartbeat:
    """Renews the lease between epochs too, so one long epoch never looks like a dead worker."""

    def __init__(self, engine: Engine, run_id: int, worker: str, interval: float, control: _Control) -> None:
        self.engine, self.run_id, self.worker = engine, run_id, worker
        self.interval = interval
        self.control = control
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{run_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _loop(self) -> None:
        failing = False
        while not self._stopped.wait(self.interval):
            try:
                with session_scope(self.engine) as session:
                    answer = heartbeat(session, self.run_id, self.worker)
            except Exception as exc:  # a database outage: the epoch writer retries; so does the next beat
                if not failing:
                    log.warning("run %s: heartbeat failed, retrying every %g s: %s", self.run_id, self.interval, exc)
                failing = True
                continue
            if failing:
                log.warning("run %s: heartbeat restored", self.run_id)
                failing = False
            self.control.lost_lease |= not answer.holds_lease
            self.control.cancel_requested |= answer.cancel_requested


def _finish(engine: Engine, run_id: int, worker: str, result: TrainResult, judge: RungJudge | None = None) -> str:
    """Store the final weights and metrics in one transaction, only if this worker still holds the run.
    The checkpoint goes, except a cancelled or pruned run's: retrying it, or a later sweep that wants it
    further, resumes there. A diverged run is recorded at its next rung, as the worst result there."""
    metrics: dict[str, Any] = {
        "train_acc": result.train_acc,
        "train_loss": result.train_loss,
        "val_acc": result.val_acc,
        "val_loss": result.val_loss,
        "test_acc": result.test_acc,
        "test_loss": result.test_loss,
        "train_seconds": result.train_seconds,
        "best_epoch": result.best_epoch,
    }
    blob = weights_to_npz_bytes(result.weights) if result.status in (COMPLETED, PRUNED) else None
    diverged_at = len(result.history) + 1 if result.status == DIVERGED and judge is not None else None

    def write() -> bool:
        with session_scope(engine) as session:
            held = finish_run(
                session, run_id, worker=worker, status=result.status, metrics=metrics, error=result.message or None
            )
            if not held:  # taken over, or an earlier try committed and only its acknowledgement was lost
                current = get_run(session, run_id)
                return current.worker == worker and current.status == result.status
            if blob is not None:
                store_artifact(session, run_id, "final", blob)
            if result.status not in (CANCELLED, PRUNED):  # they resume from it
                delete_artifact(session, run_id, "checkpoint")
            if diverged_at is not None and judge is not None:
                judge.propose_divergence(session, diverged_at)
            return True

    if not retry_db(write, what=f"run {run_id} final result"):
        log.warning("run %s: lease lost before the final write; result discarded", run_id)
        return LOST_LEASE
    log.info("run %s: %s", run_id, result.status)
    return result.status


def _fail(engine: Engine, run_id: int, worker: str, exc: BaseException) -> str:
    """Record an exception as the run's final failure, with a one-line message.

    A database outage that outlasted `retry_db` is not the config's fault: it is re-raised instead, and the
    run is left to its lease (once that expires the reaper, `mnistq scheduler`, queues it again)."""
    if is_transient(exc):
        log.error("run %s: the database stayed unavailable (%s); left to its lease", run_id, exc.__class__.__name__)
        raise exc
    message = describe_failure(exc)[:2000]
    log.error("run %s failed: %s\n%s", run_id, message, traceback.format_exc())

    def write() -> None:
        with session_scope(engine) as session:
            fail_run(session, run_id, worker=worker, error=message, final=True)

    retry_db(write, what=f"run {run_id} failure")
    return FAILED


def describe_failure(exc: BaseException) -> str:
    """One line for the run's error column: "ExceptionName: what it says"."""
    name = exc.__class__.__name__
    detail = str(exc)
    if detail.startswith(f"{name}("):  # billiard's exceptions print as their repr
        detail = " ".join(str(arg) for arg in exc.args)
    if not detail and isinstance(exc, SoftTimeLimitExceeded):  # raised by the signal handler, without a reason
        detail = "the task ran past its soft time limit (MNISTQ_TASK_SOFT_LIMIT)"
    detail = " ".join(detail.split())
    return f"{name}: {detail}" if detail else name
