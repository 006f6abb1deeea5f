"""The dataset analysis of the seed report's part 1, as arrays for plotting and tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.data.describe import constant_mask, correlations, mean_images, pixel_name
from model.data.labels import N_CLASSES
from model.data.specs import load_raw

TOP_PIXELS = 10


@dataclass(frozen=True)
class DatasetAnalysis:
    """Over every sample of `spec` (official test split included). Maps are (rows, cols)."""

    spec: str
    n_samples: int
    image_shape: tuple[int, int]
    value_range: tuple[float, float]
    counts: np.ndarray  # (10,) samples per class
    constant: np.ndarray  # bool: same value in every sample
    correlation: np.ndarray  # Pearson r with the numeric label; NaN for constant pixels
    means: np.ndarray  # (10, rows, cols) mean raw image per class
    top_pixels: tuple[tuple[str, float], ...]  # ("RxC", r) by |r| descending

    @property
    def n_nan(self) -> int:
        return int(np.isnan(self.correlation).sum())


def analyse_dataset(spec: str, label_column: str | None = None) -> DatasetAnalysis:
    """Load `spec` and compute its analysis. DataError (one line) when the dataset cannot be loaded."""
    raw = load_raw(spec, label_column)
    x, y = raw.all_samples()
    r = correlations(raw)
    defined = np.flatnonzero(~np.isnan(r))
    top = defined[np.argsort(-np.abs(r[defined]), kind="stable")][:TOP_PIXELS]
    return DatasetAnalysis(
        spec=raw.name,
        n_samples=int(y.shape[0]),
        image_shape=raw.image_shape,
        value_range=(float(x.min()), float(x.max())),
        counts=np.bincount(y, minlength=N_CLASSES),
        constant=constant_mask(raw).reshape(raw.image_shape),
        correlation=r.reshape(raw.image_shape),
        means=mean_images(raw),
        top_pixels=tuple((pixel_name(int(i), raw.image_shape), float(r[i])) for i in top),
    )
