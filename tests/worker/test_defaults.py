"""A worker started with nothing set is safe on a host it shares: one process per core, one BLAS thread
each; more threads only when MNISTQ_BLAS_THREADS asks. What a worker checks before it starts."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from core.errors import SettingError
from worker.blas import apply_blas_threads, thread_pools
from worker.celery_app import celery_settings
from worker.settings import WORKER_SETTINGS, check_worker_environment, worker_concurrency

from ..faults.helpers import running, start_celery, wait_ready
from ..queue.helpers import wait_until

CORES = os.cpu_count() or 1


def test_concurrency_is_one_process_per_core_unless_asked() -> None:
    assert worker_concurrency(None, {}) == CORES
    assert worker_concurrency(None, {"MNISTQ_WORKER_CONCURRENCY": "3"}) == 3
    assert worker_concurrency(5, {"MNISTQ_WORKER_CONCURRENCY": "3"}) == 5  # --concurrency wins
    assert celery_settings({})["worker_concurrency"] == CORES  # `celery -A worker.celery_app worker` too
    assert celery_settings({"MNISTQ_WORKER_CONCURRENCY": "3"})["worker_concurrency"] == 3


@pytest.fixture
def restore_thread_pools() -> Iterator[None]:
    original = threadpool_limits(limits=None)  # remembers the limits of this process, changes nothing
    yield
    original.restore_original_limits()


def blas_threads_now() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


@pytest.mark.usefixtures("restore_thread_pools")
def test_blas_threads_default_to_one_whatever_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNISTQ_BLAS_THREADS", raising=False)
    assert apply_blas_threads() == 1
    assert blas_threads_now() <= {1}
    monkeypatch.setenv("MNISTQ_BLAS_THREADS", "2")
    assert apply_blas_threads() == 2
    assert blas_threads_now() <= {2}
    assert "(blas) 2" in thread_pools() or not blas_threads_now()
    monkeypatch.setenv("MNISTQ_BLAS_THREADS", "0")
    with pytest.raises(SettingError, match="MNISTQ_BLAS_THREADS = '0': expected a positive integer"):
        apply_blas_threads()


def test_a_worker_checks_every_setting_it_uses_and_needs_a_broker() -> None:
    assert {"MNISTQ_DATABASE_URL", "MNISTQ_BROKER_URL", "MNISTQ_CHECKPOINT_EVERY", "MNISTQ_BLAS_THREADS",
            "MNISTQ_WORKER_CONCURRENCY", "MNISTQ_TASK_SOFT_LIMIT", "MNISTQ_MAX_EPOCHS"} <= set(WORKER_SETTINGS)
    with pytest.raises(SettingError, match=r"^environment MNISTQ_BROKER_URL is not set: expected a URL"):
        check_worker_environment({})
    check_worker_environment({"MNISTQ_BROKER_URL": "redis://queue:6379/0"})
    with pytest.raises(SettingError, match="CELERY_BROKER_URL"):
        check_worker_environment({"MNISTQ_BROKER_URL": "redis://queue:6379/0", "CELERY_BROKER_URL": "redis://x/0"})
    with pytest.raises(SettingError, match="MNISTQ_CHECKPOINT_EVERY"):
        check_worker_environment({"MNISTQ_BROKER_URL": "redis://queue:6379/0", "MNISTQ_CHECKPOINT_EVERY": "-1"})


POOL_LINE = re.compile(r"pool process (\d+): (\d+) BLAS thread\(s\); thread pools: (.*)")


def pool_processes(log: Path) -> dict[int, tuple[int, list[int]]]:
    """pid -> (BLAS threads the process applied, the BLAS pools' sizes threadpoolctl reported)."""
    found = {}
    for pid, threads, pools in POOL_LINE.findall(log.read_text(errors="replace")):
        found[int(pid)] = (int(threads), [int(n) for n in re.findall(r"\(blas\) (\d+)", pools)])
    return found


@pytest.mark.slow
@pytest.mark.parametrize(("changes", "processes", "threads"), [({}, CORES, 1), ({"MNISTQ_BLAS_THREADS": "2"}, 1, 2)])
def test_a_real_worker_reports_its_processes_and_blas_threads(
    redis_url: str, tmp_path: Path, changes: dict[str, str], processes: int, threads: int
) -> None:
    env = {k: "" for k in ("MNISTQ_WORKER_CONCURRENCY", "MNISTQ_BLAS_THREADS")}  # nothing set: the defaults
    env |= {"MNISTQ_BROKER_URL": redis_url, "MNISTQ_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}", **changes}
    log = tmp_path / "worker.log"
    worker = start_celery("defaults", env, log, concurrency=None if not changes else 1)
    with running(worker):
        wait_ready(log)
        wait_until(lambda: len(pool_processes(log)) == processes, 60, f"{processes} pool processes to report")
    assert f"concurrency: {processes} (prefork)" in log.read_text()
    for applied, blas_pools in pool_processes(log).values():
        assert applied == threads
        assert blas_pools and set(blas_pools) == {threads}
