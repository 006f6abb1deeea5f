"""The recovery machinery in isolation (fast): worker names, retried writes, idempotent write paths, outages
that outlast the retries, queued runs nobody claimed, and the reaper's re-sending rule."""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from billiard.exceptions import SoftTimeLimitExceeded
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

import worker.execute as worker_execute
from db import DatabaseUnavailableError, open_store, session_scope
from db.models import Run
from db.queries import claim_run, get_artifact, get_run, release_runs, run_history, unclaimed_queued
from db.types import utcnow
from scheduler.queue import make_sender
from scheduler.reaper import ReaperSettings, reap_once
from scheduler.spec import load_spec
from scheduler.submit import store_sweep
from worker.execute import describe_failure, execute_run
from worker.identity import holder_is_dead, worker_name
from worker.retry import retry_db
from worker.tasks import soft_time_limit

from ..queue.helpers import ROOT, wait_until
from .helpers import spec_file


def _outage() -> OperationalError:
    return OperationalError("UPDATE runs ...", {}, ConnectionError("server closed the connection unexpectedly"))


def _sweep(tmp_path: Path, url: str, grid: str = "seed = [0, 1]") -> list[int]:
    spec = spec_file(tmp_path, "units", grid, epochs=2, hidden="[8]").read_text().replace("mnist-5k", "digits")
    path = tmp_path / "units-digits.toml"
    path.write_text(spec)
    with session_scope(open_store(url, create=True)) as session:
        return [run_id for run_id, _ in store_sweep(session, load_spec(path)).to_train]


def _dead_pid() -> int:
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)


