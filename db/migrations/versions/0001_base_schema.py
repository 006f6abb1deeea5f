"""Base schema: sweeps, their runs, per-epoch metrics and weight artifacts.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = "status IN ('queued', 'running', 'completed', 'failed', 'diverged', 'cancelled')"
KINDS = "kind IN ('final', 'checkpoint')"


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sweeps"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(32), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dataset", sa.Text(), nullable=True),
        sa.Column("hidden", sa.String(400), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=True),
        sa.Column("learning_rate", sa.Double(), nullable=True),
        sa.Column("batch_size", sa.Integer(), nullable=True),
        sa.Column("epochs", sa.Integer(), nullable=True),
        sa.Column("optimizer", sa.String(32), nullable=True),
        sa.Column("activation", sa.String(32), nullable=True),
        sa.Column("l2", sa.Double(), nullable=True),
        sa.Column("momentum", sa.Double(), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("train_acc", sa.Double(), nullable=True),
        sa.Column("train_loss", sa.Double(), nullable=True),
        sa.Column("val_acc", sa.Double(), nullable=True),
        sa.Column("val_loss", sa.Double(), nullable=True),
        sa.Column("test_acc", sa.Double(), nullable=True),
        sa.Column("test_loss", sa.Double(), nullable=True),
        sa.Column("best_epoch", sa.Integer(), nullable=True),
        sa.Column("train_seconds", sa.Double(), nullable=True),
        sa.Column("nan_mask", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(STATUSES, name="ck_runs_status"),
        sa.ForeignKeyConstraint(["sweep_id"], ["sweeps.id"], name="fk_runs_sweep_id_sweeps"),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.UniqueConstraint("config_hash", name="uq_runs_config_hash"),
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_sweep_id", "runs", ["sweep_id"])
    op.create_index("ix_runs_val_acc", "runs", ["val_acc"])
    op.create_table(
        "sweep_runs",
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sweep_id"], ["sweeps.id"], name="fk_sweep_runs_sweep_id_sweeps", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_sweep_runs_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sweep_id", "run_id", name="pk_sweep_runs"),
    )
    op.create_index("ix_sweep_runs_run_id", "sweep_runs", ["run_id"])
    op.create_table(
        "epoch_metrics",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("train_loss", sa.Double(), nullable=True),
        sa.Column("train_acc", sa.Double(), nullable=True),
        sa.Column("val_loss", sa.Double(), nullable=True),
        sa.Column("val_acc", sa.Double(), nullable=True),
        sa.Column("seconds", sa.Double(), nullable=True),
        sa.Column("nan_mask", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_epoch_metrics_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "epoch", name="pk_epoch_metrics"),
    )
    op.create_table(
        "artifacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(KINDS, name="ck_artifacts_kind"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_artifacts_run_id_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_artifacts"),
        sa.UniqueConstraint("run_id", "kind", name="uq_artifacts_run_id_kind"),
    )


def downgrade() -> None:
    op.drop_table("artifacts")
    op.drop_table("epoch_metrics")
    op.drop_index("ix_sweep_runs_run_id", table_name="sweep_runs")
    op.drop_table("sweep_runs")
    op.drop_index("ix_runs_val_acc", table_name="runs")
    op.drop_index("ix_runs_sweep_id", table_name="runs")
    op.drop_index("ix_runs_status", table_name="runs")
    op.drop_table("runs")
    op.drop_table("sweeps")
