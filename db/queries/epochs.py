"""Per-epoch learning curves: one row per (run, epoch), overwritten when a run is trained again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import EPOCH_METRICS, EPOCH_NANS, EpochMetric
from db.queries.bulk import match_any
from db.queries.rows import dialect_insert, epoch_record, get_run
from db.records import EpochRecord

EPOCH_TABLE = EpochMetric.__table__


def upsert_epoch(session: Session, run_id: int, metrics: Mapping[str, float | int | None]) -> None:
    """Store one epoch of `run_id` (keys: epoch (1-based), train_loss, train_acc, val_loss, val_acc, seconds),
    replacing the row a previous attempt wrote for the same epoch. NaN, +-inf and None are kept apart."""
    unknown = set(metrics) - {"epoch", *EPOCH_METRICS}
    if unknown:
        raise ValueError(
            f"unknown epoch field(s) {sorted(unknown)}: expected epoch, {', '.join(EPOCH_METRICS)}"
        )
    epoch = metrics.get("epoch")
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1:
        raise ValueError(f"epoch = {epoch!r}: expected a 1-based integer")
    values = EPOCH_NANS.encode(metrics)
    statement = dialect_insert(session, EPOCH_TABLE).values(run_id=run_id, epoch=epoch, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["run_id", "epoch"], set_=values))


def truncate_history(session: Session, run_id: int, *, keep_through: int) -> int:
    """Delete `run_id`'s epochs after `keep_through` (0: all of them), e.g. when an attempt starts afresh
    or resumes from a checkpoint, so a shorter new curve never ends in a stale tail. Returns rows deleted."""
    statement = delete(EPOCH_TABLE).where(EpochMetric.run_id == run_id, EpochMetric.epoch > keep_through)
    return session.execute(statement).rowcount


def run_history(session: Session, run_id: int) -> list[EpochRecord]:
    """`run_id`'s learning curve in epoch order; NotFoundError if there is no such run."""
    rows = session.execute(
        select(EPOCH_TABLE).where(EpochMetric.run_id == run_id).order_by(EpochMetric.epoch)
    ).mappings()
    history = [epoch_record(row) for row in rows]
    if not history:
        get_run(session, run_id)  # raises NotFoundError for an unknown id
    return history


def run_histories(session: Session, run_ids: Sequence[int]) -> dict[int, list[EpochRecord]]:
    """Learning curves of several runs at once (for reports): run id -> epochs in order ([] if none)."""
    out: dict[int, list[EpochRecord]] = {run_id: [] for run_id in run_ids}
    for condition in match_any(session, EpochMetric.run_id, list(out)):
        rows = session.execute(
            select(EPOCH_TABLE).where(condition).order_by(EpochMetric.run_id, EpochMetric.epoch)
        ).mappings()
        for row in rows:
            out[row["run_id"]].append(epoch_record(row))
    return out
