"""The task's edges in one process (fast): a worker that cannot take runs puts the message back instead of
acknowledging it, and a soft-limit signal that lands while a failure is being written still leaves the run
failed, not `running`."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from billiard.exceptions import SoftTimeLimitExceeded
from celery.exceptions import Reject
from sqlalchemy import text

import worker.execute as worker_execute
import worker.tasks as tasks
from db import open_store, session_scope
from db.queries import claim_run, get_run
from scheduler.spec import load_spec
from scheduler.submit import store_sweep
from worker.identity import worker_name

from .helpers import one_run_spec


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite store in MNISTQ_DATABASE_URL, as the worker's environment would name it."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("MNISTQ_DATABASE_URL", url)
    return url


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses before a message is put back, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(tasks.time, "sleep", slept.append)
    return slept


def one_run(url: str, tmp_path: Path) -> int:
    with session_scope(open_store(url, create=True)) as session:
        ((run_id, _),) = store_sweep(session, load_spec(one_run_spec(tmp_path))).to_train
    return run_id


def test_a_bad_setting_puts_the_message_back_after_a_pause(
    store: str, pauses: list[float], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MNISTQ_CHECKPOINT_EVERY", "-1")
    with caplog.at_level(logging.ERROR, "mnistq.worker"), pytest.raises(Reject) as caught:
        tasks.ready_to_claim(7)
    assert caught.value.requeue is True
    assert pauses == [tasks.REQUEUE_PAUSE_SECONDS]
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("run 7: this worker cannot take runs (SettingError: environment MNISTQ_CHECKPOINT_EVERY")
    assert line.endswith("putting it back in the queue in 10 s")


def test_a_store_at_a_newer_schema_puts_the_message_back(store: str, tmp_path: Path, pauses: list[float]) -> None:
    run_id = one_run(store, tmp_path)
    assert tasks.ready_to_claim(run_id)[1] is open_store(store)  # the store is fine: nothing to put back
    with open_store(store).begin() as connection:  # a newer mnistq ran `mnistq db upgrade` meanwhile
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(Reject, match="newer than this mnistq knows") as caught:
        tasks.ready_to_claim(run_id)
    assert caught.value.requeue is True and len(pauses) == 1
    with session_scope(open_store(store)) as session:
        assert (get_run(session, run_id).status, get_run(session, run_id).attempts) == ("queued", 0)


def test_the_pause_stays_within_the_soft_time_limit(
    store: str, pauses: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MNISTQ_MAX_ATTEMPTS", "0")
    with pytest.raises(Reject):
        tasks.ready_to_claim(7, soft_limit=4)
    assert pauses == [2]


def test_a_soft_limit_signal_during_the_failure_write_still_fails_the_run(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a busy machine the pool's parent process can send the signal late: execute_run's own deadline check
    has failed the run already, and the signal interrupts the write that records it."""
    run_id = one_run(store, tmp_path)
    real_fail_run = worker_execute.fail_run
    interrupted: list[int] = []

    def past_the_deadline(config, data, on_epoch=None, resume_from=None):
        raise SoftTimeLimitExceeded("the task's soft time limit passed after epoch 1")

    def signal_lands_mid_write(session, run_id, **kwargs):
        if not interrupted:
            interrupted.append(run_id)
            raise SoftTimeLimitExceeded()  # what billiard's handler raises, without a reason
        return real_fail_run(session, run_id, **kwargs)

    monkeypatch.setattr(worker_execute, "train", past_the_deadline)
    monkeypatch.setattr(worker_execute, "fail_run", signal_lands_mid_write)
    assert tasks.train_run(run_id) == "failed"
    assert interrupted == [run_id]
    with session_scope(open_store(store)) as session:
        run = get_run(session, run_id)
    assert (run.status, run.attempts) == ("failed", 1)
    assert run.error == "SoftTimeLimitExceeded: the task ran past its soft time limit (MNISTQ_TASK_SOFT_LIMIT)"


def test_record_time_limit_fails_a_run_this_worker_holds_once(store: str, tmp_path: Path) -> None:
    run_id = one_run(store, tmp_path)
    engine = open_store(store)
    with session_scope(engine) as session:
        assert claim_run(session, run_id, worker=worker_name(), lease_seconds=60, max_attempts=3) is not None
    assert tasks.record_time_limit(engine, run_id, SoftTimeLimitExceeded()) == "failed"
    with session_scope(engine) as session:
        run = get_run(session, run_id)
    assert (run.status, run.attempts) == ("failed", 1)
    assert run.error == "SoftTimeLimitExceeded: the task ran past its soft time limit (MNISTQ_TASK_SOFT_LIMIT)"
    with pytest.raises(SoftTimeLimitExceeded):  # its outcome is stored: nothing to record, the task fails as before
        tasks.record_time_limit(engine, run_id, SoftTimeLimitExceeded())
