"""The prepared dataset every engine trains on: stratified splits, z-scored features, integer labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """One split. `x` is (n, n_features) z-scored with the training split's statistics; `y` is (n,) int64."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return int(self.y.shape[0])


@dataclass(frozen=True)
class PreparedData:
    """Train/val/test splits plus what is needed to normalise new raw images the same way.

    `norm_mean`/`norm_std` are (n_features,) in raw pixel units; `norm_std` is already floored, so
    `(raw - norm_mean) / norm_std` is bounded for every pixel, constant ones included.
    """

    spec: str  # the dataset spec string it was built from
    train: Split
    val: Split | None  # None when val_fraction = 0
    test: Split
    image_shape: tuple[int, int]  # (rows, columns), e.g. (28, 28)
    n_classes: int
    norm_mean: np.ndarray
    norm_std: np.ndarray

    @property
    def n_features(self) -> int:
        return int(self.train.x.shape[1])

    def normalize(self, raw: np.ndarray) -> np.ndarray:
        """(n, n_features) raw pixels -> z-scores, in the training split's dtype."""
        return ((raw - self.norm_mean) / self.norm_std).astype(self.train.x.dtype, copy=False)
