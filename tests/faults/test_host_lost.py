"""Fault 2: a whole worker host lost. Nothing on the host survives to report it and Celery keeps the task
reserved by the dead worker, so only the lease can tell: once it expires the reaper (`mnistq scheduler`, or
`mnistq reap` once) requeues the run and another worker finishes it from the checkpoint."""

from __future__ import annotations

import os
import signal
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from db import open_store, session_scope
from db.queries import claim_run, get_run
from db.types import utcnow
from scheduler.cli import main
from scheduler.spec import load_spec
from scheduler.submit import store_sweep

from ..queue.helpers import mnistq_json, wait_until
from .helpers import WIDE, Store, count_in, running, spec_file, start_celery, start_scheduler, wait_ready


@pytest.mark.slow
def test_runs_of_a_lost_host_are_reaped_and_finished_elsewhere(fault_env: dict[str, str], tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "lost-host", "seed = [3]", epochs=16, hidden=WIDE)
    store = Store(fault_env["MNISTQ_DATABASE_URL"])
    logs = {name: tmp_path / f"{name}.log" for name in ("doomed", "survivor", "scheduler")}
    doomed = start_celery("doomed", {**fault_env, "MNISTQ_WORKER_HOST": "doomed-host"}, logs["doomed"])
    reaper = start_scheduler(fault_env, logs["scheduler"])
    with running(doomed, reaper):
        wait_ready(logs["doomed"])
        out = mnistq_json("submit", str(spec), "--json", env=fault_env)
        (run_id,) = [r.id for r in store.runs(out["sweep_id"])]
        wait_until(lambda: store.has_checkpoint(run_id), 60, "the first checkpoint", every=0.05)
        lost = store.run(run_id)
        assert lost.status == "running" and lost.worker.startswith("doomed-host:")
        os.killpg(doomed.pid, signal.SIGKILL)  # the Celery main process and its pool: the host is gone
        doomed.wait()

        survivor = start_celery("survivor", fault_env, logs["survivor"])  # a worker on another host
        with running(survivor):
            wait_until(lambda: store.run(run_id).status == "completed", 120, "another worker to finish the run")

    run = store.run(run_id)
    assert run.attempts == 2 and run.worker.startswith(f"{socket.gethostname()}:")
    assert "reaped: 1 requeued" in logs["scheduler"].read_text()
    assert count_in(logs["survivor"], f"run {run_id}: resuming from the checkpoint after epoch") == 1
    assert [h.epoch for h in store.epochs(run_id)] == list(range(1, 17))


def test_reap_once_requeues_expired_leases_and_fails_exhausted_runs(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mnistq reap` (local mode: nothing to send): one pass, then exit."""
    spec = spec_file(tmp_path, "reap", "seed = [0, 1, 2]", epochs=2)
    engine = open_store(sqlite_url, create=True)
    long_ago = utcnow() - timedelta(seconds=60)
    with session_scope(engine) as session:
        lost, exhausted, alive = (run_id for run_id, _ in store_sweep(session, load_spec(spec)).to_train)
        for run_id, attempts in ((lost, 1), (exhausted, 3), (alive, 1)):
            when = long_ago if run_id != alive else utcnow()
            for attempt in range(attempts):  # each claim takes over the previous, expired one
                now = when + timedelta(milliseconds=attempt)
                assert claim_run(session, run_id, worker="gone:1", lease_seconds=0, max_attempts=3, now=now)
    monkeypatch.setenv("MNISTQ_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MNISTQ_LEASE_SECONDS", "30")
    monkeypatch.delenv("MNISTQ_BROKER_URL", raising=False)
    main(["reap"])
    assert capsys.readouterr().out.startswith("reaped: 1 requeued, 1 failed (out of attempts), 0 cancelled")
    with session_scope(engine) as session:
        assert get_run(session, lost).status == "queued"
        failed = get_run(session, exhausted)
        assert failed.status == "failed" and "no heartbeat for 30 s after 3 attempts" in failed.error
        assert get_run(session, alive).status == "running"  # its lease is fresh: left alone
