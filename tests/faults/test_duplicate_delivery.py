"""Fault 6: the same task delivered twice, at once and after the run finished. The second delivery is a
no-op: the claim lets one worker process train the run, and a finished run is never touched again."""

from __future__ import annotations

from pathlib import Path

import pytest

from db import session_scope
from db.queries import get_artifact
from scheduler.queue import enqueue, make_sender

from ..queue.helpers import mnistq_json, wait_until
from .helpers import Store, count_in, running, spec_file, start_celery, wait_ready

pytestmark = pytest.mark.slow


def test_a_second_delivery_is_a_no_op(fault_env: dict[str, str], tmp_path: Path) -> None:
    store = Store(fault_env["MNISTQ_DATABASE_URL"])
    sender = make_sender(fault_env["MNISTQ_BROKER_URL"])
    sweep_id = mnistq_json("submit", str(spec_file(tmp_path, "twice", "seed = [1]", epochs=4)), "--json", env=fault_env)[
        "sweep_id"
    ]
    (run_id,) = [r.id for r in store.runs(sweep_id)]
    enqueue(sender, [(run_id, "numpy")])  # a duplicate, waiting next to the original
    log = tmp_path / "worker.log"
    worker = start_celery("dup", {**fault_env, "MNISTQ_BLAS_THREADS": "1"}, log, concurrency=2)
    with running(worker):
        wait_ready(log)  # two pool processes take one message each, at the same time
        wait_until(lambda: store.run(run_id).status == "completed", 60, "the run to complete")
        wait_until(lambda: count_in(log, f"run {run_id}: not claimable, skipped") == 1, 30, "the duplicate")
        finished = store.run(run_id)
        with session_scope(store.engine) as session:
            weights = get_artifact(session, run_id, "final")

        enqueue(sender, [(run_id, "numpy")])  # once more, long after it finished
        wait_until(lambda: count_in(log, f"run {run_id}: not claimable, skipped") == 2, 30, "the late duplicate")

    assert count_in(log, f"run {run_id}: claimed by") == 1
    assert (finished.status, finished.attempts) == ("completed", 1)
    assert store.run(run_id) == finished  # not a column changed
    with session_scope(store.engine) as session:
        assert get_artifact(session, run_id, "final") == weights  # same bytes (SHA-256), same time
    assert [h.epoch for h in store.epochs(run_id)] == [1, 2, 3, 4]
