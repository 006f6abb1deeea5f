"""Claims, leases, heartbeats, finishing and reaping: every transition is one conditional UPDATE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.engine import session_scope
from db.queries import (
    cancel_sweep,
    claim_run,
    create_sweep,
    fail_run,
    finish_run,
    get_run,
    heartbeat,
    requeue_expired,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
LEASE = 60.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def run_ids(store, new_run):
    with session_scope(store) as session:
        return create_sweep(session, "s", {}, [new_run(s) for s in range(3)]).run_ids


def claim(store, run_id, worker, seconds=0.0, max_attempts=3):
    with session_scope(store) as session:
        return claim_run(
            session, run_id, worker=worker, lease_seconds=LEASE, max_attempts=max_attempts, now=at(seconds)
        )


def test_a_queued_run_is_claimed_once(store, run_ids):
    won = claim(store, run_ids[0], "a")
    assert won is not None
    assert (won.status, won.worker, won.attempts) == ("running", "a", 1)
    assert won.claimed_at == won.heartbeat_at == won.started_at == T0
    assert claim(store, run_ids[0], "b", seconds=1) is None
    with session_scope(store) as session:
        assert get_run(session, run_ids[0]).worker == "a"


def test_heartbeats_keep_the_lease_and_without_them_it_is_taken_over(store, run_ids):
    claim(store, run_ids[0], "a")
    with session_scope(store) as session:
        control = heartbeat(session, run_ids[0], "a", now=at(LEASE - 1))
    assert (control.holds_lease, control.cancel_requested) == (True, False)
    assert claim(store, run_ids[0], "b", seconds=LEASE + 1) is None  # renewed at LEASE - 1
    taken = claim(store, run_ids[0], "b", seconds=2 * LEASE)
    assert taken is not None and (taken.worker, taken.attempts) == ("b", 2)
    with session_scope(store) as session:
        assert heartbeat(session, run_ids[0], "a", now=at(2 * LEASE + 1)).holds_lease is False
        assert finish_run(session, run_ids[0], worker="a", status="completed", metrics={}) is False
        assert fail_run(session, run_ids[0], worker="a", error="late", final=True) is False
        assert get_run(session, run_ids[0]).status == "running"


def test_retryable_failures_requeue_until_attempts_run_out_and_final_ones_fail(store, run_ids):
    for attempt in range(2):
        assert claim(store, run_ids[0], f"w{attempt}", max_attempts=2) is not None
        with session_scope(store) as session:
            assert fail_run(session, run_ids[0], worker=f"w{attempt}", error="oom", final=False)
    assert claim(store, run_ids[0], "w2", max_attempts=2) is None
    claim(store, run_ids[1], "a")
    with session_scope(store) as session:
        assert fail_run(session, run_ids[1], worker="a", error="ValueError: bad", final=True, now=at(5))
        retried, failed = get_run(session, run_ids[0]), get_run(session, run_ids[1])
    assert (retried.status, retried.attempts, retried.error) == ("queued", 2, "oom")
    assert (failed.status, failed.error, failed.finished_at) == ("failed", "ValueError: bad", at(5))


def test_finished_runs_are_never_claimed_again(store, run_ids):
    claim(store, run_ids[0], "a")
    with session_scope(store) as session:
        assert finish_run(
            session,
            run_ids[0],
            worker="a",
            status="completed",
            metrics={"val_acc": 0.97, "test_acc": 0.96, "best_epoch": 7, "train_seconds": 12.5},
            now=at(30),
        )
    assert claim(store, run_ids[0], "b", seconds=10 * LEASE) is None
    with session_scope(store) as session:
        run = get_run(session, run_ids[0])
    assert (run.status, run.val_acc, run.test_acc, run.best_epoch, run.train_seconds) == (
        "completed",
        0.97,
        0.96,
        7,
        12.5,
    )
    assert run.finished_at == at(30) and run.train_loss is None


def test_finish_rejects_unknown_statuses_and_metrics(store, run_ids):
    claim(store, run_ids[0], "a")
    with session_scope(store) as session:
        with pytest.raises(ValueError, match="finish status 'failed'"):
            finish_run(session, run_ids[0], worker="a", status="failed", metrics={})
        with pytest.raises(ValueError, match="unknown metric"):
            finish_run(session, run_ids[0], worker="a", status="completed", metrics={"accuracy": 1.0})


def test_cancel_stops_queued_runs_and_asks_running_ones_to_stop(store, run_ids):
    claim(store, run_ids[0], "a")
    claim(store, run_ids[1], "b")
    with session_scope(store) as session:
        sweep_id = get_run(session, run_ids[0]).sweep_id
        result = cancel_sweep(session, sweep_id)
    assert result.cancel_requested_ids == tuple(run_ids[:2])
    assert result.cancelled_ids == (run_ids[2],)
    with session_scope(store) as session:
        control = heartbeat(session, run_ids[0], "a", now=at(1))
        assert (control.holds_lease, control.cancel_requested) == (True, True)
        assert finish_run(session, run_ids[0], worker="a", status="cancelled", metrics={})
        assert fail_run(session, run_ids[1], worker="b", error="oom", final=False)  # retryable, but cancelled
        assert [get_run(session, i).status for i in run_ids] == ["cancelled"] * 3
    assert claim(store, run_ids[2], "c") is None  # cancelled runs are not claimable


def test_the_reaper_requeues_fails_or_cancels_runs_with_expired_leases(store, new_run):
    with session_scope(store) as session:
        created = create_sweep(session, "s", {}, [new_run(s) for s in range(4)])
    requeue_id, fail_id, fresh_id, cancel_id = created.run_ids
    claim(store, requeue_id, "a")  # attempt 1 of 2: goes back to the queue
    claim(store, fail_id, "b")
    with session_scope(store) as session:
        fail_run(session, fail_id, worker="b", error="oom", final=False)
    claim(store, fail_id, "b")  # attempt 2 of 2: out of attempts
    claim(store, fresh_id, "c", seconds=LEASE)  # fresh at reap time: untouched
    claim(store, cancel_id, "d")
    with session_scope(store) as session:
        create_sweep(session, "keeps the others wanted", {}, [new_run(s) for s in range(3)])
        cancel_sweep(session, created.sweep.id)  # only cancel_id is wanted by nobody else
    with session_scope(store) as session:
        reaped = requeue_expired(session, lease_seconds=LEASE, max_attempts=2, now=at(LEASE + 1))
        requeued, failed, fresh, cancelled = (get_run(session, i) for i in created.run_ids)
    assert reaped.requeued_ids == (requeue_id,)
    assert (reaped.failed_ids, reaped.cancelled_ids) == ((fail_id,), (cancel_id,))
    assert (requeued.status, requeued.heartbeat_at, requeued.attempts) == ("queued", None, 1)
    assert "no heartbeat for 60 s" in requeued.error
    assert (failed.status, failed.finished_at) == ("failed", at(LEASE + 1))
    assert "after 2 attempts" in failed.error
    assert (fresh.status, cancelled.status) == ("running", "cancelled")
    assert claim(store, requeue_id, "e", seconds=LEASE + 2) is not None
    assert claim(store, cancel_id, "e", seconds=LEASE + 2) is None
