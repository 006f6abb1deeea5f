"""Fault tests: real Redis, PostgreSQL and Celery worker processes, with leases of seconds."""

from __future__ import annotations

import pytest

from .helpers import FAST_LEASES, private_redis  # noqa: F401  (a fixture)


@pytest.fixture
def fault_env(redis_url: str, pg_url: str) -> dict[str, str]:
    """Queue mode on the shared Redis (a db of its own) and a fresh PostgreSQL database, fast leases."""
    return {"MNISTQ_BROKER_URL": redis_url, "MNISTQ_DATABASE_URL": pg_url, **FAST_LEASES}
