"""Queue mode with --wait: `submit` and `retry` never exit 0 while their runs are unfinished. A sweep cancelled
from another process ends `submit --wait` with 4, failed runs end it (and `retry --wait`) with 3, each with the
line naming the command that resumes them. Real Redis, PostgreSQL and Celery worker processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from db.errors import NotFoundError

from ..queue.helpers import mnistq, wait_until
from .crashy_worker import POISON_LEARNING_RATE
from .helpers import WIDE, Store, running, spec_file, start_celery, wait_ready
from .local_helpers import finish, start

pytestmark = pytest.mark.slow


def test_submit_wait_exits_4_when_the_sweep_is_cancelled_from_another_process(
    fault_env: dict[str, str], tmp_path: Path
) -> None:
    spec = spec_file(tmp_path, "cancelled", "seed = [0, 1]", epochs=300, hidden=WIDE)  # far longer than the test
    store = Store(fault_env["MNISTQ_DATABASE_URL"])
    log = tmp_path / "worker.log"
    worker = start_celery("w", fault_env, log)
    with running(worker):
        wait_ready(log)
        submit = start(["submit", str(spec), "--wait", "--json"], fault_env)

        def training() -> bool:
            try:
                return any(store.epochs(r.id) for r in store.runs(1, ["running"]))
            except NotFoundError:  # no sweep yet
                return False

        wait_until(training, 120, "a run to be training")
        cancel = mnistq("cancel", "1", env=fault_env)
        assert cancel.returncode == 0, cancel.stderr
        code, out, err = finish(submit, timeout=120)

    assert code == 4, err
    assert err.strip().splitlines()[-1] == (
        "sweep 1 is not finished: 2 cancelled of 2 runs; resume them with `mnistq retry 1 --cancelled`"
    )
    assert json.loads(out)["counts"]["cancelled"] == 2
    assert [r.status for r in store.runs(1)] == ["cancelled", "cancelled"]


def test_submit_and_retry_wait_exit_3_when_runs_fail_and_0_once_they_complete(
    fault_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**fault_env, "MNISTQ_MAX_ATTEMPTS": "2"}
    spec = spec_file(tmp_path, "poison", f"learning_rate = [0.05, {POISON_LEARNING_RATE}]", epochs=3)
    store = Store(env["MNISTQ_DATABASE_URL"])
    log = tmp_path / "worker.log"
    worker = start_celery("crashy", env, log, module="tests.faults.crashy_worker")
    with running(worker):
        wait_ready(log)
        submitted = mnistq("submit", str(spec), "--wait", "--json", env=env)
        assert submitted.returncode == 3, submitted.stderr
        assert json.loads(submitted.stdout)["counts"]["failed"] == 1
        line = "sweep 1 finished with failed runs: 1 failed, 1 completed of 2 runs; queue them again with `mnistq retry 1`"
        assert submitted.stderr.strip().splitlines()[-1] == line
        good, poison = sorted(store.runs(1), key=lambda r: r.learning_rate != 0.05)
        assert (good.status, poison.status, poison.attempts) == ("completed", "failed", 2)

        retried = mnistq("retry", "1", "--wait", "--json", env=env)  # the poison config kills its worker again
        assert retried.returncode == 3, retried.stderr
        assert json.loads(retried.stdout)["retried"] == {"failed": [poison.id]}
        assert retried.stderr.strip().splitlines()[-1] == line
        assert (store.run(poison.id).status, store.run(poison.id).attempts) == ("failed", 2)

        one = mnistq("retry", "--run", str(good.id), "--wait", env=env)  # a completed run, trained again
        assert one.returncode == 0, one.stderr
        assert store.run(good.id).status == "completed" and store.run(good.id).finished_at > good.finished_at
