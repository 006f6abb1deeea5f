"""Fault 5: a config that kills its worker process every time. Celery requeues the task after each death
(reject_on_worker_lost), which alone would loop forever (celery#9082); the attempt counter in the database
ends it `failed` after MNISTQ_MAX_ATTEMPTS, the message is acknowledged, and the rest of the sweep completes."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from ..queue.helpers import mnistq_json, wait_until
from .crashy_worker import POISON_LEARNING_RATE
from .helpers import Store, count_in, running, spec_file, start_celery, wait_ready

pytestmark = pytest.mark.slow


def test_poison_config_ends_failed_after_max_attempts_and_the_sweep_goes_on(
    fault_env: dict[str, str], tmp_path: Path
) -> None:
    spec = spec_file(tmp_path, "poison", f"learning_rate = [0.05, {POISON_LEARNING_RATE}, 0.1]", epochs=3)
    store = Store(fault_env["MNISTQ_DATABASE_URL"])
    log = tmp_path / "worker.log"
    worker = start_celery("crashy", {**fault_env, "MNISTQ_MAX_ATTEMPTS": "3"}, log, module="tests.faults.crashy_worker")
    with running(worker):
        wait_ready(log)
        sweep_id = mnistq_json("submit", str(spec), "--json", env=fault_env)["sweep_id"]
        wait_until(lambda: store.all_finished(sweep_id), 120, "the sweep to finish")
        broker = redis.Redis.from_url(fault_env["MNISTQ_BROKER_URL"])
        wait_until(lambda: broker.llen("numpy") == 0 and broker.hlen("unacked") == 0, 30, "every message acked")

    runs = {r.learning_rate: r for r in store.runs(sweep_id)}
    poison = runs.pop(POISON_LEARNING_RATE)
    assert (poison.status, poison.attempts) == ("failed", 3)
    assert poison.error == "worker process died while training on each of 3 attempts"
    assert [(r.status, r.attempts) for r in runs.values()] == [("completed", 1)] * 2
    assert count_in(log, "exited with 'signal 9 (SIGKILL)'") == 3
    assert count_in(log, f"run {poison.id}: claimed by") == 3
    assert count_in(log, f"run {poison.id}: not claimable, skipped") == 1  # the 4th delivery, acknowledged
