"""Retrying database writes through a short outage (a PostgreSQL restart, a failover, a locked SQLite file)."""

from __future__ import annotations

import logging
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from db import DatabaseUnavailableError

log = logging.getLogger("mnistq.worker")
T = TypeVar("T")

DEFAULT_GIVE_UP_SECONDS = 120.0


def retry_db(
    write: Callable[[], T],
    *,
    what: str,
    give_up_after: float = DEFAULT_GIVE_UP_SECONDS,
    first_delay: float = 0.2,
    max_delay: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `write` (one whole transaction) until it succeeds, backing off exponentially on connection errors.

    Only transient errors (see `is_transient`) are retried. The write must be idempotent (upserts and
    conditional updates are) or check what a lost acknowledgement left behind: a commit can succeed on the
    server while the connection drops before the client hears of it. Gives up, re-raising the last error,
    after `give_up_after` seconds.

    An exception that a signal handler raised in the middle of the write (Celery's soft time limit, Ctrl-C)
    is raised as itself, never retried: the driver reports it as a failed command with the interrupt in its
    context, or SQLAlchemy wraps it in a StatementError, and retrying or recording the wrapper would hide it.
    """
    deadline = time.monotonic() + give_up_after
    delay = first_delay
    ambient = sys.exception()  # called from an except block, e.g. to record a failure: not an interrupt
    while True:
        try:
            return write()
        except (SQLAlchemyError, DatabaseUnavailableError) as exc:  # StatementError too: it may wrap an interrupt
            interrupt = interrupting_exception(exc, ambient=ambient)
            if interrupt is not None:
                raise interrupt from None
            if not _is_outage(exc) or time.monotonic() + delay > deadline:
                raise
            log.warning("%s: database unavailable (%s); retrying in %.1f s", what, exc.__class__.__name__, delay)
            sleep(delay)
            delay = min(max_delay, delay * 2)


def interrupting_exception(exc: BaseException, *, ambient: BaseException | None = None) -> BaseException | None:
    """The exception in `exc`'s cause/context chain that is not a database error, if any; the walk stops at
    `ambient`, the exception that was already being handled when the database call began.

    When a signal handler raises mid-query (psycopg waits for the server in Python-visible code), the driver
    is left with a command in flight, fails the rollback that follows, and raises *that* as an
    OperationalError; the interrupt itself is only in the chain."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        link = pending.pop()
        if link is None or link is ambient or id(link) in seen:
            continue
        seen.add(id(link))
        if not _is_database_error(link):
            return link
        pending += [link.__context__, link.__cause__]
    return None


def _is_database_error(exc: BaseException) -> bool:
    """An error of SQLAlchemy, of a DB-API driver (sqlite3, psycopg), of the network, or our own store's."""
    if isinstance(exc, SQLAlchemyError | DatabaseUnavailableError | sqlite3.Error | OSError):
        return True
    return type(exc).__module__.split(".", 1)[0] == "psycopg"  # psycopg.Error and its subclasses


def is_transient(exc: BaseException) -> bool:
    """True for a database outage (a dropped or refused connection, a locked SQLite file, a store that could
    not be opened): nothing the run's config is to blame for, so the run must not be marked failed because of
    it. An outage that interrupted something else (see `interrupting_exception`) is not one."""
    return interrupting_exception(exc) is None and _is_outage(exc)


def _is_outage(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | DatabaseUnavailableError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
