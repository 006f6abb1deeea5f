"""Opening the store: one engine per database URL per process, schema checked once.

    engine = open_store()                  # $MNISTQ_DATABASE_URL or ./mnistq.db
    with session_scope(engine) as session:
        run = get_run(session, 42)

A forked worker process must not reuse its parent's connections: call `dispose_engines(close=False)` in the
child (e.g. Celery's worker_process_init) and the next `open_store()` connects afresh.
"""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from db.engine import create_store_engine
from db.migrate import check_schema, refuse_missing_file
from db.url import database_url

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def open_store(url: str | None = None, *, create: bool = False) -> Engine:
    """The engine for `url` (default: $MNISTQ_DATABASE_URL, else sqlite:///mnistq.db), ready to query.

    The first call for a URL connects and checks the schema. A missing SQLite file or an empty database is
    created (migrated to the newest revision) only with `create`, which the commands that write new work
    pass (`submit`, `worker`); everything else gets StoreMissingError, and no file or table is made. An
    older or newer schema raises SchemaError; an unreachable database raises DatabaseUnavailableError naming
    host and port but never the password.
    """
    resolved = database_url(url)
    with _lock:
        engine = _engines.get(resolved)
        if engine is None:
            if not create:
                refuse_missing_file(resolved)
            engine = create_store_engine(resolved)
            try:
                check_schema(engine, create=create)
            except BaseException:
                engine.dispose()
                raise
            _engines[resolved] = engine
    return engine


def dispose_engines(*, close: bool = True) -> None:
    """Forget every cached engine. `close=False` in a forked child: leave the parent's sockets alone."""
    with _lock:
        for engine in _engines.values():
            engine.dispose(close=close)
        _engines.clear()
