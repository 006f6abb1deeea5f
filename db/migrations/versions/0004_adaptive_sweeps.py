"""Adaptive sweeps: the `pruned` run status and every rung decision of ASHA and median stopping.

Existing runs are unchanged; the status check gains "pruned" (SQLite rebuilds the table in batch mode).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('queued', 'running', 'completed', 'failed', 'diverged', 'cancelled')"
NEW_STATUSES = "status IN ('queued', 'running', 'completed', 'failed', 'diverged', 'cancelled', 'pruned')"
VERDICTS = "verdict IN ('kept', 'pruned', 'diverged')"


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("ck_runs_status", type_="check")
        batch.create_check_constraint("ck_runs_status", sa.text(NEW_STATUSES))
    op.create_table(
        "rung_decisions",
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rung", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("metric", sa.String(16), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("reported", sa.Double(), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("cutoff", sa.Double(), nullable=True),
        sa.Column("compared", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(VERDICTS, name="ck_rung_decisions_verdict"),
        sa.ForeignKeyConstraint(
            ["sweep_id"], ["sweeps.id"], name="fk_rung_decisions_sweep_id_sweeps", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_rung_decisions_run_id_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sweep_id", "run_id", "rung", name="pk_rung_decisions"),
    )
    op.create_index("ix_rung_decisions_run_id", "rung_decisions", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_rung_decisions_run_id", table_name="rung_decisions")
    op.drop_table("rung_decisions")
    op.execute("UPDATE runs SET status = 'cancelled' WHERE status = 'pruned'")
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("ck_runs_status", type_="check")
        batch.create_check_constraint("ck_runs_status", sa.text(OLD_STATUSES))
