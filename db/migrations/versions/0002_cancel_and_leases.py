"""Cooperative cancel and lease lookups: sweeps.cancelled, runs.cancel_requested, (status, heartbeat_at) index.

Existing rows get cancelled = false and cancel_requested = false. The (status, heartbeat_at) index replaces
the status-only one: it serves both "queued runs" and the reaper's "running with an expired heartbeat".

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sweeps", sa.Column("cancelled", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column(
        "runs", sa.Column("cancel_requested", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_index("ix_runs_status_heartbeat_at", "runs", ["status", "heartbeat_at"])
    op.drop_index("ix_runs_status", table_name="runs")


def downgrade() -> None:
    op.create_index("ix_runs_status", "runs", ["status"])
    op.drop_index("ix_runs_status_heartbeat_at", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("cancel_requested")
    with op.batch_alter_table("sweeps") as batch:
        batch.drop_column("cancelled")
