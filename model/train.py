"""`train(config, data, on_epoch=...)`: the one entry point for both engines. Pure: no disk, no database.

`RUNNERS` is the one table of engines: each name maps to its `model.loop.EpochRunner` class, and
`model.loop.run_training` drives whichever one the config names.
"""

from __future__ import annotations

import importlib

import numpy as np

from model.config import TrainConfig
from model.data.types import PreparedData
from model.loop import EpochRunner, run_training
from model.result import OnEpoch, TrainResult

# engine name -> "module:class" of its runner, imported on first use: a numpy run never pays the seconds that
# importing scikit-learn takes on a loaded host (the CLI, the worker and the benchmarks all start here)
RUNNERS: dict[str, str] = {
    "numpy": "model.engine_numpy:NumpyRunner",
    "sklearn": "model.engine_sklearn:SklearnRunner",
}


def runner_class(engine: str) -> type[EpochRunner]:
    """The `EpochRunner` class of `engine` (a key of `RUNNERS`)."""
    if engine not in RUNNERS:  # TrainConfig.validate rejects this; kept for configs built by hand
        raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(RUNNERS)}")
    module, name = RUNNERS[engine].split(":")
    runner: type[EpochRunner] = getattr(importlib.import_module(module), name)
    return runner


def train(
    config: TrainConfig,
    data: PreparedData,
    on_epoch: OnEpoch | None = None,
    resume_from: dict[str, np.ndarray] | None = None,
    stop_after: int | None = None,
) -> TrainResult:
    """Train `config` on `data` with its engine and return the result.

    `on_epoch` is called after every epoch (return False to stop: status "cancelled"); `resume_from` is a
    snapshot taken by an earlier call's `EpochProgress.snapshot()` and continues that run bitwise-identically;
    `stop_after` ends it after that epoch (see `model.loop.run_training`).
    """
    runner = runner_class(config.engine)(config, data)
    return run_training(config, data, runner, on_epoch=on_epoch, resume_from=resume_from, stop_after=stop_after)
