"""Class labels: every dataset here has the ten classes 0..9 (digits, or Fashion-MNIST's ten garments)."""

from __future__ import annotations

import numpy as np

N_CLASSES = 10


def first_bad_label(values: np.ndarray) -> int | None:
    """Index of the first value that is not an integer in 0..9, or None when all are valid."""
    values = np.asarray(values)
    ok = (values >= 0) & (values < N_CLASSES)
    if values.dtype.kind == "f":
        ok &= values == np.floor(values)
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if bad.size else None


def one_hot(y: np.ndarray, n_classes: int = N_CLASSES, dtype: np.dtype | type = np.float64) -> np.ndarray:
    """(n,) integer labels -> (n, n_classes) rows with a single 1 (the seed's encoding: 3 -> [0,0,0,1,0,...])."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"one_hot: expected 1-D labels, got shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"one_hot: labels must be in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
    out = np.zeros((y.shape[0], n_classes), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out
