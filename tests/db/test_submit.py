"""Submitting sweeps: bulk insert, dedupe by config hash, reuse across sweeps, requeue of failed reuses."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.engine import session_scope
from db.models import Run, SweepRun
from db.queries import (
    add_runs,
    cancel_sweep,
    claim_run,
    create_sweep,
    fail_run,
    finish_run,
    get_run,
    get_sweep,
    sweep_run_ids,
)


def test_bulk_create_stores_every_run_queued_with_typed_columns(store, new_run):
    runs = [new_run(seed) for seed in range(2000)]
    with session_scope(store) as session:
        created = create_sweep(session, "grid", {"grid": {"seed": "0..1999"}}, runs)
    assert len(created.run_ids) == len(created.new_ids) == 2000 and created.reused_ids == ()
    assert created.sweep.name == "grid" and created.sweep.spec == {"grid": {"seed": "0..1999"}}
    with session_scope(store) as session:
        run = get_run(session, created.run_ids[1234])
        assert session.execute(select(func.count()).select_from(Run)).scalar() == 2000
    assert (run.status, run.attempts, run.sweep_id, run.seed) == ("queued", 0, created.sweep.id, 1234)
    assert run.config == runs[1234].config and run.config_hash == runs[1234].config_hash
    assert (run.hidden, run.depth, run.learning_rate, run.batch_size) == ("256,128,64", 3, 0.05, 64)
    assert (run.dataset, run.optimizer, run.activation, run.l2, run.momentum) == (
        "mnist-5k",
        "sgd",
        "relu",
        0.0,
        0.0,
    )


def test_duplicates_within_one_request_are_stored_once_in_request_order(store, new_run):
    runs = [new_run(3), new_run(1), new_run(3), new_run(2)]
    with session_scope(store) as session:
        created = create_sweep(session, "dupes", {}, runs)
        by_id = {run_id: get_run(session, run_id).seed for run_id in created.run_ids}
    assert len(created.run_ids) == 3
    assert [by_id[i] for i in created.run_ids] == [3, 1, 2]


def test_a_later_sweep_reuses_existing_configs_instead_of_duplicating_them(store, new_run):
    with session_scope(store) as session:
        first = create_sweep(session, "first", {}, [new_run(s) for s in range(10)])
    with session_scope(store) as session:
        second = create_sweep(session, "second", {}, [new_run(s) for s in range(5, 15)])
    assert second.reused_ids == first.run_ids[5:]
    assert len(second.new_ids) == 5 and not set(second.new_ids) & set(first.run_ids)
    with session_scope(store) as session:
        assert session.execute(select(func.count()).select_from(Run)).scalar() == 15
        assert sweep_run_ids(session, second.sweep.id) == sorted(second.run_ids)
        reused = get_run(session, second.reused_ids[0])
    assert reused.sweep_id == first.sweep.id  # the creating sweep stays the first one


def test_reused_failed_or_cancelled_runs_are_queued_again_and_count_as_new(store, new_run):
    with session_scope(store) as session:
        first = create_sweep(session, "first", {}, [new_run(s) for s in range(3)])
        (queued_id,) = create_sweep(session, "pending", {}, [new_run(3)]).run_ids
    failed_id, done_id, cancelled_id = first.run_ids
    with session_scope(store) as session:
        for run_id in (failed_id, done_id):
            claim_run(session, run_id, worker="w", lease_seconds=60, max_attempts=3)
        fail_run(session, failed_id, worker="w", error="boom", final=True)
        finish_run(session, done_id, worker="w", status="completed", metrics={"val_acc": 0.9})
        cancel_sweep(session, first.sweep.id)
    with session_scope(store) as session:
        second = create_sweep(session, "second", {}, [new_run(s) for s in range(4)])
        requeued = get_run(session, failed_id)
        assert get_run(session, queued_id).status == "queued"
    assert set(second.new_ids) == {failed_id, cancelled_id}
    assert set(second.reused_ids) == {done_id, queued_id}
    assert (requeued.status, requeued.attempts, requeued.error, requeued.finished_at) == (
        "queued",
        0,
        None,
        None,
    )


def test_add_runs_extends_a_sweep_with_only_the_missing_configs(store, new_run):
    with session_scope(store) as session:
        sweep = create_sweep(session, "s", {}, [new_run(s) for s in range(3)]).sweep
        cancel_sweep(session, sweep.id)
    with session_scope(store) as session:
        extended = add_runs(session, sweep.id, [new_run(s) for s in range(5)])
        members = session.execute(select(func.count()).where(SweepRun.sweep_id == sweep.id)).scalar()
        reopened = get_sweep(session, sweep.id)
    assert len(extended.run_ids) == 5 and members == 5
    assert len(extended.new_ids) == 5  # 2 inserted + the 3 cancelled ones queued again
    assert reopened.cancelled is False


def test_a_malformed_config_hash_is_rejected(sqlite_store, new_run):
    bad = new_run(1)
    with pytest.raises(ValueError, match="SHA-256"), session_scope(sqlite_store) as session:
        create_sweep(session, "s", {}, [type(bad)(bad.engine, bad.config, "ABC")])
