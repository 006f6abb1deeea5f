"""The task's edges in one process (fast): a worker that cannot take runs puts the message back instead of
acknowledging it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from celery.exceptions import Reject
from sqlalchemy import text

import worker.tasks as tasks
from db import open_store, session_scope
from db.queries import get_run
from scheduler.spec import load_spec
from scheduler.submit import store_sweep

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
