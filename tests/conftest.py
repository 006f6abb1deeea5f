"""Shared fixtures: real PostgreSQL and Redis for the tests that need them.

Outside CI a missing service skips those tests with the reason; under CI=true it fails them, so a green CI
always means the integration tests really ran.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator

import pytest

PG_ADMIN_URL = os.environ.get("MNISTQ_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("MNISTQ_TEST_REDIS_URL", "redis://127.0.0.1:6379")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def service_unavailable(service: str, detail: str) -> None:
    """Fail under CI (the service is part of the contract there), skip elsewhere."""
    message = f"{service} is not reachable ({detail})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


def _pg_admin_connect():
    import psycopg

    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(dsn, autocommit=True, connect_timeout=3)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test alone, dropped afterwards."""
    try:
        admin = _pg_admin_connect()
    except Exception as exc:  # psycopg.OperationalError and friends
        service_unavailable("PostgreSQL", f"{PG_ADMIN_URL}: {exc.__class__.__name__}")
    name = f"mnistq_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin_connect() as admin:
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
def redis_url() -> Iterator[str]:
    """A Redis database number (8-15, never the default 0) for this test, flushed before and after."""
    import redis

    db = 8 + next(_redis_db_counter) % 8
    url = f"{REDIS_BASE_URL}/{db}"
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.flushdb()
    except Exception as exc:
        service_unavailable("Redis", f"{REDIS_BASE_URL}: {exc.__class__.__name__}")
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
