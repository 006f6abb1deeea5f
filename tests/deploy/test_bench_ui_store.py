"""bench/ui_store.py seeds a store in service through the real queries, on both backends: runs in every
status the dashboard shows, full curves for completed runs, partial ones for running and failed runs."""

from __future__ import annotations

from bench.ui_store import seed_store, time_report
from db import dispose_engines, open_store, session_scope
from db.queries import get_sweep, list_runs, run_histories, sweep_counts
from model.config import TrainConfig


def test_a_tiny_seeded_store_has_every_status_and_its_curves(db_url: str) -> None:
    sweep_id = seed_store(db_url, runs=30, epochs=5, running=3, seed=1)
    try:
        with session_scope(open_store(db_url)) as session:
            counts = sweep_counts(session, sweep_id)
            runs = list_runs(session, sweep_id=sweep_id)
            curves = run_histories(session, [run.id for run in runs])
            created = get_sweep(session, sweep_id).created_at
    finally:
        dispose_engines()
    present = {status: count for status, count in counts.by_status.items() if count}
    assert present == {"completed": 25, "running": 3, "queued": 1, "failed": 1}
    assert counts.trained_runs == 26  # every finished run is this sweep's work: none predates the sweep
    by_status: dict[str, list] = {}
    for run in runs:
        by_status.setdefault(run.status, []).append(run)
        TrainConfig.from_dict(run.config)  # a valid config, as submit stores it
    assert len({run.config_hash for run in runs}) == 30
    assert len({(run.learning_rate, run.batch_size, run.hidden) for run in runs}) > 10
    assert {run.epochs for run in runs} == {5}
    for run in by_status["completed"]:
        assert [e.epoch for e in curves[run.id]] == [1, 2, 3, 4, 5]
        assert 0.5 <= run.val_acc <= 1 and run.started_at < run.finished_at
        assert created <= run.started_at
    for run in by_status["running"]:
        assert 1 <= len(curves[run.id]) < 5 and run.worker and run.finished_at is None
    assert curves[by_status["queued"][0].id] == []
    assert by_status["failed"][0].error
    assert sum(len(curve) for curve in curves.values()) >= 25 * 5 + 3 + 1


def test_the_report_anchor_times_mnistq_report_of_the_seeded_sweep(sqlite_url: str) -> None:
    sweep_id = seed_store(sqlite_url, runs=12, epochs=3, running=1)
    dispose_engines()
    assert time_report(sqlite_url, sweep_id) > 0  # raises CalledProcessError if the report failed