def test_worker_host_override_defines_this_host(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = _dead_pid()
    assert holder_is_dead(f"{socket.gethostname()}:{dead}")
    monkeypatch.setenv("MNISTQ_WORKER_HOST", "node-7")
    assert worker_name().startswith("node-7:")
    assert holder_is_dead(f"node-7:{dead}")
    assert not holder_is_dead(f"{socket.gethostname()}:{dead}")  # now another host's: only its lease can tell


def test_a_zombie_holder_is_dead() -> None:
    """A process killed with its parent stays a zombie until init reaps it: it holds a pid but never trains."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    wait_until(lambda: Path(f"/proc/{child.pid}/stat").read_text().split(")")[-1].split()[0] == "Z", 60, "a zombie")
    try:
        assert holder_is_dead(f"{socket.gethostname()}:{child.pid}")  # it exited; nobody has reaped it yet
        assert not holder_is_dead(f"{socket.gethostname()}:{os.getpid()}")
    finally:
        child.wait()


def _scripted(*outcomes: object) -> Callable[[], object]:
    """A write that raises or returns `outcomes` in turn, one per call."""
    calls = iter(outcomes)

    def write() -> object:
        outcome = next(calls)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return write


def test_retry_db_backs_off_on_outages_only_and_gives_up() -> None:
    slept: list[float] = []
    assert retry_db(_scripted(_outage(), _outage(), "done"), what="test", sleep=slept.append) == "done"
    assert slept == [0.2, 0.4]
    with pytest.raises(IntegrityError):  # a bug or a constraint: never retried
        retry_db(lambda: (_ for _ in ()).throw(IntegrityError("INSERT", {}, Exception("dup"))), what="t", sleep=slept.append)
    assert slept == [0.2, 0.4]
    with pytest.raises(OperationalError):
        retry_db(lambda: (_ for _ in ()).throw(_outage()), what="t", give_up_after=1.0, sleep=slept.append)
    assert slept == [0.2, 0.4, 0.2, 0.4, 0.8]  # (the clock stands still) the next wait, 1.6 s, would pass 1 s


class _Interrupt(Exception):
    """Stands for Celery's SoftTimeLimitExceeded, which a signal handler raises wherever the task happens to be."""


def test_an_interrupt_inside_a_write_is_raised_not_retried() -> None:
    slept: list[float] = []

    def interrupted() -> None:
        try:
            raise _Interrupt("soft time limit")
        except _Interrupt:  # the driver's rollback fails while the interrupted command is still in flight
            raise _outage() from OperationalError("ROLLBACK", {}, ConnectionError("another command in progress"))

    with pytest.raises(_Interrupt, match="soft time limit"):
        retry_db(interrupted, what="t", sleep=slept.append)
    assert slept == []


def test_an_interrupt_that_sqlalchemy_wrapped_is_raised_as_itself() -> None:
    """Raised while SQLAlchemy prepares or runs a statement, the interrupt comes back as a StatementError."""
    slept: list[float] = []

    def interrupted() -> None:
        try:
            raise _Interrupt("soft time limit")
        except _Interrupt as exc:
            raise StatementError("(_Interrupt) soft time limit", "INSERT INTO epoch_metrics ...", {}, exc) from exc

    with pytest.raises(_Interrupt, match="soft time limit"):
        retry_db(interrupted, what="t", sleep=slept.append)
    assert slept == []


def test_an_outage_while_recording_a_failure_is_still_retried() -> None:
    """retry_db called from an except block (as `_fail` is): the exception being handled is not an interrupt."""
    slept: list[float] = []
    try:
        raise ValueError("the run's own failure")
    except ValueError:
        assert retry_db(_scripted(_outage(), "recorded"), what="t", sleep=slept.append) == "recorded"
    assert slept == [0.2]


def test_a_signal_during_a_postgresql_query_is_raised_not_retried(pg_url: str) -> None:
    """The real driver: psycopg waits for the server in Python, so the handler's exception lands mid-query and
    comes back as an OperationalError from the failed rollback, with the interrupt only in its context."""
    store = open_store(pg_url, create=True)
    slept: list[float] = []

    def on_alarm(signum: int, frame: object) -> None:
        raise _Interrupt("soft time limit")

    def slow_write() -> None:
        with session_scope(store) as session:
            session.execute(text("SELECT pg_sleep(2)"))

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(_Interrupt, match="soft time limit"):
            retry_db(slow_write, what="t", sleep=slept.append)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert slept == []
    with session_scope(store) as session:  # the pool threw the broken connection away
        assert session.execute(text("SELECT 1")).scalar_one() == 1


def test_a_store_that_cannot_be_opened_is_waited_for() -> None:
    """The first task of a pool process opens the store through retry_db too."""
    slept: list[float] = []
    with pytest.raises(DatabaseUnavailableError, match="PostgreSQL at 127.0.0.1:1"):
        retry_db(lambda: open_store("postgresql://nobody@127.0.0.1:1/x", create=True), what="t", give_up_after=1.0, sleep=slept.append)
    assert slept == [0.2, 0.4, 0.8]


def test_every_write_of_a_run_is_safe_to_repeat_after_it_committed(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit can succeed while its acknowledgement is lost with the connection; retry_db then runs the
    write again. Here every write (claim, checkpoint load, epochs, result) runs twice in a row."""
    (run_id, _) = _sweep(tmp_path, sqlite_url)

    def twice(write, *, what):
        write()
        return write()

    monkeypatch.setattr(worker_execute, "retry_db", twice)
    assert execute_run(run_id, engine=open_store(sqlite_url, create=True)) == "completed"
    with session_scope(open_store(sqlite_url, create=True)) as session:
        run = get_run(session, run_id)
        assert (run.status, run.attempts) == ("completed", 1)
        assert [h.epoch for h in run_history(session, run_id)] == [1, 2]
        assert get_artifact(session, run_id, "final") is not None and get_artifact(session, run_id, "checkpoint") is None


def test_an_outage_longer_than_the_retries_leaves_the_run_to_its_lease(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (run_id, _) = _sweep(tmp_path, sqlite_url)

    def down(*_args, **_kwargs):
        raise _outage()

    monkeypatch.setattr(worker_execute, "upsert_epoch", down)
    monkeypatch.setattr(worker_execute, "retry_db", functools.partial(retry_db, give_up_after=0.5, sleep=lambda _: None))
    with pytest.raises(OperationalError):
        execute_run(run_id, engine=open_store(sqlite_url, create=True))
    with session_scope(open_store(sqlite_url, create=True)) as session:
        run = get_run(session, run_id)
    assert (run.status, run.attempts, run.error) == ("running", 1, None)  # not failed: the reaper requeues it


def test_a_run_past_its_deadline_fails_at_the_next_epoch_even_if_the_signal_was_swallowed(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The soft limit's signal can be swallowed by library code (SQLAlchemy logs and drops an exception raised
    while it closes a cursor); the epoch callback's own clock check still ends the run."""
    (run_id, _) = _sweep(tmp_path, sqlite_url)
    already_passed = time.monotonic() - 1.0
    assert execute_run(run_id, engine=open_store(sqlite_url, create=True), deadline=already_passed) == "failed"
    with session_scope(open_store(sqlite_url, create=True)) as session:
        run = get_run(session, run_id)
        history = run_history(session, run_id)
    assert (run.status, run.attempts) == ("failed", 1)
    assert run.error == "SoftTimeLimitExceeded: the task's soft time limit passed after epoch 1"
    assert [h.epoch for h in history] == [1]  # the epoch it trained is kept
    (other, _) = _sweep(tmp_path, sqlite_url, "seed = [2, 3]")
    assert execute_run(other, engine=open_store(sqlite_url, create=True), deadline=time.monotonic() + 600) == "completed"


def test_failures_are_described_in_one_line() -> None:
    assert describe_failure(ValueError("bad\n  value")) == "ValueError: bad value"
    assert describe_failure(SoftTimeLimitExceeded()) == (
        "SoftTimeLimitExceeded: the task ran past its soft time limit (MNISTQ_TASK_SOFT_LIMIT)"
    )
    assert describe_failure(SoftTimeLimitExceeded("after epoch 3")) == "SoftTimeLimitExceeded: after epoch 3"
    assert describe_failure(RuntimeError()) == "RuntimeError"


def test_the_soft_limit_of_a_delivery_is_its_own_or_the_apps() -> None:
    assert soft_time_limit([60, 3], 21600) == 3.0
    assert soft_time_limit((None, None), 21600) == 21600.0
    assert soft_time_limit(None, 21600) == 21600.0
    assert soft_time_limit(None, None) is None


def test_unclaimed_queued_runs(tmp_path: Path, db_url: str) -> None:
    fresh, requeued, cancelling = _sweep(tmp_path, db_url, "seed = [0, 1, 2]")
    engine = open_store(db_url, create=True)
    later = utcnow() + timedelta(seconds=60)
    with session_scope(engine) as session:
        assert unclaimed_queued(session, idle_seconds=30) == []  # created just now
        assert [r for r, _ in unclaimed_queued(session, idle_seconds=30, now=later)] == [fresh, requeued, cancelling]
        assert unclaimed_queued(session, idle_seconds=30, engines=["sklearn"], now=later) == []
        claim_run(session, requeued, worker="w:1", lease_seconds=60, max_attempts=3, now=later)
        release_runs(session, workers=["w:1"], max_attempts=3)  # queued again, last claimed at `later`
        session.execute(update(Run).where(Run.id == cancelling).values(cancel_requested=True))
        assert unclaimed_queued(session, idle_seconds=30, now=later) == [(fresh, "numpy")]
        assert [r for r, _ in unclaimed_queued(session, idle_seconds=30, now=later + timedelta(seconds=31))] == [
            fresh, requeued,
        ]


def test_the_reaper_resends_lost_runs_only_on_an_empty_queue(tmp_path: Path, sqlite_url: str, redis_url: str) -> None:
    run_ids = _sweep(tmp_path, sqlite_url)
    broker, sender = redis.Redis.from_url(redis_url), make_sender(redis_url)
    settings = ReaperSettings.from_env({"MNISTQ_RESEND_SECONDS": "0.1", "MNISTQ_LEASE_SECONDS": "60"})
    engine = open_store(sqlite_url, create=True)
    wait_until(lambda: len(unclaimed_queued_now(engine, 0.1)) == 2, 5, "the runs to wait 0.1 s")

    broker.lpush("numpy", "a message for someone else")
    assert reap_once(engine, sender, settings).resent == ()  # a backlog: their messages may be in it
    broker.delete("numpy")
    assert reap_once(engine, sender, settings).resent == tuple(run_ids)
    sent = [json.loads(m)["headers"]["argsrepr"] for m in broker.lrange("numpy", 0, -1)]
    assert sorted(sent) == sorted(f"[{r}]" for r in run_ids)
    assert reap_once(engine, sender, settings).resent == ()  # not again while those wait in the queue


def unclaimed_queued_now(engine, idle_seconds: float) -> list:
    with session_scope(engine) as session:
        return unclaimed_queued(session, idle_seconds=idle_seconds)


@pytest.mark.slow
def test_the_scheduler_service_survives_failed_passes_and_masks_secrets(sqlite_url: str, tmp_path: Path) -> None:
    env = {"MNISTQ_BROKER_URL": "redis://:hunter2-secret@127.0.0.1:1/0", "MNISTQ_DATABASE_URL": sqlite_url}
    log = tmp_path / "scheduler.log"
    with log.open("wb") as handle:
        service = subprocess.Popen(
            [sys.executable, "-m", "scheduler.cli", "scheduler", "--interval", "0.2"],
            env={**os.environ, **env}, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: log.read_text().count("pass failed") >= 2, 60, "two failed passes")
        assert service.poll() is None  # still serving
    finally:
        service.kill()
        service.wait()
    text = log.read_text()
    assert "hunter2-secret" not in text and "Traceback" not in text
    failed = [line for line in text.splitlines() if "pass failed" in line]
    # a line of `logging`: date, time, logger, level, then the one-line message
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} mnistq\.scheduler WARNING pass failed \(.+\); next in 0\.2 s",
                        failed[0]), failed[0]
    assert re.search(r"^\S+ \S+ mnistq\.scheduler INFO reaping every 0\.2 s$", text, re.MULTILINE), text
