"""Exactly-once effect on an at-least-once queue: claims, leases, heartbeats, finishing, reaping.

Every transition is ONE conditional UPDATE whose WHERE clause states the expected current state, so when two
workers race for a run the database lets exactly one of them match (PostgreSQL re-checks the WHERE clause on
the row version it locked; SQLite has a single writer). A worker holds a run while it is `running` with its
name in `worker`; it renews the lease with `heartbeat` (at least every `lease_seconds`), and a run whose
heartbeat is older than that may be claimed again or put back by the reaper (`requeue_expired`).

Times come from this machine's clock (UTC): keep worker clocks in sync (NTP); leases of tens of seconds to
minutes make a second of skew irrelevant. `now` is injectable for tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, or_, update
from sqlalchemy.orm import Session

from db.models import RUN_METRICS, RUN_NANS, Run
from db.queries.rows import RUN_COLUMNS, RUN_TABLE, run_record
from db.records import Reaped, RunControl, RunRecord
from db.status import CANCELLED, FAILED, FINISH_STATUSES, QUEUED, RUNNING
from db.types import UTCDateTime, utcnow


def claim_run(
    session: Session,
    run_id: int,
    *,
    worker: str,
    lease_seconds: float,
    max_attempts: int,
    now: datetime | None = None,
) -> RunRecord | None:
    """Take run `run_id` for `worker` if it is queued, or running with a lease older than `lease_seconds`,
    and has used fewer than `max_attempts` attempts. Returns the claimed run (attempts incremented), or None
    if someone else holds it, it finished, it was cancelled, or it is out of attempts."""
    now = now or utcnow()
    claimable = and_(
        Run.id == run_id,
        Run.attempts < max_attempts,
        Run.cancel_requested.is_(False),
        or_(Run.status == QUEUED, _expired(now, lease_seconds)),
    )
    statement = (
        update(RUN_TABLE)
        .where(claimable)
        .values(
            status=RUNNING,
            attempts=Run.attempts + 1,
            worker=worker,
            claimed_at=now,
            heartbeat_at=now,
            started_at=now,
            finished_at=None,
        )
        .returning(*RUN_COLUMNS)
    )
    row = session.execute(statement).first()
    return None if row is None else run_record(row)


# built once: the worker runs this every epoch
_HEARTBEAT = (
    update(RUN_TABLE)
    .where(Run.id == bindparam("hb_run_id"), Run.worker == bindparam("hb_worker"), Run.status == RUNNING)
    .values(heartbeat_at=bindparam("hb_now", type_=UTCDateTime))
    .returning(Run.cancel_requested)
)


def heartbeat(session: Session, run_id: int, worker: str, *, now: datetime | None = None) -> RunControl:
    """Renew `worker`'s lease on `run_id`. Call it every epoch, in the same transaction as the epoch write:
    stop training when `holds_lease` is False (the run was taken over) or `cancel_requested` is True."""
    params = {"hb_run_id": run_id, "hb_worker": worker, "hb_now": now or utcnow()}
    cancel_requested = session.execute(_HEARTBEAT, params).scalar()
    return RunControl(holds_lease=cancel_requested is not None, cancel_requested=bool(cancel_requested))


def finish_run(
    session: Session,
    run_id: int,
    *,
    worker: str,
    status: str,
    metrics: Mapping[str, float | int | None],
    error: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record the end of `worker`'s training of `run_id`: a status of FINISH_STATUSES and
    the final metrics (keys of RUN_METRICS plus "best_epoch"; missing ones are stored as None, NaN and inf
    are kept). Returns False, changing nothing, if `worker` no longer holds the run."""
    if status not in FINISH_STATUSES:
        raise ValueError(f"finish status {status!r}: expected one of {', '.join(FINISH_STATUSES)}")
    unknown = set(metrics) - {*RUN_METRICS, "best_epoch"}
    if unknown:
        raise ValueError(
            f"unknown metric(s) {sorted(unknown)}: expected {', '.join(RUN_METRICS)}, best_epoch"
        )
    best_epoch = metrics.get("best_epoch")
    now = now or utcnow()
    statement = (
        update(RUN_TABLE)
        .where(Run.id == run_id, Run.worker == worker, Run.status == RUNNING)
        .values(
            **RUN_NANS.encode(metrics),
            best_epoch=None if best_epoch is None or math.isnan(best_epoch) else int(best_epoch),
            status=status,
            error=error,
            heartbeat_at=now,
            finished_at=now,
        )
        .returning(Run.id)
    )
    return session.execute(statement).first() is not None


def fail_run(
    session: Session,
    run_id: int,
    *,
    worker: str,
    error: str,
    final: bool,
    now: datetime | None = None,
) -> bool:
    """Record that `worker`'s attempt at `run_id` raised `error`. `final` marks the run failed; otherwise it
    goes back to the queue for another attempt (or to cancelled if a cancel is pending). Returns False if
    `worker` no longer holds the run."""
    now = now or utcnow()
    if final:
        status, finished_at = FAILED, now
    else:
        status = case((Run.cancel_requested.is_(True), CANCELLED), else_=QUEUED)
        finished_at = case((Run.cancel_requested.is_(True), now), else_=None)
    statement = (
        update(RUN_TABLE)
        .where(Run.id == run_id, Run.worker == worker, Run.status == RUNNING)
        .values(status=status, error=error, heartbeat_at=None, finished_at=finished_at)
        .returning(Run.id)
    )
    return session.execute(statement).first() is not None


def requeue_expired(
    session: Session, *, lease_seconds: float, max_attempts: int, now: datetime | None = None
) -> Reaped:
    """The reaper: running runs whose heartbeat is older than `lease_seconds` lost their worker. A pending
    cancel makes them cancelled, an exhausted attempt budget failed, anything else queued again (send the
    `requeued_ids` to the queue)."""
    now = now or utcnow()
    lost = f"worker lost: no heartbeat for {lease_seconds:g} s"

    def move(condition: object, **values: object) -> tuple[int, ...]:
        statement = (
            update(RUN_TABLE)
            .where(_expired(now, lease_seconds), condition)
            .values(heartbeat_at=None, **values)
            .returning(Run.id)
        )
        return tuple(sorted(session.execute(statement).scalars()))

    cancelled = move(
        Run.cancel_requested.is_(True), status=CANCELLED, finished_at=now, error=f"{lost}; cancelled"
    )
    failed = move(
        Run.attempts >= max_attempts,
        status=FAILED,
        finished_at=now,
        error=f"{lost} after {max_attempts} attempts",
    )
    requeued = move(Run.attempts < max_attempts, status=QUEUED, error=f"{lost}; requeued")
    return Reaped(requeued_ids=requeued, failed_ids=failed, cancelled_ids=cancelled)


def _expired(now: datetime, lease_seconds: float) -> object:
    return and_(Run.status == RUNNING, Run.heartbeat_at < now - timedelta(seconds=lease_seconds))
