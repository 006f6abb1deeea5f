"""Data analysis, as in the seed report's Part 1: size, class balance, constant pixels, pixel/label correlations.

Pixels are named in the seed's `RxC` convention, 1-based: `1x1` is the top-left pixel and `28x19` the one in
row 28, column 19. The correlation is Pearson's r between each pixel and the label taken as a number (what
the seed computed); it is undefined (NaN) for a constant pixel, whose variance is zero. Statistics cover
every sample, the official test split included.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.data.labels import N_CLASSES
from model.data.raw import RawDataset


def pixel_name(index: int, image_shape: tuple[int, int]) -> str:
    """Flat pixel index (0-based, row-major) -> 'RxC' (1-based), e.g. 0 -> '1x1', 774 -> '28x19' for 28x28."""
    row, col = divmod(index, image_shape[1])
    return f"{row + 1}x{col + 1}"


def constant_mask(raw: RawDataset) -> np.ndarray:
    """(d,) bool: True for pixels with the same value in every sample."""
    x, _ = raw.all_samples()
    return x.min(axis=0) == x.max(axis=0)


def correlations(raw: RawDataset) -> np.ndarray:
    """(d,) float64 Pearson r of each pixel with the label; NaN where the pixel is constant."""
    x, y = raw.all_samples()
    xc = x - x.mean(axis=0, dtype=np.float64)
    yc = y - y.mean()
    x_norm = np.sqrt(np.einsum("ij,ij->j", xc, xc))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (yc @ xc) / (x_norm * np.sqrt(yc @ yc))
    r[constant_mask(raw)] = np.nan  # 0/0 there; set explicitly so rounding can never make it a number
    return r


def mean_images(raw: RawDataset) -> np.ndarray:
    """(10, rows, cols) float64 mean raw image per class; all NaN for a class with no samples."""
    x, y = raw.all_samples()
    rows, cols = raw.image_shape
    out = np.full((N_CLASSES, rows * cols), np.nan)
    for label in range(N_CLASSES):
        members = x[y == label]
        if len(members):
            out[label] = members.mean(axis=0, dtype=np.float64)
    return out.reshape(N_CLASSES, rows, cols)


def describe(raw: RawDataset, top_k: int = 10) -> dict[str, Any]:
    """A JSON-able summary (NaN never appears: undefined values are None)."""
    x, y = raw.all_samples()
    n, d = x.shape
    counts = np.bincount(y, minlength=N_CLASSES)
    constant = constant_mask(raw)
    r = correlations(raw)
    defined = np.flatnonzero(~np.isnan(r))
    top = defined[np.argsort(-np.abs(r[defined]), kind="stable")][:top_k]
    return {
        "dataset": raw.name,
        "samples": int(n),
        "splits": {"train_pool": len(raw.y), "official_test": None if raw.test_y is None else len(raw.test_y)},
        "features": int(d),
        "image_shape": list(raw.image_shape),
        "value_range": [x.min().item(), x.max().item()],
        "classes": [label for label in range(N_CLASSES) if counts[label] > 0],
        "class_balance": [
            {"label": label, "count": int(counts[label]), "share": float(counts[label] / n)} for label in range(N_CLASSES)
        ],
        "constant_pixels": {"count": int(constant.sum()), "share": float(constant.mean())},
        "correlation": {
            "method": "pearson r of each pixel with the numeric label",
            "undefined": int(np.isnan(r).sum()),
            "top": [
                {"pixel": pixel_name(int(i), raw.image_shape), "index": int(i), "r": float(r[i])} for i in top
            ],
        },
    }

