"""Sweeps as a whole: listing, membership, cancelling and retrying (a sweep's runs, or one run)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased

from core.ids import parse_id
from db.errors import UserError
from db.models import Run, Sweep, SweepRun
from db.queries.artifacts import delete_artifact
from db.queries.rows import (
    RUN_TABLE,
    SWEEP_COLUMNS,
    SWEEP_TABLE,
    get_run,
    get_sweep,
    requeue_values,
    sweep_record,
)
from db.records import RunRecord, SweepCancelled, SweepRecord
from db.status import CANCELLED, COMPLETED, DIVERGED, FAILED, PRUNED, QUEUED, RUNNING, STATUSES
from db.types import utcnow

RETRYABLE = (FAILED, CANCELLED, DIVERGED, COMPLETED)  # what `retry --run` queues again; a sweep retries the first two


def list_sweeps(session: Session, *, limit: int | None = None) -> list[SweepRecord]:
    """Sweeps, newest first."""
    statement = select(*SWEEP_COLUMNS).order_by(Sweep.id.desc()).limit(limit)
    return [sweep_record(row) for row in session.execute(statement).mappings()]


def resolve_sweep(session: Session, ref: str) -> int:
    """A sweep id from a user's SWEEP argument: an integer id, or `latest` for the newest sweep.

    NotFoundError for an unknown id; UserError for a malformed reference or an empty store.
    """
    text = ref.strip()
    if text.lower() == "latest":
        newest = list_sweeps(session, limit=1)
        if not newest:
            raise UserError("no sweeps in the store yet; submit one with `mnistq submit SPEC`")
        return newest[0].id
    return get_sweep(session, parse_id(ref, "sweep", listing="mnistq sweeps", alternatives=" or 'latest'")).id


def sweep_run_ids(session: Session, sweep_id: int, *, statuses: Sequence[str] | None = None) -> list[int]:
    """Ids of the runs sweep `sweep_id` asked for (reused ones included), optionally only in `statuses`."""
    get_sweep(session, sweep_id)
    statement = select(Run.id).join(SweepRun, SweepRun.run_id == Run.id).where(SweepRun.sweep_id == sweep_id)
    if statuses is not None:
        unknown = set(statuses) - set(STATUSES)
        if unknown:
            raise ValueError(f"unknown status(es) {sorted(unknown)}: expected {', '.join(STATUSES)}")
        statement = statement.where(Run.status.in_(statuses))
    return list(session.execute(statement.order_by(Run.id)).scalars())


def cancel_sweep(session: Session, sweep_id: int, *, now: datetime | None = None) -> SweepCancelled:
    """Cancel sweep `sweep_id`: its queued runs become cancelled, its running ones get `cancel_requested`
    (their worker stops at the next epoch). A run that another, uncancelled sweep also asked for is left
    alone: it is still wanted."""
    get_sweep(session, sweep_id)
    session.execute(update(SWEEP_TABLE).where(Sweep.id == sweep_id).values(cancelled=True))
    other = aliased(SweepRun)
    wanted_elsewhere = exists().where(
        other.run_id == Run.id,
        other.sweep_id != sweep_id,
        other.sweep_id == Sweep.id,
        Sweep.cancelled.is_(False),
    )
    members = select(SweepRun.run_id).where(SweepRun.sweep_id == sweep_id)
    ours = (Run.id.in_(members), ~wanted_elsewhere)

    def move(current: str, **values: object) -> tuple[int, ...]:
        statement = update(RUN_TABLE).where(*ours, Run.status == current).values(**values).returning(Run.id)
        return tuple(sorted(session.execute(statement).scalars()))

    cancelled = move(
        QUEUED, status=CANCELLED, finished_at=now or utcnow(), error="cancelled before it started"
    )
    requested = move(RUNNING, cancel_requested=True)
    return SweepCancelled(cancelled_ids=cancelled, cancel_requested_ids=requested)


def retry_sweep(session: Session, sweep_id: int, *, statuses: Sequence[str] = (FAILED,)) -> list[int]:
    """Put sweep `sweep_id`'s runs in `statuses` (failed ones; `mnistq retry --cancelled` adds cancelled ones)
    back on the queue with a fresh attempt budget; returns their ids (send them to the queue).

    A run keeps its checkpoint and resumes from it. Retrying cancelled runs reopens the sweep, and its running
    runs that were asked to stop carry on instead."""
    unknown = set(statuses) - set(RETRYABLE)
    if unknown:
        raise ValueError(f"cannot retry status(es) {sorted(unknown)}: expected {', '.join(RETRYABLE)}")
    get_sweep(session, sweep_id)
    members = select(SweepRun.run_id).where(SweepRun.sweep_id == sweep_id)
    statement = (
        update(RUN_TABLE)
        .where(Run.id.in_(members), Run.status.in_(list(statuses)))
        .values(requeue_values())
        .returning(Run.id)
    )
    retried = sorted(session.execute(statement).scalars())
    if CANCELLED in statuses:
        session.execute(
            update(RUN_TABLE)
            .where(Run.id.in_(members), Run.status == RUNNING, Run.cancel_requested.is_(True))
            .values(cancel_requested=False)
        )
        session.execute(update(SWEEP_TABLE).where(Sweep.id == sweep_id).values(cancelled=False))
    return retried


def retry_run(session: Session, run_id: int) -> tuple[RunRecord, str]:
    """Put run `run_id` back on the queue with a fresh attempt budget, however it ended (failed, cancelled,
    diverged, or completed: e.g. when its stored weights were found corrupt; not pruned). Returns the queued run and the
    status it had. A completed run's final weights are dropped (the run will store new ones); a checkpoint is
    kept, to resume from. A queued run is returned as it is (send it again); UserError for a running one."""
    run = get_run(session, run_id)
    if run.status == RUNNING:
        raise UserError(
            f"run {run_id} is running (worker {run.worker}); retry it once it has stopped "
            "(`mnistq reap` gives back the run of a worker that died)"
        )
    if run.status == QUEUED:
        return run, QUEUED
    if run.status == PRUNED:  # every sweep holding it decided so: queued again, it would stop where it stands
        raise UserError(
            f"run {run_id} was pruned by its adaptive sweep (see `mnistq show {run_id}`), and would be again: "
            "to train it to the end, submit a spec without [search] that holds its config"
        )
    statement = (
        update(RUN_TABLE).where(Run.id == run_id, Run.status == run.status).values(requeue_values()).returning(Run.id)
    )
    if session.execute(statement).first() is None:  # it changed meanwhile (a resubmission queued it)
        return retry_run(session, run_id)
    delete_artifact(session, run_id, "final")
    return get_run(session, run_id), run.status
