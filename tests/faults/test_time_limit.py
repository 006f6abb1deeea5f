"""A run that outlives Celery's soft time limit ends `failed` with the reason; the rest of the sweep goes on.

Built to hold on a machine whose cores other work keeps busy: the broker is a Redis of this test alone (no
other test's worker or flush can touch its messages), the short runs finish far inside the limit even at a
fraction of a core, the long ones could not finish in minutes, and every wait is for a state in the store
with minutes to spare.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..queue.helpers import mnistq_json, wait_until
from .helpers import WIDE, PrivateRedis, Store, running, spec_file, start_celery, wait_ready

pytestmark = pytest.mark.slow

SOFT_LIMIT_SECONDS = 8  # a short run (2 epochs) takes about 1 s alone; a long one (1,000 epochs) about a minute


def test_soft_time_limit_fails_the_run_with_its_reason(
    pg_url: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    spec = spec_file(tmp_path, "limits", "epochs = [2, 1000]\nseed = [0, 1]", epochs=2, hidden=WIDE)
    spec.write_text(spec.read_text().replace("epochs = 2\n", "", 1))
    env = {
        "MNISTQ_BROKER_URL": private_redis.url, "MNISTQ_DATABASE_URL": pg_url,
        "MNISTQ_TASK_SOFT_LIMIT": str(SOFT_LIMIT_SECONDS), "MNISTQ_TASK_HARD_LIMIT": "300",
    }
    store = Store(env["MNISTQ_DATABASE_URL"])
    log = tmp_path / "worker.log"
    worker = start_celery("limits", env, log)
    with running(worker):
        wait_ready(log, timeout=120)
        sweep_id = mnistq_json("submit", str(spec), "--json", env=env)["sweep_id"]
        wait_until(lambda: store.all_finished(sweep_id), 420, "the sweep to finish", every=0.5)  # about 20 s alone
    runs = store.runs(sweep_id)
    assert len(runs) == 4
    long_runs = [r for r in runs if r.epochs == 1000]
    short_runs = [r for r in runs if r.epochs == 2]
    assert [(r.status, r.attempts, r.error) for r in short_runs] == [("completed", 1, None)] * 2
    for run in long_runs:
        assert (run.status, run.attempts) == ("failed", 1), (run.id, run.status, run.error)
        assert run.error is not None and run.error.startswith("SoftTimeLimitExceeded")
        assert 1 <= len(store.epochs(run.id)) < 1000  # the epochs it trained are kept
