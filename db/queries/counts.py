"""A sweep's progress: runs per status and timing, computed from the runs (never stored)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from db.models import EpochMetric, Run, SweepRun
from db.queries.rows import get_sweep
from db.records import SweepCounts
from db.status import FINISHED, RUNNING, STATUSES
from db.types import UTCDateTime, utcnow


def sweep_counts(
    session: Session,
    sweep_id: int,
    *,
    recent_minutes: float = 5.0,
    now: datetime | None = None,
    run_id: int | None = None,
) -> SweepCounts:
    """Counts per status and timing of sweep `sweep_id`'s runs (reused runs included), or of its run `run_id`
    alone when given (`mnistq retry --run` watches one run).

    `finished_recently` counts runs finished within the last `recent_minutes` (throughput).
    NotFoundError if the sweep does not exist.
    """
    get_sweep(session, sweep_id)
    now = now or utcnow()
    members = select(SweepRun.run_id).where(SweepRun.sweep_id == sweep_id)
    if run_id is not None:
        members = members.where(SweepRun.run_id == run_id)
    in_sweep = Run.id.in_(members)
    by_status = dict.fromkeys(STATUSES, 0)
    cancel_requested = 0
    rows = session.execute(
        select(Run.status, func.count(), func.sum(case((Run.cancel_requested, 1), else_=0), type_=Integer))
        .where(in_sweep)
        .group_by(Run.status)
    )
    for status, count, requested in rows:
        by_status[status] = count
        if status == RUNNING:  # a run that stopped keeps its flag, but is no longer being asked to stop
            cancel_requested = requested or 0
    finished = Run.status.in_(FINISHED)
    cutoff = now - timedelta(minutes=recent_minutes)
    timing = session.execute(
        select(
            func.sum(case((finished, Run.train_seconds))),
            func.avg(case((finished, Run.train_seconds))),
            func.sum(case((Run.finished_at >= cutoff, 1), else_=0), type_=Integer),
            func.min(Run.started_at, type_=UTCDateTime),
            func.max(case((finished, Run.finished_at)), type_=UTCDateTime),
        ).where(in_sweep)
    ).one()
    mean_epoch = session.execute(
        select(func.avg(EpochMetric.seconds)).where(EpochMetric.run_id.in_(members))
    ).scalar()
    return SweepCounts(
        sweep_id=sweep_id,
        by_status=by_status,
        cancel_requested=cancel_requested,
        total_train_seconds=float(timing[0] or 0.0),
        mean_train_seconds=None if timing[1] is None else float(timing[1]),
        mean_epoch_seconds=None if mean_epoch is None else float(mean_epoch),
        finished_recently=timing[2] or 0,
        recent_minutes=recent_minutes,
        first_started_at=timing[3],
        last_finished_at=timing[4],
    )
