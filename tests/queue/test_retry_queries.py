"""The queries and rules behind `retry`, local supervision and exit codes, on SQLite and PostgreSQL: what a
retry queues and keeps, what a dead process gives back, what a worker may claim, who is still asked to stop,
and which exit code and line a set of counts gets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from db import open_store, session_scope
from db.errors import NotFoundError, UserError
from db.models import Run
from db.queries import (
    attempts_used,
    cancel_sweep,
    claim_run,
    claimable_runs,
    finish_run,
    get_artifact,
    get_run,
    get_sweep,
    release_runs,
    retry_run,
    retry_sweep,
    store_artifact,
    sweep_counts,
)
from scheduler.outcome import EXIT_OK, EXIT_RUNS_FAILED, EXIT_UNFINISHED, Target, exit_code, summary
from scheduler.spec import load_spec
from scheduler.submit import store_sweep

from ..faults.helpers import spec_file

LEASE = {"lease_seconds": 60, "max_attempts": 3}


@pytest.fixture
def four_runs(tmp_path: Path, db_url: str):
    """A store with sweep 1 of four queued runs: (engine, run ids)."""
    engine = open_store(db_url, create=True)
    with session_scope(engine) as session:
        submitted = store_sweep(session, load_spec(spec_file(tmp_path, "q", "seed = [0, 1, 2, 3]", epochs=2)))
    return engine, [run_id for run_id, _ in submitted.to_train]


def test_only_runs_still_running_count_as_asked_to_stop(four_runs) -> None:
    engine, (a, b, c, _) = four_runs
    with session_scope(engine) as session:
        for run_id, worker in ((a, "h:1"), (b, "h:2"), (c, "h:3")):
            claim_run(session, run_id, worker=worker, **LEASE)
        cancel_sweep(session, 1)
        assert sweep_counts(session, 1).cancel_requested == 3
        finish_run(session, a, worker="h:1", status="cancelled", metrics={})  # stopped at its next epoch
        release_runs(session, workers=["h:2"], max_attempts=3)  # died with the cancel pending
        counts = sweep_counts(session, 1)
        assert (counts.cancel_requested, counts.running, counts.cancelled) == (1, 1, 3)
        assert get_run(session, a).cancel_requested  # the flag stays on the stopped run: only the count changed


def test_release_says_what_became_of_each_run_of_a_dead_process(four_runs) -> None:
    engine, (fresh, spent, cancelling, other) = four_runs
    with session_scope(engine) as session:
        session.execute(update(Run).where(Run.id == spent).values(attempts=2))
        for run_id in (fresh, spent, cancelling):
            claim_run(session, run_id, worker="h:9", **LEASE)
        claim_run(session, other, worker="h:10", **LEASE)
        session.execute(update(Run).where(Run.id == cancelling).values(cancel_requested=True))
        given = release_runs(session, workers=["h:9"], max_attempts=3)
        assert (given.requeued_ids, given.failed_ids, given.cancelled_ids) == ((fresh,), (spent,), (cancelling,))
        assert [get_run(session, r).status for r in (fresh, spent, cancelling, other)] == [
            "queued", "failed", "cancelled", "running",
        ]
        assert get_run(session, spent).error == "worker process died while training on each of 3 attempts"
        assert attempts_used(session, 1) == 3 + 1 + 1 + 1 and attempts_used(session, 1, run_id=spent) == 3
        assert release_runs(session, workers=[], max_attempts=3).requeued_ids == ()


def test_claimable_runs_follow_the_claim_rule(four_runs) -> None:
    engine, (a, b, c, d) = four_runs
    with session_scope(engine) as session:
        claim_run(session, a, worker="h:1", **LEASE)
        session.execute(update(Run).where(Run.id == b).values(attempts=3))  # queued, but out of attempts
        assert claimable_runs(session, 1, max_attempts=3) == [c, d]
        assert claimable_runs(session, 1, max_attempts=4) == [b, c, d]
        assert claimable_runs(session, 1, max_attempts=3, with_running=True) == [a, c, d]
        assert claimable_runs(session, 1, max_attempts=3, run_id=d) == [d]
        assert claimable_runs(session, 1, max_attempts=3, run_id=a) == []


def test_retry_cancelled_keeps_checkpoints_reopens_the_sweep_and_lets_running_runs_go_on(four_runs) -> None:
    engine, (stopped, going, failed, never_started) = four_runs
    with session_scope(engine) as session:
        for run_id, worker in ((stopped, "h:1"), (going, "h:2"), (failed, "h:3")):
            claim_run(session, run_id, worker=worker, **LEASE)
        store_artifact(session, stopped, "checkpoint", b"after epoch 1")
        release_runs(session, workers=["h:3"], max_attempts=1)  # failed: out of attempts
        cancel_sweep(session, 1)
        finish_run(session, stopped, worker="h:1", status="cancelled", metrics={})
        assert retry_sweep(session, 1) == [failed]  # without --cancelled: the failed run only
        assert get_sweep(session, 1).cancelled is True and get_run(session, stopped).status == "cancelled"
        assert retry_sweep(session, 1, statuses=["cancelled"]) == [stopped, never_started]
        run = get_run(session, stopped)
        assert (run.status, run.attempts, run.cancel_requested, run.error) == ("queued", 0, False, None)
        assert get_artifact(session, stopped, "checkpoint") is not None  # to resume from
        assert get_sweep(session, 1).cancelled is False
        assert get_run(session, going).cancel_requested is False  # still running: it now carries on
        with pytest.raises(ValueError, match="cannot retry"):
            retry_sweep(session, 1, statuses=["running"])


def test_retry_run_queues_any_finished_run_and_refuses_a_running_one(four_runs) -> None:
    engine, (done, running, queued, unknown) = four_runs
    with session_scope(engine) as session:
        claim_run(session, done, worker="h:1", **LEASE)
        finish_run(session, done, worker="h:1", status="completed", metrics={"val_acc": 0.9})
        store_artifact(session, done, "final", b"weights")
        claim_run(session, running, worker="h:2", **LEASE)
        run, was = retry_run(session, done)
        assert was == "completed" and (run.status, run.attempts, run.val_acc) == ("queued", 0, None)
        assert get_artifact(session, done, "final") is None  # the new training stores its own
        assert retry_run(session, queued) == (get_run(session, queued), "queued")  # to be sent again
        with pytest.raises(UserError, match=rf"^run {running} is running \(worker h:2\)"):
            retry_run(session, running)
        session.execute(update(Run).where(Run.id == unknown).values(status="diverged"))
        assert retry_run(session, unknown)[1] == "diverged"
        with pytest.raises(NotFoundError, match="^no run 999"):
            retry_run(session, 999)


@pytest.mark.parametrize(
    ("counts", "code", "line"),
    [
        ({"completed": 3, "diverged": 1}, EXIT_OK, None),
        (
            {"completed": 2, "failed": 1},
            EXIT_RUNS_FAILED,
            "sweep 5 finished with failed runs: 1 failed, 2 completed of 3 runs; queue them again with `mnistq retry 5`",
        ),
        (
            {"completed": 1, "failed": 1, "cancelled": 2},
            EXIT_UNFINISHED,
            "sweep 5 is not finished: 1 failed, 2 cancelled, 1 completed of 4 runs; resume them with "
            "`mnistq retry 5 --cancelled`",
        ),
        (
            {"queued": 2, "running": 1},
            EXIT_UNFINISHED,
            "sweep 5 is not finished: 2 queued, 1 running of 3 runs; resume them with `mnistq retry 5`",
        ),
    ],
)
def test_counts_give_the_exit_code_and_the_line(counts: dict[str, int], code: int, line: str | None) -> None:
    assert exit_code(counts) == code
    assert summary(Target(5), counts) == line


def test_one_run_is_resumed_with_retry_run() -> None:
    assert summary(Target(5, run_id=9), {"cancelled": 1}) == (
        "run 9 is not finished: 1 cancelled of 1 runs; resume them with `mnistq retry --run 9`"
    )
