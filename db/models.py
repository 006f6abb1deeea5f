"""The schema at the newest migration, as SQLAlchemy 2.0 typed ORM models.

These classes never leave `db`: queries turn rows into the frozen records of `db.records`. The migrations in
`db/migrations/versions/` create exactly this schema (a test compares them with Alembic's autogenerate).

    sweeps 1--n sweep_runs n--1 runs 1--n epoch_metrics
           1--n sweep_extensions         1--n artifacts (one "final", one "checkpoint")
           1--n rung_decisions n--1 runs (adaptive sweeps: one decision per sweep, run and rung)

`runs`, `epoch_metrics` and `sweeps` rows carry a `change_seq`, stamped by database triggers on every write
that is news, and a new `sweep_runs` row stamps its run (see ChangeClock and migration 0006), for "what changed
since" queries.

A run is identified by its config hash (UNIQUE): a config submitted again by a later sweep is linked to it
through `sweep_runs` rather than trained twice. `runs.sweep_id` is the sweep that first created it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.epochs import EPOCH_METRICS
from db.status import ARTIFACT_KINDS, STATUSES, VERDICTS
from db.types import NanMask, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_METRICS = ("train_acc", "train_loss", "val_acc", "val_loss", "test_acc", "test_loss", "train_seconds")
RUN_NANS = NanMask(RUN_METRICS)
EPOCH_NANS = NanMask(EPOCH_METRICS)


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Sweep(Base):
    """One submitted grid spec."""

    __tablename__ = "sweeps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)  # the submitted spec, as parsed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled: Mapped[bool] = mapped_column(Boolean, server_default=false())
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default="0", index=True)  # see ChangeClock


class SweepExtension(Base):
    """A spec added to an existing sweep by `submit --extend`, as submitted (the sweep keeps its first spec)."""

    __tablename__ = "sweep_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # in submission order
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)  # the extending spec, as parsed (its own name included)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SweepRun(Base):
    """Membership: which runs a sweep asked for (a reused run belongs to several sweeps)."""

    __tablename__ = "sweep_runs"

    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Run(Base):
    """One training config, its lease and its final metrics. Units: seconds, accuracies in [0, 1]."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(_in_list("status", STATUSES), name="status"),
        Index("ix_runs_status_heartbeat_at", "status", "heartbeat_at"),  # claim/reaper: expired leases
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id"), index=True)  # the creating sweep
    engine: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)  # TrainConfig.to_dict()
    config_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex of the canonical JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # typed copies of config keys, for filters (NULL when the config lacks the key)
    dataset: Mapped[str | None] = mapped_column(Text)
    hidden: Mapped[str | None] = mapped_column(String(400))  # "256,128,64"
    depth: Mapped[int | None] = mapped_column(Integer)  # number of hidden layers
    learning_rate: Mapped[float | None] = mapped_column(Double)
    batch_size: Mapped[int | None] = mapped_column(Integer)
    epochs: Mapped[int | None] = mapped_column(Integer)
    optimizer: Mapped[str | None] = mapped_column(String(32))
    activation: Mapped[str | None] = mapped_column(String(32))
    l2: Mapped[float | None] = mapped_column(Double)
    momentum: Mapped[float | None] = mapped_column(Double)
    seed: Mapped[int | None] = mapped_column(BigInteger)  # up to 2**32 - 1
    dropout: Mapped[float | None] = mapped_column(Double)
    lr_schedule: Mapped[str | None] = mapped_column(String(32))
    lr_step_epochs: Mapped[int | None] = mapped_column(Integer)
    lr_gamma: Mapped[float | None] = mapped_column(Double)
    patience: Mapped[int | None] = mapped_column(Integer)
    augment_shift: Mapped[int | None] = mapped_column(Integer)
    nesterov: Mapped[int | None] = mapped_column(Integer)  # 0 or 1: filters compare it as a number
    dtype: Mapped[str | None] = mapped_column(String(16))
    val_fraction: Mapped[float | None] = mapped_column(Double)
    test_fraction: Mapped[float | None] = mapped_column(Double)
    label_column: Mapped[str | None] = mapped_column(Text)
    # lifecycle and lease
    status: Mapped[str] = mapped_column(String(16))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, server_default=false())
    attempts: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str | None] = mapped_column(String(200))  # the holder of the current (or last) lease
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # final metrics (NaN encoded through nan_mask, see db.types.NanMask)
    train_acc: Mapped[float | None] = mapped_column(Double)
    train_loss: Mapped[float | None] = mapped_column(Double)
    val_acc: Mapped[float | None] = mapped_column(Double, index=True)  # leaderboards
    val_loss: Mapped[float | None] = mapped_column(Double)
    test_acc: Mapped[float | None] = mapped_column(Double)
    test_loss: Mapped[float | None] = mapped_column(Double)
    best_epoch: Mapped[int | None] = mapped_column(Integer)
    train_seconds: Mapped[float | None] = mapped_column(Double)
    nan_mask: Mapped[int] = mapped_column(Integer, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default="0", index=True)  # see ChangeClock


