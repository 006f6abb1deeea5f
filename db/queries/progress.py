"""Work left in a sweep, giving back the runs of workers known to be dead, and finding runs nobody took."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from db.models import EpochMetric, Run, SweepRun
from db.queries.rows import RUN_TABLE
from db.status import CANCELLED, FAILED, QUEUED, RUNNING
from db.types import utcnow


def remaining_epochs(session: Session, sweep_id: int) -> int:
    """Epochs still to train in `sweep_id`: configured epochs of its queued and running runs minus the
    epochs already stored for them (early stopping can only make the true figure smaller)."""
    unfinished = (
        select(Run.id, Run.epochs)
        .join(SweepRun, SweepRun.run_id == Run.id)
        .where(SweepRun.sweep_id == sweep_id, Run.status.in_((QUEUED, RUNNING)))
        .subquery()
    )
    planned = session.execute(select(func.coalesce(func.sum(unfinished.c.epochs), 0))).scalar_one()
    done = session.execute(
        select(func.count()).select_from(EpochMetric).where(EpochMetric.run_id.in_(select(unfinished.c.id)))
    ).scalar_one()
    return max(0, int(planned) - int(done))


def release_runs(session: Session, *, workers: Sequence[str], max_attempts: int) -> tuple[int, ...]:
    """Give back the runs held by `workers`, which the caller knows are dead (e.g. local worker processes
    that exited): running runs go back to queued, to cancelled when a cancel is pending, or to failed when
    they have used `max_attempts` (a config that keeps killing its worker). Returns the ids put back in the
    queue."""
    if not workers:
        return ()
    now = utcnow()
    lost = "worker process died while training"
    held = (Run.status == RUNNING) & Run.worker.in_(list(workers))
    session.execute(
        update(RUN_TABLE)
        .where(held, Run.cancel_requested.is_(True) | (Run.attempts >= max_attempts))
        .values(
            status=case((Run.cancel_requested.is_(True), CANCELLED), else_=FAILED),
            finished_at=now,
            heartbeat_at=None,
            error=case(
                (Run.cancel_requested.is_(True), f"{lost}; cancelled"),
                else_=f"{lost} on each of {max_attempts} attempts",
            ),
        )
    )
    statement = (
        update(RUN_TABLE)
        .where(held)
        .values(status=QUEUED, heartbeat_at=None, error=f"{lost}; requeued")
        .returning(Run.id)
    )
    return tuple(sorted(session.execute(statement).scalars()))


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
