"""Learning curves as arrays: one run's history, or the per-epoch mean over several runs (seeds)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from db import EpochRecord

FIELDS = ("train_acc", "val_acc", "train_loss", "val_loss")


@dataclass(frozen=True)
class Curves:
    """(n_epochs,) float arrays, NaN where a value was not measured (e.g. val_* without a validation split)
    or not finite.

    `epochs` are 1-based. For a mean over runs, `spread` holds each field's per-epoch standard deviation
    (zeros for a single run) and `n_runs` how many runs were averaged.
    """

    epochs: np.ndarray
    values: dict[str, np.ndarray]
    spread: dict[str, np.ndarray]
    n_runs: int

    def has(self, field: str) -> bool:
        """True when `field` was measured in at least one epoch."""
        return bool(np.isfinite(self.values[field]).any())

    def __len__(self) -> int:
        return int(self.epochs.shape[0])


def run_curves(history: Sequence[EpochRecord]) -> Curves:
    """One run's curves (an empty history gives zero-length arrays)."""
    return mean_curves([history])


def mean_curves(histories: Sequence[Sequence[EpochRecord]]) -> Curves:
    """Per-epoch mean and std over `histories`; a run that stopped early counts only for its epochs."""
    length = max((epoch.epoch for history in histories for epoch in history), default=0)
    stacked = {field: np.full((len(histories), length), np.nan) for field in FIELDS}
    for row, history in enumerate(histories):
        for epoch in history:
            for field in FIELDS:
                value = getattr(epoch, field)
                if value is not None and math.isfinite(value):  # a diverged loss is left out of the plot
                    stacked[field][row, epoch.epoch - 1] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column gives NaN, as wanted
        values = {field: np.nanmean(array, axis=0) for field, array in stacked.items()}
        spread = {field: np.nan_to_num(np.nanstd(array, axis=0)) for field, array in stacked.items()}
    return Curves(np.arange(1, length + 1), values, spread, len(histories))