class RungDecision(Base):
    """An adaptive sweep's decision on one of its runs at one rung epoch, with the figures it was made from.

    Keyed by (sweep, run, rung) because a run is shared by every sweep that asked for its config, and each
    sweep judges it by its own rule. Written once, in the transaction that stores the rung's epoch; a second
    writer (a redelivered task) reads the first one's decision instead. NULL metric values are non-finite
    (a diverged run): the worst result at their rung.
    """

    __tablename__ = "rung_decisions"
    __table_args__ = (CheckConstraint(_in_list("verdict", VERDICTS), name="verdict"),)

    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True, index=True)
    rung: Mapped[int] = mapped_column(Integer, primary_key=True)  # the 1-based epoch judged
    rule: Mapped[str] = mapped_column(String(16))  # "asha" or "median"
    metric: Mapped[str] = mapped_column(String(16))  # "val_loss" or "val_acc"
    value: Mapped[float | None] = mapped_column(Double)  # what this run was judged by (ASHA: the metric at
    # the rung; median: its best so far)
    reported: Mapped[float | None] = mapped_column(Double)  # what later runs compare with (ASHA: the same;
    # median: the running mean over epochs 1..rung)
    verdict: Mapped[str] = mapped_column(String(16))  # "kept", "pruned" or "diverged"
    cutoff: Mapped[float | None] = mapped_column(Double)  # the value a result had to reach; NULL: no rule yet
    compared: Mapped[int] = mapped_column(Integer)  # results compared
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EpochMetric(Base):
    """One row of a run's learning curve; a re-delivered run overwrites its rows (primary key run, epoch)."""

    __tablename__ = "epoch_metrics"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based
    train_loss: Mapped[float | None] = mapped_column(Double)
    train_acc: Mapped[float | None] = mapped_column(Double)
    val_loss: Mapped[float | None] = mapped_column(Double)
    val_acc: Mapped[float | None] = mapped_column(Double)
    seconds: Mapped[float | None] = mapped_column(Double)
    nan_mask: Mapped[int] = mapped_column(Integer, server_default="0")
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default="0", index=True)  # see ChangeClock


class Artifact(Base):
    """A run's weights as .npz bytes, kept in the database with their SHA-256."""

    __tablename__ = "artifacts"
    __table_args__ = (
        UniqueConstraint("run_id", "kind"),
        CheckConstraint(_in_list("kind", ARTIFACT_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "final" or "checkpoint"
    format: Mapped[str] = mapped_column(String(16))  # "npz"
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)  # bytes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ChangeClock(Base):
    """SQLite's change counter: one row (id 1), counted up by the triggers of migration 0006, each stamping the
    row it follows with the new `seq` as its `change_seq` (db/queries/changes.py reads them).

    PostgreSQL stamps rows with the writing transaction's id instead and leaves this table unused. It exists
    there anyway: one schema on both backends keeps the models and the migrations comparable as they are
    (tests/db/test_migrations.py), where a SQLite-only table would need a per-backend filter.
    """

    __tablename__ = "change_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
