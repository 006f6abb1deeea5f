"""The dataset as loaded from its source: raw pixels and labels, before any split or scaling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RawDataset:
    """Raw pixels and integer labels, plus the official test split when the source has one.

    `x` is (n, rows * cols): uint8 pixel values (0..255 for MNIST, 0..16 for `digits`), or float64 when a
    CSV holds fractional values. `y` is (n,) int64 labels 0..9. Pixel `j` sits at row `j // cols`, column
    `j % cols` (0-based) of the image. `test_x`/`test_y` have the same layout, or are both None for a single
    table that `model.data.splits` divides itself.
    """

    name: str  # the dataset spec it was loaded from, e.g. "mnist-5k" or "csv:digits.csv"
    x: np.ndarray
    y: np.ndarray
    image_shape: tuple[int, int]  # (rows, cols)
    test_x: np.ndarray | None = None
    test_y: np.ndarray | None = None

    def __post_init__(self) -> None:
        rows, cols = self.image_shape
        _check_pair(self.x, self.y, rows * cols, "x/y")
        if (self.test_x is None) != (self.test_y is None):
            raise ValueError("RawDataset: test_x and test_y must both be given or both be None")
        if self.test_x is not None and self.test_y is not None:
            _check_pair(self.test_x, self.test_y, rows * cols, "test_x/test_y")

    @property
    def n_features(self) -> int:
        """Pixels per image (rows * cols)."""
        return int(self.x.shape[1])

    @property
    def has_official_test(self) -> bool:
        """True when the source ships its own test split (MNIST's 10k t10k set, say)."""
        return self.test_x is not None

    @property
    def n_samples(self) -> int:
        """Every sample, official test split included."""
        return len(self.y) + (0 if self.test_y is None else len(self.test_y))

    def all_samples(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) over every sample, official test split appended after the training pool."""
        if self.test_x is None or self.test_y is None:
            return self.x, self.y
        return np.concatenate([self.x, self.test_x]), np.concatenate([self.y, self.test_y])


def _check_pair(x: np.ndarray, y: np.ndarray, n_features: int, what: str) -> None:
    """Programming invariants (loaders guarantee them; a violation is a bug, not a user error)."""
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(f"RawDataset {what}: x has shape {x.shape}, expected (n, {n_features})")
    if y.shape != (x.shape[0],) or y.dtype != np.int64:
        raise ValueError(f"RawDataset {what}: y has shape {y.shape} and dtype {y.dtype}, expected ({x.shape[0]},) int64")
