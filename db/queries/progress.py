"""Work left in a sweep, giving back the runs of workers known to be dead, and finding runs nobody took."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.models import EpochMetric, Run, SweepRun
from db.queries.rows import RUN_TABLE
from db.records import Reaped
from db.status import CANCELLED, FAILED, QUEUED, RUNNING
from db.types import utcnow


def remaining_epochs(session: Session, sweep_id: int, *, run_id: int | None = None) -> int:
    """Epochs still to train in `sweep_id` (only its run `run_id` when given): configured epochs of its queued
    and running runs minus the epochs already stored for them (early stopping can only make the true figure
    smaller)."""
    unfinished = (
        select(Run.id, Run.epochs)
        .join(SweepRun, SweepRun.run_id == Run.id)
        .where(SweepRun.sweep_id == sweep_id, Run.status.in_((QUEUED, RUNNING)), *_only(run_id))
        .subquery()
    )
    planned = session.execute(select(func.coalesce(func.sum(unfinished.c.epochs), 0))).scalar_one()
    done = session.execute(
        select(func.count()).select_from(EpochMetric).where(EpochMetric.run_id.in_(select(unfinished.c.id)))
    ).scalar_one()
    return max(0, int(planned) - int(done))


def release_runs(session: Session, *, workers: Sequence[str], max_attempts: int) -> Reaped:
    """Give back the runs held by `workers`, which the caller knows are dead (e.g. local worker processes
    that exited), as the reaper would: running runs go back to queued, to cancelled when a cancel is pending,
    or to failed when they have used `max_attempts` (a config that keeps killing its worker)."""
    if not workers:
        return Reaped(requeued_ids=(), failed_ids=(), cancelled_ids=())
    now = utcnow()
    lost = "worker process died while training"
    held = (Run.status == RUNNING) & Run.worker.in_(list(workers))

    def move(condition: object, **values: object) -> tuple[int, ...]:
        statement = update(RUN_TABLE).where(held, condition).values(heartbeat_at=None, **values).returning(Run.id)
        return tuple(sorted(session.execute(statement).scalars()))

    cancelled = move(Run.cancel_requested.is_(True), status=CANCELLED, finished_at=now, error=f"{lost}; cancelled")
    failed = move(
        Run.attempts >= max_attempts, status=FAILED, finished_at=now, error=f"{lost} on each of {max_attempts} attempts"
    )
    requeued = move(Run.attempts < max_attempts, status=QUEUED, error=f"{lost}; requeued")
    return Reaped(requeued_ids=requeued, failed_ids=failed, cancelled_ids=cancelled)


def claimable_runs(
    session: Session, sweep_id: int, *, max_attempts: int, run_id: int | None = None, with_running: bool = False
) -> list[int]:
    """Ids of `sweep_id`'s runs (only `run_id` when given) that a worker could claim now: queued, no cancel
    pending, fewer than `max_attempts` attempts used (`claim_run`'s rule for a queued run). `with_running`
    adds the running ones: a worker takes one over only if its holder is a dead process of its own host."""
    waiting = (Run.status == QUEUED) & Run.cancel_requested.is_(False) & (Run.attempts < max_attempts)
    statement = (
        select(Run.id)
        .join(SweepRun, SweepRun.run_id == Run.id)
        .where(SweepRun.sweep_id == sweep_id, waiting | (Run.status == RUNNING) if with_running else waiting)
        .where(*_only(run_id))
    )
    return list(session.execute(statement.order_by(Run.id)).scalars())


def attempts_used(session: Session, sweep_id: int, *, run_id: int | None = None) -> int:
    """Attempts used so far by `sweep_id`'s runs (only `run_id` when given): every claim adds one, so local
    worker processes that keep exiting while it stays put are failing before they can claim anything."""
    statement = (
        select(func.coalesce(func.sum(Run.attempts), 0))
        .join(SweepRun, SweepRun.run_id == Run.id)
        .where(SweepRun.sweep_id == sweep_id, *_only(run_id))
    )
    return int(session.execute(statement).scalar_one())


def _only(run_id: int | None) -> tuple[object, ...]:
    return () if run_id is None else (Run.id == run_id,)


def unclaimed_queued(
    session: Session,
    *,
    idle_seconds: float,
    engines: Sequence[str] | None = None,
    now: datetime | None = None,
) -> list[tuple[int, str]]:
    """(run id, engine) of queued runs that no worker has claimed for `idle_seconds`: neither since they were
    created nor since their last claim (a requeued run), optionally only on `engines`. In queue mode these
    may have lost their message (e.g. a broker restarted without persistence): the scheduler sends them again
    when their queue is empty (a duplicate delivery is a no-op)."""
    cutoff = (now or utcnow()) - timedelta(seconds=idle_seconds)
    last_taken = func.coalesce(Run.claimed_at, Run.created_at)
    statement = select(Run.id, Run.engine).where(
        Run.status == QUEUED, Run.cancel_requested.is_(False), last_taken < cutoff
    )
    if engines is not None:
        statement = statement.where(Run.engine.in_(list(engines)))
    return [(run_id, engine) for run_id, engine in session.execute(statement.order_by(Run.id))]
