"""Fault 1: kill -9 of the process training a run. Celery redelivers the task at once (acks_late,
reject_on_worker_lost), the worker takes over the run of its dead process, resumes from the last checkpoint,
and ends with the weights and learning curve of a run that was never interrupted."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from db import open_store, session_scope
from db.queries import load_artifact, sweep_run_ids
from model.weights_io import weights_from_npz_bytes

from ..queue.helpers import ROOT, mnistq_json, wait_until
from .helpers import WIDE, Store, running, spec_file, start_celery, wait_ready

pytestmark = pytest.mark.slow

EPOCHS = 14


def _start_uninterrupted(spec: Path, url: str) -> subprocess.Popen[str]:
    """The same config trained without interruption by `mnistq submit` in local mode (one process, with every
    core as BLAS threads), in the background while the fault plays out."""
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "submit", str(spec), "--workers", "1", "--json"],
        env={**os.environ, "MNISTQ_DATABASE_URL": url}, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )


def _uninterrupted(process: subprocess.Popen[str], url: str) -> tuple[dict[str, np.ndarray], list[tuple]]:
    """Its final weights and learning curve."""
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    summary = json.loads(out)
    assert summary["counts"]["completed"] == 1
    with session_scope(open_store(url, create=True)) as session:
        (run_id,) = sweep_run_ids(session, summary["sweep_id"])
        weights = weights_from_npz_bytes(load_artifact(session, run_id))
    return weights, [_curve(h) for h in Store(url).epochs(run_id)]


def _curve(h) -> tuple:
    return (h.epoch, h.train_loss, h.train_acc, h.val_loss, h.val_acc)  # everything but the wall time


def test_killed_run_resumes_from_its_checkpoint_and_ends_bitwise_equal(
    fault_env: dict[str, str], tmp_path: Path
) -> None:
    spec = spec_file(tmp_path, "kill9", "seed = [7]", epochs=EPOCHS, hidden=WIDE)
    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    reference = _start_uninterrupted(spec, reference_url)
    store = Store(fault_env["MNISTQ_DATABASE_URL"])
    log = tmp_path / "worker.log"
    # the worker's BLAS threads as local mode's one process has them: the same floating-point sums
    worker = start_celery("k9", {**fault_env, "MNISTQ_BLAS_THREADS": str(os.cpu_count() or 1)}, log)
    with running(worker, reference):
        wait_ready(log)
        out = mnistq_json("submit", str(spec), "--json", env=fault_env)
        (run_id,) = [r.id for r in store.runs(out["sweep_id"])]
        wait_until(lambda: store.has_checkpoint(run_id), 60, "the first checkpoint", every=0.05)
        before = store.epochs(run_id)
        victim = store.run(run_id)
        assert victim.status == "running" and len(before) < EPOCHS
        os.kill(int(victim.worker.rsplit(":", 1)[1]), signal.SIGKILL)
        wait_until(lambda: store.run(run_id).status == "completed", 120, "the run to complete")
        expected_weights, expected_curve = _uninterrupted(reference, reference_url)

    run = store.run(run_id)
    assert run.attempts == 2 and run.worker != victim.worker and run.error is None
    resumed = [int(n) for n in re.findall(rf"run {run_id}: resuming from the checkpoint after epoch (\d+)", log.read_text())]
    assert len(resumed) == 1 and resumed[0] >= 2 and resumed[0] % 2 == 0  # MNISTQ_CHECKPOINT_EVERY=2
    after = store.epochs(run_id)
    assert [h.epoch for h in after] == list(range(1, EPOCHS + 1))  # no gap, no duplicate, no stale tail
    kept = [h for h in before if h.epoch <= resumed[0]]
    assert len(kept) >= 2 and after[: len(kept)] == kept  # epochs up to the checkpoint were not trained again

    with session_scope(store.engine) as session:
        weights = weights_from_npz_bytes(load_artifact(session, run_id))
    assert [_curve(h) for h in after] == expected_curve
    assert sorted(weights) == sorted(expected_weights)
    for name, array in expected_weights.items():
        assert np.array_equal(weights[name], array), name
