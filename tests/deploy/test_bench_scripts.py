"""The benchmarks stay runnable: `make bench` is not part of the suite (speed is never a test), so these check
only that every script imports, that its specs are valid and that its measuring pieces run, without timing."""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np

from bench.__main__ import BENCHMARKS
from bench.scaling import CORES, Layout
from bench.sweep import g24_configs_and_data
from bench.train_throughput import SHAPES, Shape, gemm_floor
from model.config import TrainConfig
from model.data.prepare import prepare

from ..queue.helpers import ROOT


def test_every_benchmark_imports_and_has_a_main() -> None:
    for name in BENCHMARKS:
        assert callable(importlib.import_module(f"bench.{name}").main), name


def test_an_unknown_benchmark_name_is_a_usage_error() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "nope"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert "unknown benchmark(s) nope" in done.stderr


def test_g24_is_the_issues_grid() -> None:
    configs, data = g24_configs_and_data()
    assert len(configs) == 24
    assert {tuple(c.hidden) for c in configs} == {(128, 64, 64, 32, 32), (256, 128, 64, 32, 16)}
    assert {c.batch_size for c in configs} == {32, 128} and {c.learning_rate for c in configs} == {0.01, 0.05, 0.1}
    assert all((c.engine, c.optimizer, c.momentum, c.l2, c.epochs) == ("numpy", "momentum", 0.9, 1e-4, 10) for c in configs)
    assert (len(data.train), len(data.test)) == (4000, 1000)


def test_the_gemm_floor_performs_the_steps_products() -> None:
    assert [s.name for s in SHAPES] == ["A", "B"]
    data = prepare(TrainConfig(dataset="digits", dtype="float32"))
    epoch = gemm_floor(Shape("tiny", (16, 8), 32), data)
    with np.errstate(all="raise"):  # finite values throughout
        epoch()


def test_the_scaling_layouts_count_the_processes_a_host_runs() -> None:
    """N x T forces one process of T threads per worker; "default" workers take a process per core each."""
    forced, defaults = Layout(2, 1), Layout(2, None)
    assert (forced.label, forced.processes, forced.cores) == ("2 x 1", 2, min(2, CORES))
    assert (defaults.label, defaults.pool, defaults.processes) == ("2 x default", CORES, 2 * CORES)
    assert defaults.cores == CORES  # oversubscribed by design: judged against the cores the host has
    assert Layout(1, 2).cores == min(2, CORES)
