"""Schema versions: empty -> newest, 0001 and 0002 with data -> newest, the models match the migrations, and
commands refuse a database at another revision."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect, text

from db.cli import db as db_cli
from db.engine import create_store_engine, session_scope
from db.errors import SchemaError
from db.migrate import downgrade, head_revision, upgrade
from db.models import Base
from db.queries import (
    add_runs,
    claim_run,
    get_run,
    get_sweep,
    list_runs,
    sweep_changes,
    sweep_extensions,
    upsert_epoch,
)
from db.store import dispose_engines, open_store


@pytest.fixture
def engine(db_url):
    engine = create_store_engine(db_url)
    yield engine
    engine.dispose()
    dispose_engines()


def revision_of(engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_from_empty_creates_the_schema_the_models_describe(engine):
    assert upgrade(engine) == (None, head_revision())
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
        tables = set(inspect(connection).get_table_names())
    assert diff == []
    assert {"sweeps", "sweep_runs", "runs", "epoch_metrics", "artifacts", "sweep_extensions"} <= tables
    assert upgrade(engine) == (head_revision(), head_revision())  # again: a no-op


def _insert_rev1_data(engine) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO sweeps (id, name, spec, created_at) VALUES (1, 'old', '{\"grid\": {}}', :now)"),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO runs (id, sweep_id, engine, config, config_hash, created_at, status, attempts, "
                "nan_mask, learning_rate, val_acc) VALUES (7, 1, 'numpy', '{\"seed\": 1}', :hash, :now, "
                "'queued', 0, 0, 0.1, 0.93)"
            ),
            {"hash": "a" * 64, "now": now},
        )
        connection.execute(text("INSERT INTO sweep_runs (sweep_id, run_id) VALUES (1, 7)"))


def _rows_of_run_7(engine) -> tuple[int, int]:
    """(memberships, epochs) of run 7: what a rebuild of `runs` with foreign keys on would delete by cascade."""
    with engine.connect() as connection:
        return (
            connection.execute(text("SELECT count(*) FROM sweep_runs WHERE run_id = 7")).scalar_one(),
            connection.execute(text("SELECT count(*) FROM epoch_metrics WHERE run_id = 7")).scalar_one(),
        )


def test_upgrade_from_revision_0001_keeps_the_data_and_adds_the_new_columns(engine, db_url):
    upgrade(engine, "0001")
    assert revision_of(engine) == "0001"
    _insert_rev1_data(engine)

    assert upgrade(engine) == ("0001", head_revision())

    with session_scope(open_store(db_url, create=True)) as session:
        run = get_run(session, 7)
        assert (run.config, run.learning_rate, run.val_acc, run.cancel_requested) == (
            {"seed": 1},
            0.1,
            0.93,
            False,
        )
        assert get_sweep(session, 1).cancelled is False
        assert [r.id for r in list_runs(session, sweep_id=1)] == [7]
        assert claim_run(session, 7, worker="w", lease_seconds=60, max_attempts=3) is not None
    with engine.connect() as connection:
        indexes = {ix["name"] for ix in inspect(connection).get_indexes("runs")}
    assert "ix_runs_status_heartbeat_at" in indexes and "ix_runs_status" not in indexes


def test_upgrade_from_revision_0002_keeps_the_sweeps_and_records_extensions_from_then_on(engine, db_url):
    upgrade(engine, "0002")
    _insert_rev1_data(engine)
    with engine.connect() as connection:
        assert "sweep_extensions" not in inspect(connection).get_table_names()

    assert upgrade(engine) == ("0002", head_revision())

    with session_scope(open_store(db_url, create=True)) as session:
        assert get_sweep(session, 1).spec == {"grid": {}}
        assert sweep_extensions(session, 1) == []  # nothing was recorded before 0003
        add_runs(session, 1, [], spec={"name": "more", "grid": {"seed": [2]}})
    with session_scope(open_store(db_url)) as session:
        (extension,) = sweep_extensions(session, 1)
    assert (extension.sweep_id, extension.spec) == (1, {"name": "more", "grid": {"seed": [2]}})
    assert extension.submitted_at.tzinfo is not None
    assert downgrade(engine, "0002") == (head_revision(), "0002")  # the table goes again
    with engine.connect() as connection:
        assert "sweep_extensions" not in inspect(connection).get_table_names()
    assert revision_of(engine) == "0002"


def test_upgrade_from_revision_0003_keeps_every_run_and_its_links_and_allows_pruned(engine, db_url):
    """SQLite rebuilds `runs` to widen its status check: with foreign keys on, dropping the old copy would
    delete every sweep_runs row by cascade. The links survive, and the keys are enforced again afterwards."""
    upgrade(engine, "0003")
    _insert_rev1_data(engine)

    assert upgrade(engine) == ("0003", head_revision())

    with session_scope(open_store(db_url, create=True)) as session:
        assert [r.id for r in list_runs(session, sweep_id=1)] == [7]
        session.execute(text("UPDATE runs SET status = 'pruned' WHERE id = 7"))
        assert get_run(session, 7).status == "pruned"
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with pytest.raises(Exception, match="(?i)foreign key"):
            connection.execute(text("INSERT INTO sweep_runs (sweep_id, run_id) VALUES (1, 999)"))
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO epoch_metrics (run_id, epoch, train_loss, nan_mask) VALUES (7, 1, 0.5, 0)"))
    # the downgrade narrows the check again, pruned runs becoming cancelled
    assert downgrade(engine, "0003") == (head_revision(), "0003")
    assert revision_of(engine) == "0003"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM runs WHERE id = 7")).scalar() == "cancelled"
    assert _rows_of_run_7(engine) == (1, 1)  # the rebuild of `runs` kept what references it


def test_upgrade_from_revision_0004_copies_every_config_key_into_its_column(engine, db_url):
    upgrade(engine, "0004")
    _insert_rev1_data(engine)
    config = {"seed": 1, "dropout": 0.2, "lr_schedule": "cosine", "nesterov": True, "label_column": "digit"}
    with engine.begin() as connection:
        connection.execute(text("UPDATE runs SET config = :config WHERE id = 7"), {"config": json.dumps(config)})

    assert upgrade(engine) == ("0004", head_revision())

    with session_scope(open_store(db_url)) as session:
        run = get_run(session, 7)
        assert (run.dropout, run.lr_schedule, run.nesterov, run.label_column, run.patience) == (
            0.2, "cosine", 1, "digit", None,
        )
        assert [r.id for r in list_runs(session, where="lr_schedule = 'cosine' and nesterov = 1")] == [7]


def test_upgrade_from_revision_0005_keeps_runs_and_epochs_and_stamps_changes_from_then_on(engine, db_url):
    upgrade(engine, "0005")
    _insert_rev1_data(engine)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO epoch_metrics (run_id, epoch, train_loss, nan_mask) VALUES (7, 1, 0.5, 0)")
        )

    assert upgrade(engine) == ("0005", head_revision())

    with session_scope(open_store(db_url)) as session:
        old = sweep_changes(session, 1, 0)  # rows from before the upgrade: change_seq 0, found from 0 on
        assert [(r.id, r.val_acc) for r in old.runs] == [(7, 0.93)] and old.sweep_changed
        assert [(e.run_id, e.epoch, e.train_loss) for e in old.epochs] == [(7, 1, 0.5)]
        quiet = sweep_changes(session, 1, old.cursor)
        assert (quiet.runs, quiet.sweep_changed) == ((), False)
    with session_scope(open_store(db_url)) as session:  # the triggers work on the upgraded tables
        assert claim_run(session, 7, worker="w", lease_seconds=60, max_attempts=3) is not None
        upsert_epoch(session, 7, {"epoch": 2, "train_loss": 0.25})
    with session_scope(open_store(db_url)) as session:
        new = sweep_changes(session, 1, old.cursor)
    assert [r.status for r in new.runs] == ["running"] and [e.epoch for e in new.epochs] == [2]
    with session_scope(open_store(db_url)) as session:
        add_runs(session, 1, [])  # writes the sweep's row
        session.execute(text("INSERT INTO sweeps (id, name, spec, created_at) VALUES (2, 'two', '{}', :now)"),
                        {"now": datetime(2026, 1, 3, tzinfo=UTC)})
        session.execute(text("INSERT INTO sweep_runs (sweep_id, run_id) VALUES (2, 7)"))
    with session_scope(open_store(db_url)) as session:
        assert sweep_changes(session, 1, new.cursor).sweep_changed
        linked = sweep_changes(session, 2, new.cursor)
    assert [r.id for r in linked.runs] == [7] and linked.sweep_changed
    assert downgrade(engine, "0005") == (head_revision(), "0005")  # everything goes again, the data stays
    with engine.connect() as connection:
        assert "change_clock" not in inspect(connection).get_table_names()
        for table in ("runs", "epoch_metrics", "sweeps"):
            assert "change_seq" not in {column["name"] for column in inspect(connection).get_columns(table)}
    with engine.begin() as connection:  # no trigger left behind: each would name the dropped column
        connection.execute(text("UPDATE runs SET status = 'queued' WHERE id = 7"))
        connection.execute(text("UPDATE sweeps SET cancelled = true WHERE id = 1"))
        connection.execute(text("INSERT INTO epoch_metrics (run_id, epoch, train_loss, nan_mask) VALUES (7, 3, 0.1, 0)"))
        connection.execute(text("DELETE FROM sweep_runs WHERE sweep_id = 2"))
        connection.execute(text("INSERT INTO sweep_runs (sweep_id, run_id) VALUES (2, 7)"))
    assert _rows_of_run_7(engine) == (2, 3)
    assert revision_of(engine) == "0005"


@pytest.mark.parametrize("older", ["0001", "0002", "0003", "0004", "0005"])
def test_commands_refuse_an_older_schema(engine, db_url, older):
    upgrade(engine, older)
    with pytest.raises(SchemaError, match=rf"revision {older}, this mnistq needs {head_revision()}: run `mnistq db upgrade`"):
        open_store(db_url, create=True)
    assert revision_of(engine) == older  # never migrated implicitly


def test_commands_refuse_a_newer_schema(engine, db_url):
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="revision 9999, newer than this mnistq knows .* upgrade mnistq"):
        open_store(db_url, create=True)
    with pytest.raises(SchemaError, match="newer"):
        upgrade(engine)


def test_a_foreign_database_is_neither_used_nor_migrated(engine, db_url):
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE something_else (x INTEGER)"))
    with pytest.raises(SchemaError, match="holds tables but no mnistq schema version"):
        open_store(db_url, create=True)
    with pytest.raises(SchemaError, match="holds tables"):
        upgrade(engine)


def test_open_store_creates_an_empty_database(db_url):
    engine = open_store(db_url, create=True)
    try:
        assert revision_of(engine) == head_revision()
    finally:
        dispose_engines()


def test_cli_upgrade_and_current(engine, db_url, monkeypatch):
    upgrade(engine, "0001")
    monkeypatch.setenv("MNISTQ_DATABASE_URL", db_url)
    runner = CliRunner()
    before = runner.invoke(db_cli, ["current"])
    assert (
        before.exit_code == 0
        and f"schema revision 0001, newest is {head_revision()}: run `mnistq db upgrade`" in before.output
    )
    result = runner.invoke(db_cli, ["upgrade"])
    assert result.exit_code == 0, result.output
    assert f"schema upgraded from 0001 to {head_revision()}" in result.output
    assert f"schema revision {head_revision()} (newest)" in runner.invoke(db_cli, ["current", "--url", db_url]).output
    assert "password" not in result.output


def test_cli_current_does_not_create_a_missing_sqlite_file(tmp_path):
    path = tmp_path / "absent.db"
    result = CliRunner().invoke(db_cli, ["current", "--url", f"sqlite:///{path}"])
    assert result.exit_code == 0 and "no database file yet" in result.output
    assert not path.exists()


def test_head_constant_matches_the_shipped_scripts() -> None:
    """The schema check reads HEAD_REVISION instead of importing Alembic: it must name the newest script."""
    from db.migrate import HEAD_REVISION

    assert head_revision() == HEAD_REVISION
