"""The Redis and PostgreSQL a benchmark talks to: the servers named by $MNISTQ_BENCH_REDIS_URL and
$MNISTQ_BENCH_PG_ADMIN_URL when set, else private ones started for this benchmark process from the installed
binaries (the test suite's tests/servers.py: free ports, temporary folders, stopped when the process exits).
Nothing is assumed to listen on 6379 or 5432."""

from __future__ import annotations

import atexit
import functools
import os

from tests.servers import start_postgres, start_redis

PG_ENV, REDIS_ENV = "MNISTQ_BENCH_PG_ADMIN_URL", "MNISTQ_BENCH_REDIS_URL"


@functools.cache
def pg_admin_url() -> str:
    """A PostgreSQL admin URL (postgresql+psycopg://...) whose user may create databases."""
    external = os.environ.get(PG_ENV, "").strip()
    if external:
        return external.replace("postgresql://", "postgresql+psycopg://", 1)
    server, url = start_postgres()
    atexit.register(server.stop)
    return url


@functools.cache
def redis_url(db: int = 7) -> str:
    """A Redis URL with db number `db` (the benchmark flushes it)."""
    external = os.environ.get(REDIS_ENV, "").strip()
    if external:
        return external
    server, url = start_redis()
    atexit.register(server.stop)
    return f"{url}/{db}"
