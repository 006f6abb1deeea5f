"""Sweep extensions: every spec that `submit --extend` added to a sweep, as submitted, and when.

A new table; existing sweeps have no recorded extension (earlier versions kept none).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sweep_id"], ["sweeps.id"], name="fk_sweep_extensions_sweep_id_sweeps", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sweep_extensions"),
    )
    op.create_index("ix_sweep_extensions_sweep_id", "sweep_extensions", ["sweep_id"])


def downgrade() -> None:
    op.drop_index("ix_sweep_extensions_sweep_id", table_name="sweep_extensions")
    op.drop_table("sweep_extensions")
