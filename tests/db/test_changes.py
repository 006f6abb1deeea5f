"""The change cursor: every write path shows up in the right sweep's changes, heartbeats do not, linking a run
or writing a sweep's own row counts, and a write in progress when the cursor is read is found by the next call
once committed (both backends)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from db.engine import session_scope
from db.errors import NotFoundError
from db.models import EpochMetric, Run, Sweep, SweepRun
from db.queries import (
    add_runs,
    cancel_sweep,
    change_cursor,
    changed_sweeps,
    claim_run,
    create_sweep,
    fail_run,
    finish_run,
    heartbeat,
    requeue_expired,
    retry_run,
    sweep_changes,
    upsert_epoch,
)
from db.records import SweepChanges
from db.store import dispose_engines, open_store

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
LEASE = 60.0


def epoch(n: int) -> dict[str, float | int | None]:
    return {"epoch": n, "train_loss": 1.0 / n, "train_acc": 0.5, "val_loss": 1.1 / n, "val_acc": 0.5, "seconds": 0.25}


@pytest.fixture
def sweeps(store, new_run) -> tuple[int, int, tuple[int, ...], tuple[int, ...]]:
    """Sweep A with runs 0-2, sweep B with run 3 and run 0 (shared with A): (a, b, a's run ids, b's run ids)."""
    with session_scope(store) as session:
        a = create_sweep(session, "a", {}, [new_run(s) for s in range(3)])
        b = create_sweep(session, "b", {}, [new_run(3), new_run(0)])
    assert b.reused_ids == (a.run_ids[0],)
    return a.sweep.id, b.sweep.id, a.run_ids, b.run_ids


def cursor(store) -> int:
    with session_scope(store) as session:
        return change_cursor(session)


def changes(store, sweep_id: int, since: int, **limits: int) -> SweepChanges:
    with session_scope(store) as session:
        return sweep_changes(session, sweep_id, since, **limits)


def changed(store, sweep_id: int, write: Callable[[Session], object]) -> tuple[list[int], list[tuple[int, int]]]:
    """(run ids, (run, epoch) pairs) that sweep `sweep_id` reports changed by `write`, run in a transaction of its own."""
    since = cursor(store)
    with session_scope(store) as session:
        write(session)
    found = changes(store, sweep_id, since)
    assert not found.truncated and found.cursor >= since
    return [r.id for r in found.runs], [(e.run_id, e.epoch) for e in found.epochs]


def claim(session: Session, run_id: int, worker: str = "w", seconds: float = 0.0) -> None:
    assert claim_run(
        session, run_id, worker=worker, lease_seconds=LEASE, max_attempts=3, now=T0 + timedelta(seconds=seconds)
    )


def test_every_write_path_shows_up_in_its_sweeps_only(store, sweeps, new_run):
    a, b, (shared, r1, r2), (r3, _) = sweeps
    assert changed(store, a, lambda s: claim(s, r1)) == ([r1], [])
    assert changed(store, b, lambda s: claim(s, r2)) == ([], [])  # not one of b's runs
    assert changed(store, a, lambda s: upsert_epoch(s, r1, epoch(1))) == ([], [(r1, 1)])
    assert changed(store, a, lambda s: upsert_epoch(s, r1, epoch(1))) == ([], [(r1, 1)])  # overwritten
    assert changed(store, a, lambda s: finish_run(s, r1, worker="w", status="completed", metrics={})) == ([r1], [])
    assert changed(store, a, lambda s: fail_run(s, r2, worker="w", error="boom", final=False)) == ([r2], [])
    assert changed(store, a, lambda s: retry_run(s, r1)) == ([r1], [])
    assert changed(store, b, lambda s: claim(s, r3)) == ([r3], [])
    reap = lambda s: requeue_expired(s, lease_seconds=LEASE, max_attempts=3, now=T0 + timedelta(hours=1))  # noqa: E731
    assert changed(store, b, reap) == ([r3], [])
    assert changed(store, a, lambda s: cancel_sweep(s, a)) == ([r1, r2], [])  # the shared run is still wanted by b
    more = new_run(9)
    ids, _ = changed(store, a, lambda s: add_runs(s, a, [more]))
    assert len(ids) == 1 and ids[0] not in (shared, r1, r2)


def test_a_heartbeat_alone_is_no_change(store, sweeps):
    a, _, (_, r1, _), _ = sweeps
    with session_scope(store) as session:
        claim(session, r1)
    since = cursor(store)
    with session_scope(store) as session:
        assert heartbeat(session, r1, "w", now=T0 + timedelta(seconds=5)).holds_lease
    found = changes(store, a, since)
    assert (found.runs, found.epochs, found.truncated) == ((), (), False)


def test_a_run_shared_by_two_sweeps_shows_in_both(store, sweeps):
    a, b, (shared, *_), _ = sweeps
    since = cursor(store)
    with session_scope(store) as session:
        claim(session, shared)
        upsert_epoch(session, shared, epoch(1))
    for sweep_id in (a, b):
        found = changes(store, sweep_id, since)
        assert ([r.id for r in found.runs], [(e.run_id, e.epoch) for e in found.epochs]) == ([shared], [(shared, 1)])
        assert found.runs[0].status == "running"
    with session_scope(store) as session:
        assert changed_sweeps(session, since)[1] == (a, b)


def test_nothing_changed_gives_nothing_and_a_cursor_that_never_goes_back(store, sweeps):
    a, b, run_ids, _ = sweeps
    everything = changes(store, a, 0)  # the first load: every run, however old
    assert [r.id for r in everything.runs] == sorted(run_ids)
    first = cursor(store)
    quiet = changes(store, a, first)
    assert (quiet.runs, quiet.epochs, quiet.truncated) == ((), (), False)
    assert quiet.cursor >= first
    again = changes(store, a, quiet.cursor)
    assert (again.runs, again.epochs) == ((), ()) and again.cursor >= quiet.cursor
    with session_scope(store) as session:
        cursor_now, sweep_ids = changed_sweeps(session, quiet.cursor)
    assert sweep_ids == () and cursor_now >= quiet.cursor


def test_epochs_alone_mark_their_sweeps_changed(store, sweeps):
    a, _, (_, r1, _), _ = sweeps
    since = cursor(store)
    with session_scope(store) as session:
        upsert_epoch(session, r1, epoch(1))
    with session_scope(store) as session:
        assert changed_sweeps(session, since)[1] == (a,)


def test_more_changes_than_the_limits_say_reload(store, sweeps):
    a, _, (shared, r1, r2), _ = sweeps
    since = cursor(store)
    with session_scope(store) as session:
        for run_id in (shared, r1, r2):
            claim(session, run_id)
        upsert_epoch(session, r1, epoch(1))
        upsert_epoch(session, r1, epoch(2))
    too_many = changes(store, a, since, max_runs=2)
    assert (too_many.runs, too_many.epochs, too_many.truncated) == ((), (), True)
    assert changes(store, a, since, max_epochs=1).truncated
    whole = changes(store, a, since, max_runs=3, max_epochs=2)
    assert not whole.truncated and len(whole.runs) == 3 and len(whole.epochs) == 2


def test_an_unknown_sweep_is_not_found(store, sweeps):
    with pytest.raises(NotFoundError, match="no sweep 999"):
        changes(store, 999, 0)


@pytest.mark.parametrize("write", ["claim", "epoch"])
def test_a_write_in_progress_at_cursor_time_is_found_next_time(store, sweeps, write):
    """The reader neither blocks on the open writer (SQLite in WAL mode) nor loses its write: the write's
    stamp is at or above the cursor read while it was open."""
    a, _, (_, r1, r2), _ = sweeps
    start = cursor(store)
    writer = Session(store)
    try:
        if write == "claim":
            claim(writer, r1)
        else:
            upsert_epoch(writer, r1, epoch(1))
        if store.dialect.name == "postgresql":  # a later transaction commits first: the newest completed
            with session_scope(store) as session:  # id is then above the open writer's (SQLite: one writer)
                claim(session, r2)
        during = changes(store, a, start)  # a second connection, while the writer's transaction is open
        assert r1 not in [r.id for r in during.runs] and during.epochs == ()
        writer.commit()
    finally:
        writer.close()
    after = changes(store, a, during.cursor)
    assert (r1 in [r.id for r in after.runs]) == (write == "claim")  # PostgreSQL may send r2 again
    assert [(e.run_id, e.epoch) for e in after.epochs] == ([] if write == "claim" else [(r1, 1)])


def test_a_sweep_of_reused_runs_only_finds_them_and_its_own_row(store, sweeps, new_run):
    """`submit --extend` linking runs that exist already changes no run row: the memberships stamp them."""
    a, b, (shared, r1, _), (r3, _) = sweeps
    since = cursor(store)
    with session_scope(store) as session:
        c = create_sweep(session, "c", {}, [new_run(1), new_run(3)])
    assert c.new_ids == () and sorted(c.run_ids) == sorted([r1, r3])
    found = changes(store, c.sweep.id, since)
    assert [r.id for r in found.runs] == sorted([r1, r3]) and found.sweep_changed
    since = found.cursor
    with session_scope(store) as session:
        add_runs(session, b, [new_run(1)], spec={"name": "more"})
    found = changes(store, b, since)
    assert [r.id for r in found.runs] == [r1] and found.sweep_changed  # extending writes the sweep's row
    assert changes(store, a, since).sweep_changed is False  # a holds r1 too: sent again, its row untouched
    with session_scope(store) as session:
        assert changed_sweeps(session, since)[1] == (a, b, c.sweep.id)
    since = cursor(store)
    with session_scope(store) as session:
        add_runs(session, b, [new_run(1), new_run(0)])  # linked already: nothing new
    found = changes(store, b, since)
    assert found.runs == () and found.sweep_changed
    assert shared not in [r.id for r in changes(store, a, since).runs]


def test_a_new_sweep_or_a_cancel_changes_the_sweep_alone(store, sweeps, new_run):
    a, b, (shared, r1, r2), _ = sweeps
    since = cursor(store)
    with session_scope(store) as session:
        empty = create_sweep(session, "empty", {}, []).sweep.id
        for run_id in (r1, r2):
            claim(session, run_id)
            finish_run(session, run_id, worker="w", status="completed", metrics={})
    since_finished = cursor(store)
    with session_scope(store) as session:
        assert changed_sweeps(session, since)[1] == (a, empty)
        cancel_sweep(session, a)  # its runs finished or are wanted by b: no run changes
    found = changes(store, a, since_finished)
    assert (found.runs, found.epochs, found.sweep_changed) == ((), (), True)
    assert changes(store, b, since_finished).sweep_changed is False
    with session_scope(store) as session:
        assert changed_sweeps(session, since_finished)[1] == (a,)
    assert changes(store, a, 0).sweep_changed  # a first load: everything changed
    assert changes(store, a, found.cursor).sweep_changed is False


@pytest.mark.parametrize("model", [Run, EpochMetric, Sweep])
def test_an_update_of_any_column_but_the_heartbeat_stamps_the_row(store, sweeps, model):
    """Guards the triggers' column lists: a column added later without recreating the triggers fails here."""
    a, _, (_, r1, _), _ = sweeps
    table = model.__table__
    if model is EpochMetric:
        row = (table.c.run_id == r1) & (table.c.epoch == 1)
    else:
        row = table.c.id == (a if model is Sweep else r1)
    with session_scope(store) as session:
        upsert_epoch(session, r1, epoch(1))
    for column in table.columns:
        if column.name == "change_seq":
            continue
        with session_scope(store) as session:
            before = session.execute(select(table.c.change_seq).where(row)).scalar_one()
            session.execute(update(table).where(row).values({column.name: column}))  # SET x = x
            after = session.execute(select(table.c.change_seq).where(row)).scalar_one()
        if column.name == "heartbeat_at":
            assert after == before, column.name
        else:
            assert after > before, column.name


