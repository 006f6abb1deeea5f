"""Fault 3: the broker restarts mid-sweep and loses every message (no persistence). Workers reconnect; the
tasks they were running are cancelled with the connection, and their runs come back through the lease; queued
runs whose messages vanished are sent again by `mnistq scheduler`. Every run completes, and exactly once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from db.status import COMPLETED

from ..queue.helpers import mnistq_json, wait_until
from .helpers import (
    FAST_LEASES,
    WIDE,
    PrivateRedis,
    Store,
    running,
    spec_file,
    start_celery,
    start_scheduler,
    wait_ready,
)

pytestmark = pytest.mark.slow

EPOCHS = 12  # long enough (with WIDE) that "one running, two queued" lasts seconds, even on a busy machine


def test_no_run_is_lost_or_duplicated_when_redis_restarts(
    pg_url: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    env = {"MNISTQ_BROKER_URL": private_redis.url, "MNISTQ_DATABASE_URL": pg_url, **FAST_LEASES}
    env["MNISTQ_BLAS_THREADS"] = "1"  # two workers share the cores
    spec = spec_file(tmp_path, "restart", "seed = [0, 1, 2, 3, 4, 5, 6, 7]", epochs=EPOCHS, hidden=WIDE)
    store = Store(pg_url)
    logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
    scheduler_log = tmp_path / "scheduler.log"
    workers = [start_celery(f"w{i}", env, log) for i, log in enumerate(logs, 1)]
    reaper = start_scheduler(env, scheduler_log)
    with running(*workers, reaper):
        for log in logs:
            wait_ready(log)
        sweep_id = mnistq_json("submit", str(spec), "--json", env=env)["sweep_id"]

        def mid_sweep() -> bool:
            statuses = [r.status for r in store.runs(sweep_id)]
            return "running" in statuses and statuses.count("queued") >= 2

        wait_until(mid_sweep, 60, "runs both training and waiting", every=0.05)
        assert private_redis.client().llen("numpy") >= 1  # messages in the broker, about to be lost
        private_redis.kill()
        private_redis.start()
        wait_until(lambda: store.all_finished(sweep_id), 180, "the sweep to finish")

    runs = store.runs(sweep_id)
    assert [r.status for r in runs] == [COMPLETED] * 8, [(r.id, r.status, r.error) for r in runs]
    worker_logs = "".join(log.read_text(errors="replace") for log in logs)
    for run in runs:
        assert [h.epoch for h in store.epochs(run.id)] == list(range(1, EPOCHS + 1))
        assert len(re.findall(rf"\brun {run.id}: completed\b", worker_logs)) == 1  # trained to the end once
    recovered = re.findall(r"reaped: (\d+) requeued, \d+ failed .*, (\d+) queued runs re-sent", scheduler_log.read_text())
    assert sum(int(requeued) + int(resent) for requeued, resent in recovered) >= 2  # the lost messages came back
