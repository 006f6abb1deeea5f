"""Which database to use, and how to show its URL without the password.

`MNISTQ_DATABASE_URL` selects the store; without it mnistq uses the SQLite file `./mnistq.db`. PostgreSQL URLs
may be written `postgresql://` or `postgres://`: they are rewritten to the psycopg 3 driver.
"""

from __future__ import annotations

import os

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from core import settings
from core.masking import mask_url
from db.errors import UserError

ENV_VAR = "MNISTQ_DATABASE_URL"
DEFAULT_URL: str = settings.BY_NAME[ENV_VAR].default

_DRIVER_REWRITES = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}
_SUPPORTED = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")


def database_url(url: str | None = None) -> str:
    """The store URL: `url` if given, else $MNISTQ_DATABASE_URL, else `sqlite:///mnistq.db` (in the cwd).

    Raises UserError (one line, password masked) for an unparseable URL or an unsupported backend.
    """
    raw = url or settings.read(ENV_VAR, os.environ)
    return parse_url(raw).render_as_string(hide_password=False)


def parse_url(raw: str) -> URL:
    """Parse and normalise a store URL (postgresql:// -> postgresql+psycopg://)."""
    try:
        parsed = make_url(raw)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise UserError(
            f"database URL {mask_url(raw)!r} is not a valid URL: expected sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
        ) from None
    parsed = parsed.set(drivername=_DRIVER_REWRITES.get(parsed.drivername, parsed.drivername))
    if parsed.drivername not in _SUPPORTED:
        raise UserError(
            f"database URL {mask_url(raw)!r}: unsupported backend {parsed.drivername!r}; "
            "expected sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
        )
    return parsed


def describe_location(url: URL) -> str:
    """Where the database lives, for error messages: 'PostgreSQL at HOST:PORT (database D, user U)' or the file."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    host = url.host or "localhost"
    port = url.port or 5432
    return f"PostgreSQL at {host}:{port} (database {url.database}, user {url.username})"
