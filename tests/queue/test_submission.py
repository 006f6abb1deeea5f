"""Storing sweeps: dedupe by config hash, reuse across sweeps, --extend, and the worker's execution path.
In-process on a SQLite file (unit level); the real-process paths are in test_local_mode/test_celery."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update

import worker.execute as worker_execute
from db import open_store, session_scope
from db.models import Run
from db.queries import claim_run, get_run, load_artifact, run_history, sweep_run_ids, upsert_epoch
from model.weights_io import weights_from_npz_bytes
from scheduler.spec import load_spec
from scheduler.spec_errors import SpecError
from scheduler.submit import check_datasets, store_sweep
from worker.datacache import DataCache
from worker.execute import LOST_LEASE, SKIPPED, execute_run
from worker.settings import WorkerSettings

TINY = """
name = "unit"
[fixed]
dataset = "digits"
epochs = 2
hidden = [8]
[grid]
engine = ["numpy", "sklearn"]
learning_rate = [0.1, 0.2]
"""


def _spec(tmp_path: Path, text: str = TINY, name: str = "spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return load_spec(path)


def test_dedupe_reuses_stored_configs(tmp_path: Path, sqlite_url: str) -> None:
    engine = open_store(sqlite_url, create=True)
    spec = _spec(tmp_path)
    with session_scope(engine) as session:
        first = store_sweep(session, spec)
        second = store_sweep(session, spec)
    assert (first.runs, first.new, first.reused) == (4, 4, 0)
    assert (second.runs, second.new, second.reused) == (4, 0, 4)
    assert second.to_train == ()
    assert {engine for _, engine in first.to_train} == {"numpy", "sklearn"}
    with session_scope(engine) as session:
        assert sweep_run_ids(session, second.sweep_id) == sweep_run_ids(session, first.sweep_id)


def test_extend_adds_only_missing_configs(tmp_path: Path, sqlite_url: str) -> None:
    engine = open_store(sqlite_url, create=True)
    with session_scope(engine) as session:
        base = store_sweep(session, _spec(tmp_path))
        wider = _spec(tmp_path, TINY.replace("[0.1, 0.2]", "[0.1, 0.2, 0.3]"), "wider.toml")
        extended = store_sweep(session, wider, extend=base.sweep_id)
        members = sweep_run_ids(session, base.sweep_id)
    assert extended.sweep_id == base.sweep_id
    assert extended.new == 2  # only lr 0.3, for both engines
    assert len(members) == 6


def test_missing_dataset_path_is_rejected_before_storing(tmp_path: Path) -> None:
    spec = _spec(tmp_path, TINY.replace('"digits"', f'"csv:{tmp_path / "nope.csv"}"'))
    with pytest.raises(SpecError, match=r"spec.toml: dataset = 'csv:.*nope.csv': .* does not exist"):
        check_datasets(spec, queue=False)


def test_execute_run_trains_stores_and_is_idempotent(tmp_path: Path, sqlite_url: str) -> None:
    engine = open_store(sqlite_url, create=True)
    with session_scope(engine) as session:
        submitted = store_sweep(session, _spec(tmp_path))
    cache = DataCache()
    settings = WorkerSettings(checkpoint_every=1)
    outcomes = [execute_run(run_id, engine=engine, settings=settings, cache=cache) for run_id, _ in submitted.to_train]
    assert outcomes == ["completed"] * 4
    assert cache.loads == 1  # same dataset and split for every run: prepared once
    again = execute_run(submitted.to_train[0][0], engine=engine, settings=settings, cache=cache)
    assert again == SKIPPED  # a second delivery changes nothing
    with session_scope(engine) as session:
        for run_id, _ in submitted.to_train:
            run = get_run(session, run_id)
            assert run.status == "completed" and run.attempts == 1
            assert [h.epoch for h in run_history(session, run_id)] == [1, 2]
            weights = weights_from_npz_bytes(load_artifact(session, run_id, "final"))
            assert weights["W1"].shape == (64, 8) and "norm_std" in weights
            with pytest.raises(LookupError):
                load_artifact(session, run_id, "checkpoint")  # removed once the run finished


def test_failure_is_recorded_and_the_sweep_goes_on(tmp_path: Path, sqlite_url: str) -> None:
    engine = open_store(sqlite_url, create=True)
    missing = tmp_path / "gone.csv"
    missing.write_text("label,p1\n1,0\n")
    with session_scope(engine) as session:
        bad = store_sweep(session, _spec(tmp_path, TINY.replace('"digits"', f'"csv:{missing}"'), "bad.toml"))
    missing.unlink()
    outcomes = {execute_run(run_id, engine=engine) for run_id, _ in bad.to_train}
    assert outcomes == {"failed"}
    with session_scope(engine) as session:
        run = get_run(session, bad.to_train[0][0])
    assert run.status == "failed" and "gone.csv" in (run.error or "")


class _Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing in the worker catches or records it."""


