"""A sweep's progress: runs per status and timing, computed from the runs (never stored)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, and_, case, func, or_, select
from sqlalchemy.orm import Session

from db.models import EpochMetric, Run, SweepRun
from db.queries.rows import get_sweep
from db.records import SweepCounts
from db.status import FINISHED, RUNNING, STATUSES
from db.types import UTCDateTime, utcnow


def sweep_counts(
    session: Session, sweep_id: int, *, now: datetime | None = None, run_id: int | None = None
) -> SweepCounts:
    """Counts per status and timing of sweep `sweep_id`'s runs (reused runs included in the counts), or of its
    run `run_id` alone when given (`mnistq retry --run` watches one run).

    Throughput fields (`trained_runs`, `span_started_at`, `span_finished_at`) cover the runs this sweep waited
    for: started, and running or finished at or after the sweep's creation. `now` (default: the clock) is
    stored as `counted_at`, the end of an active sweep's span. NotFoundError if the sweep does not exist.
    """
    created = get_sweep(session, sweep_id).created_at
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
    ours = and_(Run.started_at.is_not(None), or_(Run.finished_at.is_(None), Run.finished_at >= created))
    timing = session.execute(
        select(
            func.sum(case((finished, Run.train_seconds))),
            func.avg(case((finished, Run.train_seconds))),
            func.min(Run.started_at, type_=UTCDateTime),
            func.max(case((finished, Run.finished_at)), type_=UTCDateTime),
            func.sum(case((and_(ours, finished), 1), else_=0), type_=Integer),
            func.min(case((ours, Run.started_at)), type_=UTCDateTime),
            func.max(case((and_(ours, finished), Run.finished_at)), type_=UTCDateTime),
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
        first_started_at=timing[2],
        last_finished_at=timing[3],
        trained_runs=timing[4] or 0,
        span_started_at=timing[5],
        span_finished_at=timing[6],
        counted_at=now,
    )
