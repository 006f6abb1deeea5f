"""Local mode in the tests: its environment, `mnistq` in the background, `mnistq` with a worker module of the
test's choosing, and the results a run stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np

from db import session_scope
from db.queries import load_artifact
from model.weights_io import weights_from_npz_bytes

from ..queue.helpers import ROOT
from .helpers import FAST_LEASES, Store

FRONT = "tests.faults.local_front"  # `mnistq` with a local worker module of the test's choosing


def local_env(url: str, **extra: str) -> dict[str, str]:
    """Local mode (no broker) on `url`, checkpoints every 2 epochs, one BLAS thread per process whatever the
    number of processes (so runs trained by different pools are bitwise comparable)."""
    return {"MNISTQ_DATABASE_URL": url, "MNISTQ_BROKER_URL": "", **FAST_LEASES, "MNISTQ_BLAS_THREADS": "1", **extra}


def start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """`mnistq ARGV...` in the background, its output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", *argv], env={**os.environ, **env}, cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str, str]:
    """Wait for a background command: (exit code, stdout, stderr); killed, and the test failed, if it hangs."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        raise AssertionError(f"still running after {timeout:g} s; stderr so far:\n{err}") from None
    return process.returncode, out, err


def mnistq_front(module: str, *args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`mnistq ARGS...` whose local mode starts `python -m MODULE` as its worker processes."""
    return subprocess.run(
        [sys.executable, "-m", FRONT, module, *args], env={**os.environ, **env}, cwd=ROOT, capture_output=True,
        text=True, timeout=timeout,
    )


def final_weights(store: Store, run_id: int) -> dict[str, np.ndarray]:
    with session_scope(store.engine) as session:
        return weights_from_npz_bytes(load_artifact(session, run_id))


def curve(store: Store, run_id: int) -> list[tuple]:
    """A run's learning curve without the wall times."""
    return [(h.epoch, h.train_loss, h.train_acc, h.val_loss, h.val_acc) for h in store.epochs(run_id)]


def assert_same_weights(got: dict[str, np.ndarray], wanted: dict[str, np.ndarray]) -> None:
    assert sorted(got) == sorted(wanted)
    for name, array in wanted.items():
        assert np.array_equal(got[name], array), name
