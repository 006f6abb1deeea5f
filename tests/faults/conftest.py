"""Fault tests: real Redis, PostgreSQL and Celery worker processes, with leases of seconds.

    1 kill -9 of the process training a run       test_kill9.py
    2 a whole worker host lost                    test_host_lost.py
    3 Redis restarted mid-sweep                   test_redis_restart.py
    4 PostgreSQL unreachable for 10 s mid-run     test_postgres_outage.py
    5 a config that kills its worker every time   test_poison.py (worker: crashy_worker.py)
    6 the same task delivered twice               test_duplicate_delivery.py
    7 cancel during a run                         tests/queue/test_celery_integration.py::test_cancel_mid_sweep
    8 memory over 200 runs in one process         bench/worker_memory.py (a benchmark, not a test)
    a run past Celery's soft time limit           test_time_limit.py
    local mode: a worker process killed, a config
      that kills it every time, workers that cannot
      start, the whole submit killed                test_local_supervision.py
    --wait exit codes: cancelled (4), failed (3)    test_wait_exit_codes.py
    the machinery in isolation                    test_recovery_units.py
"""

from __future__ import annotations

import pytest

from .helpers import FAST_LEASES, private_redis  # noqa: F401  (a fixture)


@pytest.fixture
def fault_env(redis_url: str, pg_url: str) -> dict[str, str]:
    """Queue mode on the shared Redis (a db of its own) and a fresh PostgreSQL database, fast leases."""
    return {"MNISTQ_BROKER_URL": redis_url, "MNISTQ_DATABASE_URL": pg_url, **FAST_LEASES}
