"""SQLAlchemy engines for the store, and the session scope used at the edges (task, CLI command, test).

SQLite is tuned for several local processes: WAL (readers never block the writer), a 30 s busy timeout
(writers queue instead of failing with "database is locked") and foreign keys on. Past a handful of
concurrent workers, use PostgreSQL: `MNISTQ_DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST:5432/DB`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from db.errors import DatabaseUnavailableError
from db.url import describe_location, parse_url

SQLITE_BUSY_TIMEOUT_S = 30.0
PG_CONNECT_TIMEOUT_S = 10


def create_store_engine(url: str | URL) -> Engine:
    """A new engine for `url` (already normalised by `database_url`). No connection is made yet."""
    parsed = parse_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        engine = create_engine(
            parsed,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            json_serializer=_json_dumps,
            json_deserializer=_json_loads,
            poolclass=StaticPool if in_memory else None,  # one shared in-memory database, not one per thread
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(
        parsed,
        pool_pre_ping=True,  # long-lived workers survive a database restart
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S, "options": "-c TimeZone=UTC"},
        json_serializer=_json_dumps,
        json_deserializer=_json_loads,
    )


def _json_loads(text: str | bytes) -> Any:
    """JSON columns back to Python (str from SQLite, bytes from psycopg). orjson parses a stored config about
    4x faster than json.loads, which is most of what listing thousands of runs costs."""
    return orjson.loads(text)


def _json_dumps(value: Any) -> str:
    """Strict JSON for config/spec columns: NaN or inf would not survive PostgreSQL's JSON type."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA foreign_keys = ON")
    if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
        _enable_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")  # durable across crashes of the process in WAL mode
    cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (a persistent setting), waiting out other processes doing the same.

    Switching needs an exclusive lock, and when two processes open a new file at once SQLite can answer
    "database is locked" at once instead of calling the busy handler; so retry for up to the busy timeout.
    A file that is already in WAL mode needs no switch, and no lock."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(0.25, delay * 2)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends, rolls back on an exception, and always closes.

    Query functions never commit: the caller's block is the transaction.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def connect(engine: Engine) -> Connection:
    """A connection, or DatabaseUnavailableError (one line, password masked) if the database cannot be reached."""
    try:
        return engine.connect()
    except DBAPIError as exc:
        raise unavailable(engine.url, exc) from None


def unavailable(url: URL, exc: DBAPIError) -> DatabaseUnavailableError:
    """A one-line error naming where the database is (never the password) and why it failed."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else exc.__class__.__name__
    if url.password:
        reason = reason.replace(str(url.password), "***")
    return DatabaseUnavailableError(f"cannot open the store: {describe_location(url)}: {reason}")
