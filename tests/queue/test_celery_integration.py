"""The queue for real: Redis, PostgreSQL and two Celery worker processes, nothing mocked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import open_store, session_scope
from db.queries import get_artifact, get_run, run_history, sweep_counts, sweep_run_ids

from .helpers import EXAMPLES, mnistq, mnistq_json, start_worker, stop, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def queue_env(redis_url: str, pg_url: str) -> dict[str, str]:
    return {"MNISTQ_BROKER_URL": redis_url, "MNISTQ_DATABASE_URL": pg_url, "MNISTQ_LEASE_SECONDS": "60"}


@pytest.fixture
def two_workers(queue_env: dict[str, str], tmp_path: Path) -> Iterator[list[Path]]:
    """Two worker processes of one process each, ready to consume."""
    open_store(queue_env["MNISTQ_DATABASE_URL"], create=True)  # create the schema before the workers connect
    logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
    workers = [start_worker(f"w{i}", queue_env, log) for i, log in zip((1, 2), logs, strict=True)]
    try:
        for log in logs:
            wait_until(lambda log=log: b"ready." in log.read_bytes(), 60, f"{log.name} to be ready")
        yield logs
    finally:
        for worker in workers:
            stop(worker)


def test_twelve_runs_complete_exactly_once(queue_env: dict[str, str], two_workers: list[Path]) -> None:
    out = mnistq_json("submit", str(EXAMPLES / "tiny.toml"), "--wait", "--json", env=queue_env)
    assert (out["runs"], out["new"], out["reused"]) == (12, 12, 0)
    assert out["counts"]["completed"] == 12
    engine = open_store(queue_env["MNISTQ_DATABASE_URL"], create=True)
    with session_scope(engine) as session:
        run_ids = sweep_run_ids(session, out["sweep_id"])
        runs = [get_run(session, run_id) for run_id in run_ids]
        assert all(r.status == "completed" and r.attempts == 1 for r in runs), [(r.id, r.status, r.error) for r in runs]
        assert all(get_artifact(session, r.id, "final") is not None for r in runs)  # 12 weight blobs
        assert all([h.epoch for h in run_history(session, r.id)] == [1, 2, 3] for r in runs)
    assert len({r.worker.split(":")[1] for r in runs}) == 2  # two worker processes shared the sweep
    assert {r.engine for r in runs} == {"numpy", "sklearn"}  # both engine queues were consumed

    again = mnistq_json("submit", str(EXAMPLES / "tiny.toml"), "--json", env=queue_env)
    assert (again["new"], again["reused"]) == (0, 12)  # nothing trains twice


def test_cancel_mid_sweep(queue_env: dict[str, str], two_workers: list[Path], tmp_path: Path) -> None:
    """Queued runs are cancelled at once, running ones stop at their next epoch with their history kept. Runs are
    hundreds of epochs long, so the cancel lands mid-run however fast the machine is; a run that still ends
    before the cancel reaches it is allowed for, never assumed away."""
    spec = tmp_path / "slow.toml"
    spec.write_text(
        'name = "slow"\n[fixed]\ndataset = "mnist-5k"\nepochs = 400\nhidden = [64]\n'
        '[grid]\nseed = [0, 1, 2, 3, 4, 5]\n'
    )
    out = mnistq_json("submit", str(spec), "--json", env=queue_env)
    engine = open_store(queue_env["MNISTQ_DATABASE_URL"], create=True)
    sweep_id = out["sweep_id"]

    def two_running_with_epochs() -> bool:
        with session_scope(engine) as session:
            running = sweep_run_ids(session, sweep_id, statuses=["running"])
            return len(running) == 2 and all(len(run_history(session, r)) >= 1 for r in running)

    wait_until(two_running_with_epochs, 90, "two runs to be training")
    done = mnistq("cancel", str(sweep_id), env=queue_env)
    assert done.returncode == 0, done.stderr
    said = re.fullmatch(
        rf"sweep {sweep_id}: (\d+) queued runs cancelled, (\d+) running runs will stop at their next epoch\n", done.stdout
    )
    assert said, done.stdout
    queued, asked = int(said.group(1)), int(said.group(2))
    assert queued >= 2 and asked >= 1 and queued + asked <= 6

    def settled() -> bool:
        with session_scope(engine) as session:
            counts = sweep_counts(session, sweep_id)
        return counts.running == 0 and counts.queued == 0

    wait_until(settled, 300, "the running runs to stop")
    with session_scope(engine) as session:
        runs = [get_run(session, r) for r in sweep_run_ids(session, sweep_id)]
        assert {r.status for r in runs} <= {"cancelled", "completed"}, [(r.id, r.status) for r in runs]
        assert sum(r.attempts == 0 for r in runs) == queued  # cancelled before they started
        stopped = [r for r in runs if r.status == "cancelled" and r.attempts == 1]
        assert 1 <= len(stopped) <= asked
        for run in stopped:  # stopped at an epoch boundary, partial history kept
            epochs = [h.epoch for h in run_history(session, run.id)]
            assert 1 <= len(epochs) < 400 and epochs == list(range(1, len(epochs) + 1))
        assert all(run_history(session, r.id) == [] for r in runs if r.attempts == 0)
