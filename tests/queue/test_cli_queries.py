"""The read-side commands on a stored sweep: status, sweeps, runs, show, export, plus progress formatting."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from db import SweepCounts, open_store, session_scope
from db.status import STATUSES
from scheduler.progress import WIDTH, format_duration, format_rate, status_line
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
    assert done.stdout.startswith("sweep 1 (queries): 3/4 done | ")
    assert "  runs: 3 completed, 0 failed, 0 diverged, 0 cancelled, 0 running, 1 queued\n" in done.stdout
    (counts,) = json.loads(mnistq("status", "latest", "--json", env=_env(store)).stdout)
    assert counts["by_status"]["completed"] == 3 and counts["by_status"]["queued"] == 1
    assert counts["trained_runs"] == 3 and counts["runs_per_minute"] > 0


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


START = datetime(2026, 1, 1, tzinfo=UTC)


def _counts(now: datetime = START + timedelta(minutes=2), trained: int = 3, **by_status: int) -> SweepCounts:
    """Counts taken at `now`, of a sweep whose first run started at START and whose last finished a minute
    later, `trained` runs in all."""
    statuses = dict.fromkeys(STATUSES, 0)
    statuses.update(by_status)
    return SweepCounts(
        sweep_id=1, by_status=statuses, cancel_requested=0, total_train_seconds=60.0, mean_train_seconds=20.0,
        mean_epoch_seconds=2.0, first_started_at=START, last_finished_at=START + timedelta(minutes=1),
        trained_runs=trained, span_started_at=START, span_finished_at=START + timedelta(minutes=1), counted_at=now,
    )


def test_progress_line_eta_and_rate() -> None:
    counts = _counts(completed=3, running=2, queued=5)
    assert counts.eta_seconds(epochs_left=40) == 40.0  # 40 epochs x 2 s shared by 2 running workers
    assert counts.eta_seconds(epochs_left=40, workers=4) == 20.0
    assert counts.runs_per_minute == pytest.approx(1.5)  # 3 runs in the 2 minutes since the first start
    assert status_line(counts, 40.0) == "3/10 done, 2 running | 1.5/min | ETA 40.0 s"
    assert status_line(counts, None, show_eta=False) == "3/10 done, 2 running | 1.5/min"
    assert [format_duration(s) for s in (None, 4.25, 75, 3725)] == ["?", "4.2 s", "1:15", "1:02:05"]
    assert [format_rate(r) for r in (0.0123, 0.75, 12.34, 439.6)] == ["0.012", "0.8", "12.3", "440"]


def test_a_settled_sweeps_rate_does_not_fall_as_time_passes() -> None:
    """First start to last finish, however long ago: 3 runs in 1 minute, at the end and 13 minutes later."""
    at_the_end = _counts(now=START + timedelta(minutes=1), completed=3)
    later = _counts(now=START + timedelta(minutes=14), completed=3)
    assert at_the_end.runs_per_minute == later.runs_per_minute == pytest.approx(3.0)
    assert status_line(later, None, show_eta=False) == "3/3 done | 3.0/min"


def test_the_rate_is_left_out_until_a_run_has_finished() -> None:
    counts = _counts(trained=0, running=2, queued=3)
    assert counts.runs_per_minute is None
    assert status_line(counts, None) == "0/5 done, 2 running | ETA ?"


@pytest.mark.parametrize(
    "by_status",
    [
        {"completed": 8845, "failed": 120, "diverged": 35, "running": 16, "queued": 984},  # under way
        {"completed": 1500, "failed": 12, "cancelled": 8484, "running": 4},  # cancelled mid-sweep
        {"completed": 9999, "failed": 1},  # done
        {"queued": 10000},  # not started
        {"completed": 880, "pruned": 8000, "failed": 85, "diverged": 35, "running": 16, "queued": 984},  # adaptive
    ],
)
def test_the_progress_line_fits_80_columns_for_10000_runs(by_status) -> None:
    counts = _counts(now=START + timedelta(seconds=50), trained=9000, **by_status)  # 10,800 runs/min
    line = status_line(counts, 3725.0)  # ETA 1:02:05
    assert counts.total == 10000 and line.endswith(" | ETA 1:02:05")
    assert len(line) <= WIDTH == 80, line


def test_status_text_and_json_give_the_same_throughput(tmp_path: Path) -> None:
    """A settled sweep whose runs finished at injected times: the status line, the detail line and --json
    all show its runs over first start to last finish, whatever the clock says when each is asked."""
    from db.queries import claim_run, finish_run

    (tmp_path / "spec.toml").write_text(SPEC)
    url = f"sqlite:///{tmp_path / 'settled.db'}"
    with session_scope(open_store(url, create=True)) as session:
        submitted = store_sweep(session, load_spec(tmp_path / "spec.toml"))
        start = datetime.now(UTC)  # after the sweep was created: these runs are its own work
        for n, (run_id, _) in enumerate(submitted.to_train):  # 4 runs of 5 s, one every 20 s
            at = start + timedelta(seconds=20 * n)
            claim_run(session, run_id, worker="w", lease_seconds=600, max_attempts=3, now=at)
            finish_run(session, run_id, worker="w", status="completed", metrics={}, now=at + timedelta(seconds=5))
    env = {"MNISTQ_DATABASE_URL": url, "MNISTQ_BROKER_URL": ""}
    text = mnistq("status", "1", env=env).stdout
    (counts,) = json.loads(mnistq("status", "1", "--json", env=env).stdout)
    assert counts["runs_per_minute"] == pytest.approx(4 / 65 * 60)  # 4 runs from 0 s to 65 s
    assert counts["active_seconds"] == pytest.approx(65.0) and counts["trained_runs"] == 4
    rate = format_rate(counts["runs_per_minute"])
    assert text.startswith(f"sweep 1 (queries): 4/4 done | {rate}/min\n")
    assert f"  throughput: {rate} runs/min: 4 runs in 1:05, first start to last finish\n" in text


def test_show_names_the_kept_epoch(store: dict[str, str]) -> None:
    """best_epoch is the epoch whose weights were kept: the last one without early stopping."""
    shown = json.loads(mnistq("show", "1", "--json", env=_env(store)).stdout)
    assert (shown["kept_epoch"], shown["kept_by"]) == (2, "last_epoch") and "best_epoch" not in shown
    text = mnistq("show", "1", env=_env(store)).stdout
    assert "; weights kept from epoch 2, the last epoch trained (no early stopping)\n" in text
    assert "best epoch" not in text
    kept = json.loads(mnistq("runs", "--where", "best_epoch = 2", "--format", "json", env=_env(store)).stdout)
    assert len(kept) == 3  # the stored column and the --where field keep their name


def _one_run_store(tmp_path: Path, fixed: str) -> tuple[dict[str, str], int, object]:
    """A store with one queued digits run of `fixed` config lines: (env, run id, engine)."""
    spec = tmp_path / "one.toml"
    spec.write_text(f'name = "one"\n[fixed]\ndataset = "digits"\nhidden = [8]\n{fixed}\n')
    url = f"sqlite:///{tmp_path / 'one.db'}"
    engine = open_store(url, create=True)
    with session_scope(engine) as session:
        ((run_id, _),) = store_sweep(session, load_spec(spec)).to_train
    return {"MNISTQ_DATABASE_URL": url, "MNISTQ_BROKER_URL": ""}, run_id, engine


def test_show_says_early_stopping_kept_the_lowest_validation_loss(tmp_path: Path) -> None:
    env, run_id, engine = _one_run_store(tmp_path, "epochs = 3\npatience = 1")
    assert execute_run(run_id, engine=engine) == "completed"
    shown = json.loads(mnistq("show", str(run_id), "--json", env=env).stdout)
    assert shown["kept_by"] == "lowest_val_loss" and 1 <= shown["kept_epoch"] <= 3
    text = mnistq("show", str(run_id), env=env).stdout
    assert f"; weights kept from epoch {shown['kept_epoch']}, the lowest validation loss (early stopping)\n" in text


def test_a_cancelled_run_says_who_cancelled_it_after_which_epoch(tmp_path: Path) -> None:
    """A run asked to stop by `mnistq cancel` while it trains stops after its epoch and says so."""
    from db.queries import cancel_sweep, claim_run

    env, run_id, engine = _one_run_store(tmp_path, "epochs = 5")
    with session_scope(engine) as session:  # running on worker "w", then the sweep is cancelled
        assert claim_run(session, run_id, worker="w", lease_seconds=600, max_attempts=3) is not None
        assert cancel_sweep(session, 1).cancel_requested_ids == (run_id,)
    assert execute_run(run_id, engine=engine, worker="w") == "cancelled"  # the holder trains on, then stops
    shown = json.loads(mnistq("show", str(run_id), "--json", env=env).stdout)
    assert (shown["status"], shown["error"]) == ("cancelled", "cancelled by `mnistq cancel` after epoch 1")
    text = mnistq("show", str(run_id), env=env).stdout
    assert "\nnote: cancelled by `mnistq cancel` after epoch 1\n" in text and "error:" not in text
