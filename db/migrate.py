"""Schema versions: Alembic driven from Python, with the scripts shipped inside the package.

`upgrade(engine)` brings any database to the newest revision (what `mnistq db upgrade` runs); `downgrade`
takes it back, the same way.
`check_schema(engine, create=...)` is what every other command relies on: an empty database is created on
first use by the commands that store new work (`create`), a database at the newest revision passes, and
anything else is refused with a one-line error saying what to do. An existing database is never migrated
implicitly: upgrading is the operator's decision.

Concurrent first use (several workers starting on a new database) is serialised: a PostgreSQL advisory lock,
or SQLite's write lock (BEGIN IMMEDIATE), is held while the version is read and the tables are created.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import Engine

from core.masking import mask_url
from db.engine import connect
from db.errors import SchemaError, StoreMissingError
from db.url import describe_location, parse_url

if TYPE_CHECKING:  # Alembic is imported only to migrate: every command checks the schema, few migrate it
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (tests/db/test_migrations.py checks it against Alembic's head):
# known without importing Alembic, so the schema check every command makes stays cheap.
HEAD_REVISION = "0006"
_PG_LOCK_KEY = 0x6D6E6973  # "mnis": any constant shared by every mnistq process
_FIRST_STEP = "submit a sweep (`mnistq submit SPEC`) or create it with `mnistq db upgrade`"


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision (None when unversioned) and whether it holds any table."""

    current: str | None
    head: str
    has_tables: bool

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def alembic_config() -> Config:
    """An Alembic Config pointing at the package's migration scripts (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision shipped with this mnistq, as Alembic reads it from the scripts."""
    head = _scripts().get_current_head()
    assert head is not None, "db/migrations/versions holds no revision"
    return head


def known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def schema_state(connection: Connection) -> SchemaState:
    tables = set(inspect(connection).get_table_names())
    return SchemaState(
        current=_current_revision(connection, tables), head=HEAD_REVISION, has_tables=bool(tables - {"alembic_version"})
    )


def _current_revision(connection: Connection, tables: set[str]) -> str | None:
    """The revision Alembic recorded (its one-row alembic_version table), or None for an unversioned database."""
    if "alembic_version" not in tables:
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate to `revision` (default the newest). Returns (revision before, revision after).

    SchemaError for a database this mnistq cannot migrate: a newer schema, or foreign tables.
    """
    with _locked(engine) as connection:
        state = schema_state(connection)
        before = state.current
        if (before is None and state.has_tables) or (before is not None and before not in known_revisions()):
            raise SchemaError(_refusal(engine, state))
        _run_alembic(connection, revision)
        after = _current_revision(connection, set(inspect(connection).get_table_names()))
        _commit_migration(connection)
    return before, after


def downgrade(engine: Engine, revision: str) -> tuple[str | None, str | None]:
    """Migrate back to `revision` (no command offers it: tests, or an operator undoing an upgrade). Returns
    (revision before, revision after). Like `upgrade`, it runs with SQLite's foreign keys off, checked before
    committing: a downgrade rebuilding `runs` would otherwise delete every epoch and membership by cascade."""
    with _locked(engine) as connection:
        before = _current_revision(connection, set(inspect(connection).get_table_names()))
        _run_alembic(connection, revision, down=True)
        after = _current_revision(connection, set(inspect(connection).get_table_names()))
        _commit_migration(connection)
    return before, after


def check_schema(engine: Engine, *, create: bool = False) -> SchemaState:
    """Create the schema in an empty database when `create` (StoreMissingError otherwise); refuse an older,
    newer or foreign one (SchemaError)."""
    with connect(engine) as connection:
        state = schema_state(connection)
    if state.up_to_date:
        return state
    if state.current is None and not state.has_tables and not create:
        raise StoreMissingError(f"{describe_location(engine.url)} holds no mnistq store yet: {_FIRST_STEP}")
    if state.current is None and not state.has_tables:
        with _locked(engine) as connection:
            state = schema_state(connection)  # another process may have created it meanwhile
            if state.current is None and not state.has_tables:
                _run_alembic(connection, "head")
                state = schema_state(connection)
            _commit_migration(connection)
        if state.up_to_date:
            return state
    raise SchemaError(_refusal(engine, state))


def refuse_missing_file(url: str) -> None:
    """StoreMissingError for a SQLite URL whose file does not exist: connecting would create it."""
    parsed = parse_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(file).exists():
        raise StoreMissingError(f"no store at {parsed.database} (MNISTQ_DATABASE_URL): {_FIRST_STEP}")


def _refusal(engine: Engine, state: SchemaState) -> str:
    where = mask_url(engine.url)
    if state.current is None:
        return (
            f"{where} holds tables but no mnistq schema version: point MNISTQ_DATABASE_URL at an empty "
            "or mnistq database"
        )
    if state.current in known_revisions():
        return (
            f"{where} has schema revision {state.current}, this mnistq needs {state.head}: "
            "run `mnistq db upgrade` (back up the database first)"
        )
    return (
        f"{where} has schema revision {state.current}, newer than this mnistq knows ({state.head}): "
        "upgrade mnistq"
    )


def _run_alembic(connection: Connection, revision: str, *, down: bool = False) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


def _commit_migration(connection: Connection) -> None:
    """Commit, after checking on SQLite (where `_locked` turned foreign keys off) that every key still holds."""
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise SchemaError(f"the migration left {len(broken)} rows whose referenced row is missing: {broken[:3]}")
    connection.commit()


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A connection holding the database-wide migration lock until it commits or closes."""
    connection = connect(engine)
    try:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        else:
            # SQLite alters a table by rebuilding it, and dropping the old copy with foreign keys on would
            # delete, by cascade, every row that references it. SQLite's own procedure for schema changes
            # turns them off outside the transaction and checks the keys before committing; they are back on
            # before the connection returns to the pool.
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # SQLite's write lock, held until commit
        yield connection
    finally:
        if engine.dialect.name == "sqlite" and not connection.closed:
            connection.rollback()  # after a commit, a no-op
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")
        connection.close()
