"""Opening the store: URL resolution, password masking, SQLite tuning, unreachable databases."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

import db.engine as db_engine
from db.engine import session_scope
from db.errors import DatabaseUnavailableError, UserError
from db.migrate import head_revision
from db.store import dispose_engines, open_store
from db.url import DEFAULT_URL, database_url, mask_url


def test_mask_url_hides_the_password_only():
    assert (
        mask_url("postgresql+psycopg://u:secret@db.example:6543/x")
        == "postgresql+psycopg://u:***@db.example:6543/x"
    )
    assert mask_url("sqlite:///mnistq.db") == "sqlite:///mnistq.db"
    assert "secret" not in mask_url("weird://u:secret@host/x?%%%")
    assert "secret" not in mask_url("not a url u:secret@host")


def test_database_url_precedence_and_postgres_rewrite(monkeypatch):
    monkeypatch.delenv("MNISTQ_DATABASE_URL", raising=False)
    assert database_url() == DEFAULT_URL
    monkeypatch.setenv("MNISTQ_DATABASE_URL", "postgresql://u:pw@h:5433/d")
    assert database_url() == "postgresql+psycopg://u:pw@h:5433/d"
    assert database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


@pytest.mark.parametrize("url", ["mysql://u:secret@h/d", "::::"])
def test_unsupported_or_malformed_urls_are_user_errors_without_the_password(url):
    with pytest.raises(UserError) as info:
        database_url(url)
    assert "secret" not in str(info.value)
    assert "\n" not in str(info.value)


def test_unreachable_postgresql_names_host_and_port_but_never_the_password():
    with pytest.raises(DatabaseUnavailableError) as info:
        open_store("postgresql+psycopg://u:secret@127.0.0.1:1/x", create=True)
    message = str(info.value)
    assert "secret" not in message
    assert "127.0.0.1:1" in message and "database x" in message
    assert "\n" not in message
    assert isinstance(info.value, UserError)


def test_unopenable_sqlite_file_is_a_one_line_user_error(tmp_path):
    with pytest.raises(DatabaseUnavailableError, match="SQLite database .*missing-dir.*: unable to open"):
        open_store(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}", create=True)


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(sqlite_store):
    with sqlite_store.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_in_memory_sqlite_works_for_unit_tests():
    engine = open_store("sqlite://", create=True)
    try:
        with engine.connect() as connection:
            assert (
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == head_revision()
            )
    finally:
        dispose_engines()


def test_session_scope_commits_on_success_and_rolls_back_on_error(store):
    with session_scope(store) as session:
        session.execute(text("INSERT INTO sweeps (name, spec, created_at) VALUES ('a', '{}', '2026-01-01')"))
    with pytest.raises(RuntimeError), session_scope(store) as session:
        session.execute(text("INSERT INTO sweeps (name, spec, created_at) VALUES ('b', '{}', '2026-01-01')"))
        raise RuntimeError("boom")
    with session_scope(store) as session:
        assert session.execute(text("SELECT name FROM sweeps")).scalars().all() == ["a"]


def test_open_store_caches_one_engine_per_url(sqlite_store, sqlite_url):
    assert open_store(sqlite_url, create=True) is sqlite_store


OPEN_AND_REPORT = """
import json, sys
from sqlalchemy import text
from db.store import open_store
with open_store(sys.argv[1], create=True).connect() as connection:
    print(json.dumps(connection.execute(text("SELECT version_num FROM alembic_version")).scalar()))
"""


@pytest.mark.slow
def test_two_processes_creating_a_new_database_at_once_both_succeed(db_url, run_together):
    revisions = run_together(OPEN_AND_REPORT, [[db_url], [db_url]])
    assert revisions == [head_revision(), head_revision()]


class _FlakyWalCursor:
    """A DB-API cursor whose journal-mode switch is refused `refusals` times, as SQLite does when two processes
    open a new file at once."""

    def __init__(self, refusals: int, error: str = "database is locked") -> None:
        self.refusals, self.error, self.mode = refusals, error, "delete"

    def execute(self, sql: str) -> _FlakyWalCursor:
        if sql == "PRAGMA journal_mode = WAL":
            if self.refusals:
                self.refusals -= 1
                raise sqlite3.OperationalError(self.error)
            self.mode = "wal"
        return self

    def fetchone(self) -> tuple[str]:
        return (self.mode,)


def test_switching_to_wal_waits_out_a_concurrent_switch(monkeypatch):
    monkeypatch.setattr(db_engine.time, "sleep", lambda _: None)
    cursor = _FlakyWalCursor(refusals=3)
    db_engine._enable_wal(cursor)
    assert cursor.mode == "wal"
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):  # anything else is not waited out
        db_engine._enable_wal(_FlakyWalCursor(refusals=1, error="disk I/O error"))