def test_linking_locks_the_runs_in_id_order_so_crossed_writers_queue_instead_of_deadlocking(pg_url, new_run):
    """PostgreSQL: a membership stamps its run, which row-locks it. A submission linking runs 3, 2, 1 while
    another transaction holds run 2 waits for it holding run 1 only, so that transaction can still write run 3
    (stamped one by one in the order given, run 3 would be locked first: a deadlock, one of them aborted)."""
    store = open_store(pg_url, create=True)
    with session_scope(store) as session:
        runs = create_sweep(session, "a", {}, [new_run(s) for s in range(3)]).run_ids
        other = create_sweep(session, "b", {}, []).sweep.id
    holder = Session(store)
    with ThreadPoolExecutor(1) as pool:
        try:
            claim(holder, runs[1])  # holds run 2 until it commits
            linking = pool.submit(_link, store, other, runs[::-1])
            deadline = time.monotonic() + 60
            while _waiting_on_a_lock(store) == 0 and not linking.done():
                assert time.monotonic() < deadline, "the submission never waited for run 2"
                time.sleep(0.05)
            claim(holder, runs[2], worker="w2")  # would deadlock if the submission held run 3
            holder.commit()
        finally:
            holder.close()
        linking.result(timeout=60)
    with session_scope(store) as session:
        assert sorted(r.id for r in sweep_changes(session, other, 0).runs) == sorted(runs)
    dispose_engines()


def _link(store, sweep_id: int, run_ids: Sequence[int]) -> None:
    with session_scope(store) as session:
        session.execute(insert(SweepRun).values([{"sweep_id": sweep_id, "run_id": r} for r in run_ids]))


def _waiting_on_a_lock(store) -> int:
    with store.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
        ).scalar_one()
