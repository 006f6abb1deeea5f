"""A sweep's learning curves in long format, one row per run and epoch, streamed: `mnistq history`.

The rows come from the database in batches (a server-side cursor on PostgreSQL), so exporting a 10,000-run
sweep never holds its curves in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.epochs import EPOCH_FIELDS
from db.models import EPOCH_NANS, EpochMetric, Run, SweepRun

CONFIG_FIELDS = (
    "engine", "dataset", "label_column", "hidden", "activation", "optimizer", "learning_rate", "momentum",
    "nesterov", "batch_size", "epochs", "l2", "dropout", "lr_schedule", "lr_step_epochs", "lr_gamma", "patience",
    "augment_shift", "seed", "val_fraction", "test_fraction", "dtype",
)  # the config keys, in TrainConfig's order (a test holds them equal)
HISTORY_FIELDS = ("run_id", "status", *CONFIG_FIELDS, *EPOCH_FIELDS)
BATCH_ROWS = 2000


def sweep_history(session: Session, sweep_id: int) -> Iterator[dict[str, Any]]:
    """Every epoch of every run of sweep `sweep_id` (reused runs included), by run id then epoch: a dict of
    HISTORY_FIELDS each (NaN metrics as float NaN, missing ones as None)."""
    statement = (
        select(
            Run.id, Run.status, *(getattr(Run, name) for name in CONFIG_FIELDS),
            *(getattr(EpochMetric, name) for name in EPOCH_FIELDS), EpochMetric.nan_mask,
        )
        .join(SweepRun, SweepRun.run_id == Run.id)
        .join(EpochMetric, EpochMetric.run_id == Run.id)
        .where(SweepRun.sweep_id == sweep_id)
        .order_by(Run.id, EpochMetric.epoch)
        .execution_options(yield_per=BATCH_ROWS)
    )
    for row in session.execute(statement):
        *values, mask = row
        record = dict(zip(HISTORY_FIELDS, values, strict=True))
        if mask:
            record.update(EPOCH_NANS.nans(mask))
        yield record
