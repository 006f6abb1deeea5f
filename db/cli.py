"""`mnistq db`: look at and upgrade the store's schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.engine import Engine

from core.masking import mask_url
from db.engine import connect, create_store_engine
from db.migrate import known_revisions, schema_state, upgrade
from db.url import ENV_VAR, database_url, parse_url

URL_OPTION = click.option(
    "--url",
    metavar="URL",
    default=None,
    help=f"Database URL (default: ${ENV_VAR}, else sqlite:///mnistq.db).",
)


@contextmanager
def _engine(url: str | None) -> Iterator[Engine]:
    engine = create_store_engine(database_url(url))
    try:
        yield engine
    finally:
        engine.dispose()


def _missing_sqlite_file(url: str | None) -> str | None:
    """The URL of a SQLite file that does not exist (connecting would create it), else None."""
    parsed = parse_url(database_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return None if Path(parsed.database).exists() else mask_url(parsed)


@click.group("db")
def db() -> None:
    """Manage the result store (SQLite file or PostgreSQL database)."""


@db.command("upgrade")
@URL_OPTION
def upgrade_command(url: str | None) -> None:
    """Create or migrate the schema to the newest revision (back up the database first)."""
    with _engine(url) as engine:
        before, after = upgrade(engine)
    resolved = engine.url
    if before == after:
        click.echo(f"{mask_url(resolved)}: schema already at revision {after} (newest)")
    else:
        click.echo(f"{mask_url(resolved)}: schema upgraded from {before or 'empty'} to {after}")


@db.command("current")
@URL_OPTION
def current_command(url: str | None) -> None:
    """Show the schema revision and whether it is the newest."""
    missing = _missing_sqlite_file(url)
    if missing is not None:
        click.echo(
            f"{missing}: no database file yet (mnistq creates it on first use, or run `mnistq db upgrade`)"
        )
        return
    with _engine(url) as engine, connect(engine) as connection:
        state = schema_state(connection)
    where = mask_url(engine.url)
    if state.up_to_date:
        click.echo(f"{where}: schema revision {state.current} (newest)")
    elif state.current is None and not state.has_tables:
        click.echo(f"{where}: empty (mnistq creates the schema on first use, or run `mnistq db upgrade`)")
    elif state.current is None:
        click.echo(f"{where}: holds tables but no mnistq schema version")
    elif state.current in known_revisions():
        click.echo(
            f"{where}: schema revision {state.current}, newest is {state.head}: run `mnistq db upgrade`"
        )
    else:
        click.echo(f"{where}: schema revision {state.current} is newer than this mnistq ({state.head})")
