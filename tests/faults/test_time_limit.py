"""A run that outlives Celery's soft time limit ends `failed` with the reason; the rest of the sweep goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..queue.helpers import mnistq_json, wait_until
from .helpers import WIDE, Store, running, spec_file, start_celery, wait_ready

pytestmark = pytest.mark.slow


def test_soft_time_limit_fails_the_run_with_its_reason(fault_env: dict[str, str], tmp_path: Path) -> None:
    # the long configs (1,000 epochs of 256 units, about a minute) take far more than the 4 s limit, the short
    # ones (2 epochs) far less; one BLAS thread, so that a busy machine slows them down evenly, not by stalls
    spec = spec_file(tmp_path, "limits", "epochs = [2, 1000]\nseed = [0, 1]", epochs=2, hidden=WIDE)
    spec.write_text(spec.read_text().replace("epochs = 2\n", "", 1))
    env = {**fault_env, "MNISTQ_TASK_SOFT_LIMIT": "4", "MNISTQ_TASK_HARD_LIMIT": "60", "MNISTQ_BLAS_THREADS": "1"}
    store = Store(env["MNISTQ_DATABASE_URL"])
    log = tmp_path / "worker.log"
    worker = start_celery("limits", env, log)
    with running(worker):
        wait_ready(log)
        sweep_id = mnistq_json("submit", str(spec), "--json", env=env)["sweep_id"]
        wait_until(lambda: store.all_finished(sweep_id), 120, "the sweep to finish")
    runs = store.runs(sweep_id)
    long_runs = [r for r in runs if r.epochs == 1000]
    short_runs = [r for r in runs if r.epochs == 2]
    assert [(r.status, r.attempts) for r in short_runs] == [("completed", 1)] * 2
    for run in long_runs:
        assert (run.status, run.attempts) == ("failed", 1)
        assert run.error is not None and run.error.startswith("SoftTimeLimitExceeded")
        assert 1 <= len(store.epochs(run.id)) < 1000  # the epochs it trained are kept
