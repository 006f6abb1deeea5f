"""bench/halving.py's measuring pieces: the grid it sweeps, the utilisation and tail it reports, the epochs it
counts for HalvingGridSearchCV, and `--quick` end to end on the session's private servers (no timing asserted)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta

import pytest

from bench.halving import FULL, QUICK, wait_for_sweep
from bench.halving_anchor import halving_epochs, halving_rungs, param_grid, run_anchor
from bench.halving_runs import Task, best_run, tail, utilisation
from model.config import TrainConfig
from model.data.prepare import prepare

from ..queue.helpers import ROOT

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def task(worker: str, start: float, end: float, val: float | None = None, test: float | None = None) -> Task:
    return Task("completed", worker, T0 + timedelta(seconds=start), T0 + timedelta(seconds=end), end - start, val, test)


def test_the_full_grid_spreads_good_and_hopeless_configs_over_27_epochs() -> None:
    configs = FULL.configs()
    assert len(configs) == FULL.size >= 54
    assert len({c.config_hash() for c in configs}) == len(configs)
    assert {c.epochs for c in configs} == {27} and {c.dataset for c in configs} == {"mnist-5k"}
    rates = {c.learning_rate for c in configs}
    assert max(rates) / min(rates) >= 100  # orders of magnitude apart: some configs cannot learn in 27 epochs
    assert {c.seed for c in configs} == {0}  # one split for every config, which the anchor reuses


def test_only_the_adaptive_strategies_carry_a_search_table() -> None:
    assert "search" not in tomllib.loads(FULL.spec("grid"))
    for strategy in ("asha", "median"):
        search = tomllib.loads(QUICK.spec(strategy))["search"]
        assert search == {"strategy": strategy, "metric": "val_loss", "min_epochs": 1, "eta": 3}


def test_utilisation_is_task_time_over_workers_times_span() -> None:
    busy = [task("a", 0, 10), task("b", 0, 4), task("b", 4, 10)]
    assert utilisation(busy, 2) == pytest.approx(1.0)
    gappy = [task("a", 0, 10), task("b", 2, 6)]  # b waits 2 s for its first claim and idles the last 4 s
    assert utilisation(gappy, 2) == pytest.approx(14 / 20)
    assert tail(gappy) == pytest.approx(4.0) and tail(busy) == 0.0


def test_the_best_run_is_the_best_validation_accuracy_not_the_best_test() -> None:
    runs = [task("a", 0, 1, 0.90, 0.95), task("a", 1, 2, 0.93, 0.91), task("b", 0, 1, None, None)]
    best = best_run(runs)
    assert best is not None and (best.val_acc, best.test_acc) == (0.93, 0.91)


def test_equal_validation_accuracies_go_to_the_lower_validation_loss() -> None:
    tied = [dataclasses.replace(task("a", 0, 1, 0.955, 0.941), val_loss=0.20),
            dataclasses.replace(task("b", 0, 1, 0.955, 0.944), val_loss=0.18),
            dataclasses.replace(task("b", 1, 2, 0.955, 0.950), val_loss=float("nan"))]
    for order in (tied, tied[::-1]):
        best = best_run(order)
        assert best is not None and best.test_acc == 0.944


def test_halving_epochs_sum_max_iter_over_every_fit() -> None:
    # 54 candidates, factor 3, 1..27 epochs: 54 x 1 + 18 x 3 + 6 x 9 + 2 x 27 epochs
    resources = [1] * 54 + [3] * 18 + [9] * 6 + [27] * 2
    cv_results = {"n_resources": resources, "mean_fit_time": [0.5 * n for n in resources],
                  "mean_score_time": [0.25] * len(resources)}
    assert halving_epochs(cv_results) == 216
    assert halving_epochs(cv_results, n_splits=5) == 1080
    assert halving_rungs(cv_results) == ((1, 54, 54 * 0.75), (3, 18, 18 * 1.75), (9, 6, 6 * 4.75), (27, 2, 2 * 13.75))


def test_the_anchor_maps_l2_per_batch_size_and_counts_its_fits() -> None:
    configs = [TrainConfig(dataset="digits", hidden=(8,), learning_rate=lr, batch_size=32, l2=1e-3, epochs=3)
               for lr in (0.001, 0.01, 0.1)]
    assert param_grid(configs)[0]["alpha"] == [pytest.approx(1e-3 * 32)]
    result = run_anchor(configs, prepare(configs[0]), max_resources=3, factor=3, min_resources=1, n_jobs=1)
    assert (result.fits, result.epochs, result.max_iter) == (3 + 1, 3 * 1 + 1 * 3, 3)
    assert [(n, count) for n, count, _ in result.rungs] == [(1, 3), (3, 1)]
    assert result.best_params["learning_rate_init"] in (0.001, 0.01, 0.1)
    assert 0.0 <= result.best_test <= 1.0


def test_a_worker_that_dies_stops_the_wait(tmp_path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    dead.wait()
    with pytest.raises(SystemExit, match=r"worker 0 \(exit 3\) died during the sweep"):
        wait_for_sweep(f"sqlite:///{tmp_path / 'store.db'}", timeout=60, started=[dead])


def test_quick_runs_every_strategy_end_to_end(pg_admin_url: str, redis_url: str) -> None:
    env = {**os.environ, "MNISTQ_BENCH_PG_ADMIN_URL": pg_admin_url, "MNISTQ_BENCH_REDIS_URL": redis_url}
    done = subprocess.run([sys.executable, "-m", "bench.halving", "--quick"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(rf"^grid .* {QUICK.size} completed$", done.stdout, re.MULTILINE), done.stdout
    for strategy in ("asha", "median"):  # every run ended, trained to the end or pruned
        row = re.search(rf"^{strategy} .*   (.*)$", done.stdout, re.MULTILINE)
        assert row, done.stdout
        counts = dict((status, int(n)) for n, status in (part.split() for part in row[1].split(", ")))
        assert set(counts) <= {"completed", "pruned", "diverged"} and sum(counts.values()) == QUICK.size
    assert re.search(r"^Halving .* \d+ fits, \d+ diverged$", done.stdout, re.MULTILINE), done.stdout
    checks = re.findall(r"\(target [^)]*\): (PASS|MISS)", done.stdout)
    assert len(checks) == 3 + 3 + 2, done.stdout  # ASHA vs grid, utilisation per strategy, ASHA vs Halving
