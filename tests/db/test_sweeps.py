"""Sweep-level queries: leaderboards, progress counts, cancel (respecting shared runs), retry, lookups."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from db.engine import session_scope
from db.errors import NotFoundError, UserError
from db.queries import (
    add_runs,
    cancel_sweep,
    claim_run,
    create_sweep,
    fail_run,
    finish_run,
    get_run,
    get_sweep,
    leaderboard,
    list_sweeps,
    retry_sweep,
    run_history,
    sweep_counts,
    sweep_run_ids,
    upsert_epoch,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def finish(session, run_id, status="completed", minutes=0.0, **metrics):
    now = T0 + timedelta(minutes=minutes)
    claim_run(session, run_id, worker="w", lease_seconds=60, max_attempts=3, now=now)
    finish_run(session, run_id, worker="w", status=status, metrics=metrics, now=now)


def test_leaderboard_ranks_completed_runs_by_the_metric(store, new_run):
    with session_scope(store) as session:
        ids = create_sweep(session, "s", {}, [new_run(i) for i in range(6)]).run_ids
        finish(session, ids[0], val_acc=0.91, val_loss=0.30)
        finish(session, ids[1], val_acc=0.97, val_loss=0.10)
        finish(session, ids[2], val_acc=0.95, val_loss=0.20)
        finish(session, ids[3], val_acc=0.97, val_loss=0.15)  # tie on val_acc: lower id first
        finish(session, ids[4], status="diverged", val_acc=0.99, val_loss=math.nan)
        finish(session, ids[5], val_acc=math.nan)  # NaN is not a score
    with session_scope(store) as session:
        by_acc = leaderboard(session, get_run(session, ids[0]).sweep_id, k=3)
        by_loss = leaderboard(session, get_run(session, ids[0]).sweep_id, metric="val_loss")
        with pytest.raises(UserError, match="cannot rank by 'seed'"):
            leaderboard(session, 1, metric="seed")
    assert [r.id for r in by_acc] == [ids[1], ids[3], ids[2]]
    assert [r.id for r in by_loss] == [ids[1], ids[3], ids[2], ids[0]]
    with session_scope(store) as session:  # a later sweep's leaderboard includes the runs it reused
        later = create_sweep(session, "later", {}, [new_run(1), new_run(99)]).sweep.id
        assert [r.id for r in leaderboard(session, later)] == [ids[1]]


def test_sweep_counts_report_status_and_timing(store, new_run):
    with session_scope(store) as session:
        created = create_sweep(session, "s", {}, [new_run(i) for i in range(5)])
        sweep_id, ids = created.sweep.id, created.run_ids
        finish(session, ids[0], minutes=0, train_seconds=10.0)
        finish(session, ids[1], minutes=9, train_seconds=30.0)
        finish(session, ids[2], status="diverged", minutes=10, train_seconds=math.nan)
        claim_run(session, ids[3], worker="w", lease_seconds=60, max_attempts=3, now=T0)
        for n, seconds in ((1, 1.0), (2, 3.0)):
            upsert_epoch(
                session, ids[0], {"epoch": n, "train_loss": 1.0, "train_acc": 0.5, "seconds": seconds}
            )
        cancel_sweep(session, sweep_id, now=T0 + timedelta(minutes=2))
    with session_scope(store) as session:
        counts = sweep_counts(session, sweep_id, now=T0 + timedelta(minutes=11))
    assert counts.by_status == {
        "queued": 0,
        "running": 1,
        "completed": 2,
        "failed": 0,
        "diverged": 1,
        "cancelled": 1,
        "pruned": 0,
    }
    assert (counts.total, counts.finished, counts.cancel_requested) == (5, 4, 1)
    assert counts.total_train_seconds == 40.0 and counts.mean_train_seconds == 20.0  # NaN left out
    assert counts.mean_epoch_seconds == 2.0
    assert counts.first_started_at == T0 and counts.last_finished_at == T0 + timedelta(minutes=10)
    # T0 is before the sweep was created: those results count as reused, not as this sweep's throughput
    assert (counts.trained_runs, counts.span_finished_at, counts.runs_per_minute) == (0, None, None)
    assert counts.span_started_at == T0  # the run still running is work the sweep waits for


def test_throughput_spans_the_sweeps_own_runs_and_stays_put_once_settled(store, new_run):
    """Runs per minute over first start to last finish of the runs trained for the sweep (to `now` while it
    is active); a reused result finished before the sweep existed is left out of the count and the span."""
    with session_scope(store) as session:
        create_sweep(session, "earlier", {}, [new_run(0)])
        created = create_sweep(session, "later", {}, [new_run(i) for i in range(5)])
    sweep_id, ids, c = created.sweep.id, created.run_ids, created.sweep.created_at

    def trained(run_id: int, start: float, end: float, status: str = "completed") -> None:
        with session_scope(store) as session:
            at = c + timedelta(minutes=start)
            claim_run(session, run_id, worker="w", lease_seconds=600, max_attempts=3, now=at)
            finish_run(session, run_id, worker="w", status=status, metrics={}, now=c + timedelta(minutes=end))

    trained(ids[0], -61, -60)  # the reused result, an hour before the sweep
    trained(ids[1], 1, 2)
    trained(ids[2], 1, 3)
    trained(ids[3], 2, 4, status="diverged")
    with session_scope(store) as session:
        active = sweep_counts(session, sweep_id, now=c + timedelta(minutes=5))  # ids[4] still queued
    assert (active.settled, active.trained_runs, active.active_seconds) == (False, 3, 240.0)
    assert active.runs_per_minute == pytest.approx(0.75)  # 3 runs in the 4 minutes since the first start
    trained(ids[4], 4, 5)
    for later in (timedelta(minutes=5), timedelta(minutes=13), timedelta(days=2)):
        with session_scope(store) as session:
            settled = sweep_counts(session, sweep_id, now=c + later)
        assert settled.settled and settled.trained_runs == 4
        assert settled.active_seconds == 240.0 and settled.runs_per_minute == pytest.approx(1.0)


def test_cancel_leaves_runs_another_live_sweep_still_wants(store, new_run):
    with session_scope(store) as session:
        first = create_sweep(session, "first", {}, [new_run(1), new_run(2)])
        second = create_sweep(session, "second", {}, [new_run(2), new_run(3)])
        result = cancel_sweep(session, second.sweep.id)
        shared, only_second = second.run_ids
        assert result.cancelled_ids == (only_second,)
        assert get_run(session, shared).status == "queued"
        assert get_sweep(session, second.sweep.id).cancelled is True
        result = cancel_sweep(session, first.sweep.id)  # now nobody wants the shared run
        assert set(result.cancelled_ids) == set(first.run_ids)


def test_retry_requeues_only_failed_runs(store, new_run):
    with session_scope(store) as session:
        created = create_sweep(session, "s", {}, [new_run(i) for i in range(3)])
        failed, done, _ = created.run_ids
        claim_run(session, failed, worker="w", lease_seconds=60, max_attempts=3)
        fail_run(session, failed, worker="w", error="boom", final=True)
        finish(session, done, val_acc=0.9)
        assert retry_sweep(session, created.sweep.id) == [failed]
        run = get_run(session, failed)
        assert (run.status, run.attempts, run.error) == ("queued", 0, None)
        assert retry_sweep(session, created.sweep.id) == []
        assert sweep_run_ids(session, created.sweep.id, statuses=["queued"]) == [failed, created.run_ids[2]]


def test_sweeps_are_listed_newest_first(store, new_run):
    with session_scope(store) as session:
        a = create_sweep(session, "a", {"n": 1}, [new_run(1)]).sweep
        b = create_sweep(session, "b", {"n": 2}, []).sweep
        assert list_sweeps(session) == [b, a]
        assert list_sweeps(session, limit=1) == [b]
        assert a.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: get_run(s, 42), r"^no run 42; see `mnistq runs`$"),
        (lambda s: get_sweep(s, 7), r"^no sweep 7; see `mnistq sweeps`$"),
        (lambda s: sweep_counts(s, 7), r"^no sweep 7"),
        (lambda s: cancel_sweep(s, 7), r"^no sweep 7"),
        (lambda s: retry_sweep(s, 7), r"^no sweep 7"),
        (lambda s: leaderboard(s, 7), r"^no sweep 7"),
        (lambda s: add_runs(s, 7, []), r"^no sweep 7"),
        (lambda s: run_history(s, 42), r"^no run 42; see `mnistq runs`$"),
    ],
)
def test_unknown_ids_are_one_line_user_errors(sqlite_store, call, message):
    with pytest.raises(NotFoundError, match=message) as info, session_scope(sqlite_store) as session:
        call(session)
    assert isinstance(info.value, UserError)


def test_run_engines_pairs_ids_with_their_queue_in_order(store, new_run):
    from db.queries import run_engines

    runs = [new_run(seed) for seed in range(3)]
    with session_scope(store) as session:
        ids = create_sweep(session, "engines", {}, runs).run_ids
        assert run_engines(session, [ids[2], ids[0], 999_999]) == [(ids[2], runs[2].engine), (ids[0], runs[0].engine)]
        assert run_engines(session, []) == []
