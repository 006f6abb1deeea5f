"""`train(config, data, on_epoch=...)`: the one entry point for both engines. Pure: no disk, no database."""

from __future__ import annotations

import numpy as np

from model.config import TrainConfig
from model.data.types import PreparedData
from model.result import OnEpoch, TrainResult


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
    if config.engine == "numpy":
        from model.engine_numpy import train as run
    elif config.engine == "sklearn":
        from model.engine_sklearn import train as run
    else:  # TrainConfig.validate rejects this; kept for configs built by hand
        raise ValueError(f"unknown engine {config.engine!r}")
    return run(config, data, on_epoch=on_epoch, resume_from=resume_from, stop_after=stop_after)
