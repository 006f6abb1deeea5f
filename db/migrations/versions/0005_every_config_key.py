"""Every config key a typed column: dropout, lr_schedule, lr_step_epochs, lr_gamma, patience, augment_shift,
nesterov (0/1), dtype, val_fraction, test_fraction and label_column, for filters, ordering and CSV.

Existing runs get the values from their stored config (NULL where the config lacks the key, as for the
columns of 0001).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    ("dropout", sa.Double()),
    ("lr_schedule", sa.String(32)),
    ("lr_step_epochs", sa.Integer()),
    ("lr_gamma", sa.Double()),
    ("patience", sa.Integer()),
    ("augment_shift", sa.Integer()),
    ("nesterov", sa.Integer()),
    ("dtype", sa.String(16)),
    ("val_fraction", sa.Double()),
    ("test_fraction", sa.Double()),
    ("label_column", sa.Text()),
)
BATCH = 1000


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("runs", sa.Column(name, type_, nullable=True))
    connection = op.get_bind()
    runs = sa.table("runs", sa.column("id", sa.Integer()), sa.column("config", sa.JSON()),
                    *(sa.column(name, type_) for name, type_ in COLUMNS))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(runs.c.id, runs.c.config).where(runs.c.id > last).order_by(runs.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for run_id, config in rows:
            values = _typed(config if isinstance(config, dict) else json.loads(config or "{}"))
            connection.execute(sa.update(runs).where(runs.c.id == run_id).values(**values))
        last = rows[-1][0]


def _typed(config: dict) -> dict:
    values = {name: config.get(name) for name, _ in COLUMNS}
    if values["nesterov"] is not None:
        values["nesterov"] = int(bool(values["nesterov"]))
    return values


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