def test_resume_from_stored_checkpoint_matches_uninterrupted_run(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker dies after epoch 2's checkpoint: the next attempt resumes there and ends bitwise equal."""
    text = TINY.replace("epochs = 2", "epochs = 4").replace('["numpy", "sklearn"]', '["numpy"]')
    text = text.replace("[0.1, 0.2]", "[0.1]")
    engine = open_store(sqlite_url, create=True)
    with session_scope(engine) as session:
        ((run_id, _),) = store_sweep(session, _spec(tmp_path, text)).to_train
    reference = open_store(f"sqlite:///{tmp_path / 'reference.db'}", create=True)
    with session_scope(reference) as session:
        ((ref_id, _),) = store_sweep(session, _spec(tmp_path, text)).to_train
    assert execute_run(ref_id, engine=reference) == "completed"

    real_train = worker_execute.train

    def dies_after_epoch_2(config, data, on_epoch=None, **options):
        def writer_then_death(progress):
            on_epoch(progress)
            if progress.metrics.epoch == 2:
                raise _Killed

        return real_train(config, data, on_epoch=writer_then_death, **options)

    settings = WorkerSettings(checkpoint_every=2, lease_seconds=0.5, heartbeat_seconds=60)
    monkeypatch.setattr(worker_execute, "train", dies_after_epoch_2)
    with pytest.raises(_Killed):
        execute_run(run_id, engine=engine, settings=settings, worker="dead-host:1")
    monkeypatch.setattr(worker_execute, "train", real_train)
    with session_scope(engine) as session:
        assert get_run(session, run_id).status == "running"  # what a killed worker leaves behind
        stale = {"epoch": 3, "train_loss": 9.0, "train_acc": 0.0, "val_loss": 9.0, "val_acc": 0.0, "seconds": 0.0}
        upsert_epoch(session, run_id, stale)  # a row written after the checkpoint, before the death
    time.sleep(0.6)  # the dead worker's lease expires
    assert execute_run(run_id, engine=engine, settings=settings, worker="live-host:2") == "completed"
    with session_scope(engine) as session, session_scope(reference) as ref_session:
        assert get_run(session, run_id).attempts == 2
        resumed = weights_from_npz_bytes(load_artifact(session, run_id))
        expected = weights_from_npz_bytes(load_artifact(ref_session, ref_id))
        curve = [(h.epoch, h.train_loss, h.val_acc) for h in run_history(session, run_id)]
        ref_curve = [(h.epoch, h.train_loss, h.val_acc) for h in run_history(ref_session, ref_id)]
    assert curve == ref_curve
    for name, array in expected.items():
        assert np.array_equal(array, resumed[name]), name


def test_lost_lease_discards_the_result(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = open_store(sqlite_url, create=True)
    with session_scope(engine) as session:
        (run_id, _), *_ = store_sweep(session, _spec(tmp_path)).to_train
    real_train = worker_execute.train

    def taken_over(config, data, **options):
        with session_scope(engine) as session:  # another worker takes the run over mid-training
            session.execute(update(Run).where(Run.id == run_id).values(worker="thief:9"))
        return real_train(config, data, **options)

    monkeypatch.setattr(worker_execute, "train", taken_over)
    assert execute_run(run_id, engine=engine) == LOST_LEASE
    with session_scope(engine) as session:
        assert get_run(session, run_id).status == "running"  # still the other worker's
        assert run_history(session, run_id) == []  # nothing written under a lost lease
        assert claim_run(session, run_id, worker="x", lease_seconds=3600, max_attempts=3) is None


def test_run_of_a_dead_local_process_is_taken_over_at_once(tmp_path: Path, sqlite_url: str) -> None:
    """Celery redelivers a killed child's task immediately: the holder is dead, so no lease wait."""
    import socket
    import subprocess
    import sys

    engine = open_store(sqlite_url, create=True)
    with session_scope(engine) as session:
        (run_id, _), *_ = store_sweep(session, _spec(tmp_path)).to_train
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{socket.gethostname()}:{gone.stdout.strip()}"
    live = f"{socket.gethostname()}:{os.getpid()}"
    with session_scope(engine) as session:
        assert claim_run(session, run_id, worker=dead, lease_seconds=3600, max_attempts=3) is not None
    assert execute_run(run_id, engine=engine, worker=live) == "completed"
    with session_scope(engine) as session:
        run = get_run(session, run_id)
    assert (run.attempts, run.worker) == (2, live)


def test_a_live_holder_is_left_alone(tmp_path: Path, sqlite_url: str) -> None:
    engine = open_store(sqlite_url, create=True)
    with session_scope(engine) as session:
        (run_id, _), *_ = store_sweep(session, _spec(tmp_path)).to_train
        import socket

        holder = f"{socket.gethostname()}:{os.getppid()}"  # our parent: alive
        assert claim_run(session, run_id, worker=holder, lease_seconds=3600, max_attempts=3) is not None
    assert execute_run(run_id, engine=engine) == SKIPPED
