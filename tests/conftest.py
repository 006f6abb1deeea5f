"""Shared fixtures: real PostgreSQL and Redis for the tests that need them.

By default the session starts its own servers from the installed binaries (tests/servers.py): on free ports,
in temporary folders, gone when the session ends, never the machine's own 6379 and 5432. Set
MNISTQ_TEST_PG_ADMIN_URL / MNISTQ_TEST_REDIS_URL to use external servers instead. A test that needs a service
that is neither configured nor installed is skipped with the reason outside CI; under CI=true it fails, so a
green CI always means the integration tests really ran.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from .servers import PrivateServer, ServerUnavailable, start_postgres, start_redis, sweep_stale_folders

PG_ENV, REDIS_ENV = "MNISTQ_TEST_PG_ADMIN_URL", "MNISTQ_TEST_REDIS_URL"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def service_unavailable(service: str, detail: str) -> None:
    """Fail under CI (the service is part of the contract there), skip elsewhere."""
    message = f"{service} is not available ({detail})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


def pytest_sessionstart(session: pytest.Session) -> None:
    sweep_stale_folders()  # servers' folders of sessions that were killed before they could clean up


def _server(service: str, env_name: str, start: Callable[[], tuple[PrivateServer, str]]) -> Iterator[str]:
    """The URL of $`env_name` when set, else of a server this session starts (and stops at its end)."""
    external = os.environ.get(env_name, "").strip()
    if external:
        yield external
        return
    try:
        server, url = start()
    except ServerUnavailable as exc:
        service_unavailable(service, f"{exc}; or set {env_name}")
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """An admin URL of a PostgreSQL server that lets the tests create databases: the session's own, or
    $MNISTQ_TEST_PG_ADMIN_URL."""
    yield from _server("PostgreSQL", PG_ENV, start_postgres)


@pytest.fixture(scope="session")
def redis_base_url() -> Iterator[str]:
    """A Redis server's URL without a db number: the session's own, or $MNISTQ_TEST_REDIS_URL."""
    for url in _server("Redis", REDIS_ENV, start_redis):
        yield url.rstrip("/")


def _pg_admin_connect(admin_url: str):
    import psycopg

    return psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True, connect_timeout=3)


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test alone, dropped afterwards."""
    try:
        admin = _pg_admin_connect(pg_admin_url)
    except Exception as exc:  # psycopg.OperationalError and friends
        service_unavailable("PostgreSQL", f"{pg_admin_url}: {exc.__class__.__name__}")
    name = f"mnistq_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = pg_admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin_connect(pg_admin_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A SQLite file in the test's own temporary directory."""
    return f"sqlite:///{tmp_path / 'mnistq-test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Every db test runs on both backends."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


_redis_db_counter = itertools.count()


@pytest.fixture
def redis_url(redis_base_url: str) -> Iterator[str]:
    """A Redis database number for this test (8-15 on an external server, never its default 0), flushed before
    and after."""
    import redis

    first, count = (8, 8) if os.environ.get(REDIS_ENV, "").strip() else (1, 15)
    url = f"{redis_base_url}/{first + next(_redis_db_counter) % count}"
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.flushdb()
    except Exception as exc:
        service_unavailable("Redis", f"{redis_base_url}: {exc.__class__.__name__}")
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
