"""A change cursor: `change_seq` on `runs`, `epoch_metrics` and `sweeps`, stamped by database triggers.

A live page asks "what changed since cursor C" and gets the rows with `change_seq >= C` (db/queries/changes.py).
Triggers, not the queries, stamp the rows, so no write path (claim, finish, requeue, upsert_epoch, add_runs,
cancel, and later ones) can forget it. A run is stamped on INSERT and on an UPDATE of any column but
`heartbeat_at` (a heartbeat every epoch is not news; a claim sets its status too) and `change_seq` itself; a
sweep on INSERT and on an UPDATE of any column but `change_seq` (a cancel, an extension reopening it). A new
`sweep_runs` row stamps its run: a sweep made only of reused runs (`submit --extend` linking existing ones)
then finds them among its changes, like any other sweep sharing them (sent again: harmless).

PostgreSQL: a BEFORE trigger sets `change_seq` to the writing transaction's 64-bit id (`pg_current_xact_id()`),
without a lock or a shared counter that workers would queue on. The cursor is the xmin of the reader's snapshot:
every transaction with a smaller id has completed. Read the cursor FIRST, then the data: a transaction still in
progress when the cursor is read has an id >= the cursor (one starting later, a larger one still), so its rows
are found by the next read once it commits; a row the data read saw may be sent again next time, never lost.
Memberships stamp their runs in one statement-level trigger per INSERT, which row-locks the linked runs in id
order first: stamping a reused run locks it (as a requeue does) until the submission commits, so a worker's
write to it waits that long, and two submissions linking the same runs cannot lock them in crossed orders
and deadlock; runs inserted by the same transaction already carry its stamp and are skipped.

SQLite: a one-row `change_clock` counted up by AFTER triggers, which stamp the row with the new value. SQLite
has one writer, so clock order is commit order; a writer in progress holds its increments uncommitted, so a
reader's cursor (`seq + 1`, read before the data) is below every stamp it will commit. The table exists on
PostgreSQL too, unused: one schema for both backends, which the models describe.

A later migration that adds a column to `runs`, `epoch_metrics` or `sweeps`, or rebuilds one of them or
`sweep_runs` on SQLite (batch mode drops triggers), must recreate these triggers: tests/db/test_changes.py
updates every column one by one.

Existing rows keep 0: any cursor a client holds is above that, and `since=0` returns everything.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Every column of `runs` at this revision but heartbeat_at and change_seq; every one of epoch_metrics and
# sweeps but change_seq. An UPDATE setting any of them stamps the row.
RUN_COLUMNS = (
    "id", "sweep_id", "engine", "config", "config_hash", "created_at", "dataset", "hidden", "depth",
    "learning_rate", "batch_size", "epochs", "optimizer", "activation", "l2", "momentum", "seed", "dropout",
    "lr_schedule", "lr_step_epochs", "lr_gamma", "patience", "augment_shift", "nesterov", "dtype",
    "val_fraction", "test_fraction", "label_column", "status", "cancel_requested", "attempts", "worker",
    "claimed_at", "started_at", "finished_at", "train_acc", "train_loss", "val_acc", "val_loss", "test_acc",
    "test_loss", "best_epoch", "train_seconds", "nan_mask", "error",
)
EPOCH_COLUMNS = ("run_id", "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds", "nan_mask")
SWEEP_COLUMNS = ("id", "name", "spec", "created_at", "cancelled")
TABLES = {"runs": RUN_COLUMNS, "epoch_metrics": EPOCH_COLUMNS, "sweeps": SWEEP_COLUMNS}
# SQLite's trigger bodies: tick the clock, then stamp the written row (a membership: its run) with it, by an
# UPDATE of change_seq alone, which the UPDATE OF lists leave out: no trigger fires again
SQLITE_TICK = "UPDATE change_clock SET seq = seq + 1 WHERE id = 1"
SQLITE_STAMP = {
    "runs": "UPDATE runs SET change_seq = (SELECT seq FROM change_clock WHERE id = 1) WHERE id = NEW.id",
    "epoch_metrics": (
        "UPDATE epoch_metrics SET change_seq = (SELECT seq FROM change_clock WHERE id = 1) "
        "WHERE run_id = NEW.run_id AND epoch = NEW.epoch"
    ),
    "sweeps": "UPDATE sweeps SET change_seq = (SELECT seq FROM change_clock WHERE id = 1) WHERE id = NEW.id",
}
SQLITE_STAMP_MEMBER = "UPDATE runs SET change_seq = (SELECT seq FROM change_clock WHERE id = 1) WHERE id = NEW.run_id"
PG_FUNCTION = """
CREATE FUNCTION mnistq_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END
$$
"""
# Once per INSERT statement on sweep_runs (`linked`: its new rows). The runs are locked in id order before
# they are stamped, so two statements linking the same runs queue instead of deadlocking; a run already
# carrying this transaction's stamp (inserted by it) is neither locked again nor written twice.
PG_MEMBER_FUNCTION = """
CREATE FUNCTION mnistq_stamp_members() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stamp bigint := pg_current_xact_id()::text::bigint;
BEGIN
    PERFORM 1 FROM runs WHERE id IN (SELECT run_id FROM linked) AND change_seq <> stamp
        ORDER BY id FOR NO KEY UPDATE;
    UPDATE runs SET change_seq = stamp WHERE id IN (SELECT run_id FROM linked) AND change_seq <> stamp;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("change_seq", sa.BigInteger(), server_default="0", nullable=False))
        op.create_index(f"ix_{table}_change_seq", table, ["change_seq"])
    op.create_table(
        "change_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_clock"),
    )
    op.execute("INSERT INTO change_clock (id, seq) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table, columns in TABLES.items():
            op.execute(
                f"CREATE TRIGGER trg_{table}_change BEFORE INSERT OR UPDATE OF {', '.join(columns)} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION mnistq_stamp_change()"
            )
        op.execute(PG_MEMBER_FUNCTION)
        op.execute(
            "CREATE TRIGGER trg_sweep_runs_change AFTER INSERT ON sweep_runs REFERENCING NEW TABLE AS linked "
            "FOR EACH STATEMENT EXECUTE FUNCTION mnistq_stamp_members()"
        )
        return
    for table, columns in TABLES.items():
        stamp = f"BEGIN {SQLITE_TICK}; {SQLITE_STAMP[table]}; END"
        op.execute(f"CREATE TRIGGER trg_{table}_change_insert AFTER INSERT ON {table} FOR EACH ROW {stamp}")
        op.execute(
            f"CREATE TRIGGER trg_{table}_change_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW {stamp}"
        )
    op.execute(
        "CREATE TRIGGER trg_sweep_runs_change_insert AFTER INSERT ON sweep_runs FOR EACH ROW "
        f"BEGIN {SQLITE_TICK}; {SQLITE_STAMP_MEMBER}; END"
    )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER trg_sweep_runs_change ON sweep_runs")
        op.execute("DROP FUNCTION mnistq_stamp_members()")
    else:
        op.execute("DROP TRIGGER trg_sweep_runs_change_insert")
    for table in TABLES:
        if postgresql:
            op.execute(f"DROP TRIGGER trg_{table}_change ON {table}")
        else:
            op.execute(f"DROP TRIGGER trg_{table}_change_insert")
            op.execute(f"DROP TRIGGER trg_{table}_change_update")
    if postgresql:
        op.execute("DROP FUNCTION mnistq_stamp_change()")
    op.drop_table("change_clock")
    for table in TABLES:
        op.drop_index(f"ix_{table}_change_seq", table_name=table)
        # not in batch mode: SQLite (3.35 on) drops an unindexed column in place, where a rebuild of `runs`
        # with foreign keys on would delete every epoch and membership row by cascade
        op.drop_column(table, "change_seq")
