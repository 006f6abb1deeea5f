"""Per-pixel z-scores, z = (x - mean) / std, fitted on the training split only.

The rule for std (sigma): every pixel's training std is floored at

    sigma_floor = SIGMA_FLOOR_FRACTION * (max - min of all training pixel values)   (0.1 * 255 = 25.5 for MNIST)

so a constant pixel (std 0, e.g. MNIST's corners) gives z = 0 instead of NaN, and a near-constant border
pixel cannot explode when a shifted (augmented) or unusual image puts ink on it: any value inside the
training range is at most one range away from the mean, so |z| <= 1 / SIGMA_FLOOR_FRACTION = 10.
Pixels whose real std is above the floor are scaled exactly as the seed did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIGMA_FLOOR_FRACTION = 0.1
MAX_ABS_Z = 1.0 / SIGMA_FLOOR_FRACTION  # bound on |z| for values within the training range


@dataclass(frozen=True)
class ZScore:
    """Fitted statistics, (n_features,) float64 in raw pixel units; `std` is already floored."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x_train: np.ndarray) -> ZScore:
        """Fit on (n, n_features) raw training pixels."""
        x = np.asarray(x_train)
        value_range = float(x.max()) - float(x.min())
        floor = SIGMA_FLOOR_FRACTION * value_range if value_range > 0 else 1.0  # all-constant data: z = 0
        std = x.std(axis=0, dtype=np.float64)
        return cls(mean=x.mean(axis=0, dtype=np.float64), std=np.maximum(std, floor))

    def apply(self, x: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
        """(n, n_features) raw pixels -> z-scores in `dtype`."""
        out = np.asarray(x, dtype=dtype) - self.mean.astype(dtype)
        out /= self.std.astype(dtype)
        return out
