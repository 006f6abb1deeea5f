"""The read-side commands on a stored sweep: status, sweeps, runs, show, export, plus progress formatting."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from db import SweepCounts, open_store, session_scope
from scheduler.progress import eta_seconds, format_duration, runs_per_minute, status_line
from scheduler.spec import load_spec
from scheduler.submit import store_sweep
from worker.execute import execute_run

from .helpers import mnistq

SPEC = """
name = "queries"
[fixed]
dataset = "digits"
epochs = 2
hidden = [8]
[grid]
engine = ["numpy", "sklearn"]
learning_rate = [0.1, 0.3]
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("store")
    (root / "spec.toml").write_text(SPEC)
    url = f"sqlite:///{root / 'q.db'}"
    engine = open_store(url, create=True)
    with session_scope(engine) as session:
        submitted = store_sweep(session, load_spec(root / "spec.toml"))
    for run_id, _ in submitted.to_train[:3]:  # the fourth stays queued
        assert execute_run(run_id, engine=engine) == "completed"
    return {"MNISTQ_DATABASE_URL": url, "MNISTQ_BROKER_URL": "", "root": str(root)}


def _env(store: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in store.items() if k != "root"}


def test_status_counts_and_json(store: dict[str, str]) -> None:
    done = mnistq("status", "1", env=_env(store))
    assert done.returncode == 0, done.stderr
    assert "4 runs: 3 completed, 0 failed, 0 diverged, 0 running, 1 queued" in done.stdout
    (counts,) = json.loads(mnistq("status", "latest", "--json", env=_env(store)).stdout)
    assert counts["by_status"]["completed"] == 3 and counts["by_status"]["queued"] == 1


def test_sweeps_lists_the_sweep(store: dict[str, str]) -> None:
    (row,) = json.loads(mnistq("sweeps", "--json", env=_env(store)).stdout)
    assert (row["sweep_id"], row["name"], row["total"]) == (1, "queries", 4)


def test_runs_filters_orders_and_formats(store: dict[str, str]) -> None:
    rows = json.loads(
        mnistq("runs", "--where", "status = 'completed' and engine in ('numpy')", "--format", "json",
               "--order-by", "-learning_rate", env=_env(store)).stdout
    )
    assert [r["learning_rate"] for r in rows] == [0.3, 0.1]
    csv_text = mnistq("runs", "--format", "csv", "--limit", "2", env=_env(store)).stdout
    assert csv_text.splitlines()[0].startswith("id,sweep_id,engine,status,attempts")
    assert len(csv_text.splitlines()) == 3
    table = mnistq("runs", "--sweep", "1", env=_env(store)).stdout
    assert table.splitlines()[0].split()[:4] == ["id", "sweep_id", "engine", "status"]


def test_show_gives_config_and_history(store: dict[str, str]) -> None:
    shown = json.loads(mnistq("show", "1", "--json", env=_env(store)).stdout)
    assert shown["status"] == "completed" and shown["attempts"] == 1
    assert shown["config"]["hidden"] == [8]
    assert [h["epoch"] for h in shown["history"]] == [1, 2]
    text = mnistq("show", "1", env=_env(store)).stdout
    assert "run 1 (sweep 1, " in text and "epoch" in text


def test_export_writes_verified_weights(store: dict[str, str]) -> None:
    target = Path(store["root"]) / "w.npz"
    done = mnistq("export", "1", "-o", str(target), env=_env(store))
    assert done.returncode == 0, done.stderr
    with np.load(target, allow_pickle=False) as weights:
        assert {"W1", "b1", "W2", "b2", "norm_mean", "norm_std"} <= set(weights.files)
    missing = mnistq("export", "4", "-o", str(target), env=_env(store))  # still queued: no weights yet
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def _counts(**by_status: int) -> SweepCounts:
    statuses = dict.fromkeys(("queued", "running", "completed", "failed", "diverged", "cancelled"), 0)
    statuses.update(by_status)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return SweepCounts(
        sweep_id=1, by_status=statuses, cancel_requested=0, total_train_seconds=60.0, mean_train_seconds=20.0,
        mean_epoch_seconds=2.0, finished_recently=3, recent_minutes=5.0, first_started_at=start,
        last_finished_at=start + timedelta(minutes=1),
    )


def test_progress_line_eta_and_rate() -> None:
    counts = _counts(completed=3, running=2, queued=5)
    assert eta_seconds(counts, epochs_left=40) == 40.0  # 40 epochs x 2 s shared by 2 running workers
    assert eta_seconds(counts, epochs_left=40, workers=4) == 20.0
    now = counts.first_started_at + timedelta(minutes=2)
    assert runs_per_minute(counts, now=now) == pytest.approx(1.5)  # 3 runs in the 2 minutes since the start
    line = status_line(counts, 40.0)
    assert line.startswith("10 runs: 3 completed, 0 failed, 0 diverged, 2 running, 5 queued | ")
    assert line.endswith("ETA 40.0 s")
    assert [format_duration(s) for s in (None, 4.25, 75, 3725)] == ["?", "4.2 s", "1:15", "1:02:05"]
