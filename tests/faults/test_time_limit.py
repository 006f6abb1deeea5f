"""A run that outlives Celery's soft time limit ends `failed` with the reason; the rest of the sweep goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..queue.helpers import mnistq_json, wait_until
from .helpers import Store, running, spec_file, start_celery, wait_ready

pytestmark = pytest.mark.slow


def test_soft_time_limit_fails_the_run_with_its_reason(fault_env: dict[str, str], tmp_path: Path) -> None:
    # the long config (500 epochs) takes far more than 3 s; the short ones (2 epochs) far less
    spec = spec_file(tmp_path, "limits", "epochs = [2, 500]\nseed = [0, 1]", epochs=2)
    spec.write_text(spec.read_text().replace("epochs = 2\n", "", 1))
    env = {**fault_env, "MNISTQ_TASK_SOFT_LIMIT": "3", "MNISTQ_TASK_HARD_LIMIT": "60"}
    store = Store(env["MNISTQ_DATABASE_URL"])
    log = tmp_path / "worker.log"
    worker = start_celery("limits", env, log)
    with running(worker):
        wait_ready(log)
        sweep_id = mnistq_json("submit", str(spec), "--json", env=env)["sweep_id"]
        wait_until(lambda: store.all_finished(sweep_id), 120, "the sweep to finish")
    runs = store.runs(sweep_id)
    long_runs = [r for r in runs if r.epochs == 500]
    short_runs = [r for r in runs if r.epochs == 2]
    assert [(r.status, r.attempts) for r in short_runs] == [("completed", 1)] * 2
    for run in long_runs:
        assert (run.status, run.attempts) == ("failed", 1)
        assert run.error is not None and run.error.startswith("SoftTimeLimitExceeded")
        assert 1 <= len(store.epochs(run.id)) < 500  # the epochs it trained are kept
