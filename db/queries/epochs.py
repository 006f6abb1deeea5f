"""Per-epoch learning curves: one row per (run, epoch), overwritten when a run is trained again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.epochs import EPOCH_METRICS
from db.models import EPOCH_NANS, EpochMetric
from db.queries.bulk import match_any
from db.queries.rows import EPOCH_COLUMNS, core_rows, epoch_record, get_run
from db.records import EpochRecord

EPOCH_TABLE = EpochMetric.__table__
_WRITTEN = (*EPOCH_METRICS, "nan_mask")
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")


def upsert_epoch(session: Session, run_id: int, metrics: Mapping[str, float | int | None]) -> None:
    """Store one epoch of `run_id` (keys: epoch (1-based), train_loss, train_acc, val_loss, val_acc, seconds),
    replacing the row a previous attempt wrote for the same epoch. NaN, +-inf and None are kept apart.

    On PostgreSQL the transaction then commits without waiting for its WAL flush (SET LOCAL
    synchronous_commit = off): a crash of the database server may lose the last fraction of a second of
    commits, never consistency. That costs at most some rework: a lost epoch is rewritten by the re-delivered
    run, a lost finish_run in the same transaction leaves the run running until the reaper requeues it.
    """
    unknown = set(metrics) - {"epoch", *EPOCH_METRICS}
    if unknown:
        raise ValueError(
            f"unknown epoch field(s) {sorted(unknown)}: expected epoch, {', '.join(EPOCH_METRICS)}"
        )
    epoch = metrics.get("epoch")
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1:
        raise ValueError(f"epoch = {epoch!r}: expected a 1-based integer")
    backend = session.get_bind().dialect.name
    if backend == "postgresql":
        session.execute(_ASYNC_COMMIT)
    session.execute(_upsert_for(backend), {"run_id": run_id, "epoch": epoch, **EPOCH_NANS.encode(metrics)})


@cache
def _upsert_for(backend: str) -> Any:
    """INSERT ... ON CONFLICT (run_id, epoch) DO UPDATE, built once per backend (the worker's hot path)."""
    insert = postgresql.insert if backend == "postgresql" else sqlite.insert
    statement = insert(EPOCH_TABLE).values({name: bindparam(name) for name in ("run_id", "epoch", *_WRITTEN)})
    return statement.on_conflict_do_update(
        index_elements=["run_id", "epoch"], set_={name: statement.excluded[name] for name in _WRITTEN}
    )


def truncate_history(session: Session, run_id: int, *, keep_through: int) -> int:
    """Delete `run_id`'s epochs after `keep_through` (0: all of them), e.g. when an attempt starts afresh
    or resumes from a checkpoint, so a shorter new curve never ends in a stale tail. Returns rows deleted."""
    statement = delete(EPOCH_TABLE).where(EpochMetric.run_id == run_id, EpochMetric.epoch > keep_through)
    return session.execute(statement).rowcount


def run_history(session: Session, run_id: int) -> list[EpochRecord]:
    """`run_id`'s learning curve in epoch order; NotFoundError if there is no such run."""
    statement = select(*EPOCH_COLUMNS).where(EpochMetric.run_id == run_id).order_by(EpochMetric.epoch)
    rows = core_rows(session, statement)
    history = [epoch_record(row) for row in rows]
    if not history:
        get_run(session, run_id)  # raises NotFoundError for an unknown id
    return history


def run_histories(session: Session, run_ids: Sequence[int]) -> dict[int, list[EpochRecord]]:
    """Learning curves of several runs at once (for reports): run id -> epochs in order ([] if none)."""
    out: dict[int, list[EpochRecord]] = {run_id: [] for run_id in run_ids}
    for condition in match_any(session, EpochMetric.run_id, list(out)):
        rows = core_rows(
            session, select(*EPOCH_COLUMNS).where(condition).order_by(EpochMetric.run_id, EpochMetric.epoch)
        )
        for row in rows:
            record = epoch_record(row)
            out[record.run_id].append(record)
    return out
