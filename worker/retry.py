"""Retrying database writes through a short outage (a PostgreSQL restart, a failover, a locked SQLite file)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

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
    """
    deadline = time.monotonic() + give_up_after
    delay = first_delay
    while True:
        try:
            return write()
        except (DBAPIError, DatabaseUnavailableError) as exc:
            if not is_transient(exc) or time.monotonic() + delay > deadline:
                raise
            log.warning("%s: database unavailable (%s); retrying in %.1f s", what, exc.__class__.__name__, delay)
            sleep(delay)
            delay = min(max_delay, delay * 2)


def is_transient(exc: BaseException) -> bool:
    """True for a database outage (a dropped or refused connection, a locked SQLite file, a store that could
    not be opened): nothing the run's config is to blame for, so the run must not be marked failed because of it."""
    if isinstance(exc, OperationalError | DatabaseUnavailableError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
