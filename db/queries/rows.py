"""Shared plumbing for the query modules: row -> record conversion, id lookups, chunking, dialect upserts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import RowMapping, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.errors import NotFoundError
from db.models import EPOCH_NANS, RUN_METRICS, RUN_NANS, Run, Sweep
from db.records import EpochRecord, RunRecord, SweepRecord
from db.status import QUEUED

CHUNK = 500  # values per IN (...) list or INSERT batch: well inside SQLite's and PostgreSQL's limits

T = TypeVar("T")

RUN_TABLE: Table = Run.__table__  # type: ignore[assignment]
SWEEP_TABLE: Table = Sweep.__table__  # type: ignore[assignment]


def requeue_values() -> dict[str, Any]:
    """Column values that put a run back on the queue with a fresh attempt budget and no result."""
    cleared: dict[str, Any] = {name: None for name in (*RUN_METRICS, "best_epoch", "error", "worker")}
    cleared.update(claimed_at=None, heartbeat_at=None, started_at=None, finished_at=None)
    return {**cleared, "status": QUEUED, "attempts": 0, "cancel_requested": False, "nan_mask": 0}


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def dialect_insert(session: Session, table: Any) -> Any:
    """INSERT with .on_conflict_do_nothing/.on_conflict_do_update for the session's backend."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def run_record(row: RowMapping) -> RunRecord:
    values = dict(row)
    values.update(RUN_NANS.decode(values, values.pop("nan_mask")))
    return RunRecord(**values)


def epoch_record(row: RowMapping) -> EpochRecord:
    values = dict(row)
    values.update(EPOCH_NANS.decode(values, values.pop("nan_mask")))
    return EpochRecord(**values)


def sweep_record(row: RowMapping) -> SweepRecord:
    return SweepRecord(**row)


def select_runs() -> Any:
    """SELECT every runs column (as plain rows, never ORM identities that could go stale)."""
    return select(RUN_TABLE)


def get_run(session: Session, run_id: int) -> RunRecord:
    """The run with this id; NotFoundError (one line) if there is none."""
    row = session.execute(select_runs().where(Run.id == run_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no run {run_id}; see `mnistq runs`")
    return run_record(row)


def get_sweep(session: Session, sweep_id: int) -> SweepRecord:
    """The sweep with this id; NotFoundError (one line) if there is none."""
    row = session.execute(select(SWEEP_TABLE).where(Sweep.id == sweep_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no sweep {sweep_id}; see `mnistq sweeps`")
    return sweep_record(row)
