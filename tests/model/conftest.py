"""Small synthetic datasets for the model tests, and single-threaded BLAS so results are reproducible."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from model.config import TrainConfig
from model.data.types import PreparedData, Split

IMAGE_SHAPE = (4, 4)  # 16 features, so augmentation has images to shift


@pytest.fixture(autouse=True)
def one_blas_thread() -> Iterator[None]:
    """Tiny matrices run fastest on one thread, and the CPU is shared with other work."""
    with threadpool_limits(limits=1):
        yield


def blobs(
    n_train: int = 240, n_val: int = 60, n_test: int = 60, *, n_classes: int = 3, seed: int = 0, spread: float = 1.0
) -> PreparedData:
    """Gaussian blobs around one random centre per class: separable when `spread` is small.

    Raw "pixels" are the blob values shifted to be non-negative; splits are z-scored with the training
    statistics (std floored at 1e-3), like the real data preparation.
    """
    rng = np.random.default_rng(seed)
    n_features = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
    centres = rng.normal(0.0, 3.0, size=(n_classes, n_features))
    n = n_train + n_val + n_test
    y = rng.integers(0, n_classes, size=n)
    raw = centres[y] + rng.normal(0.0, spread, size=(n, n_features))
    raw -= raw.min()
    mean = raw[:n_train].mean(axis=0)
    std = np.maximum(raw[:n_train].std(axis=0), 1e-3)
    z = ((raw - mean) / std).astype(np.float32)

    def part(rows: slice) -> Split:
        return Split(x=z[rows], y=y[rows].astype(np.int64))

    return PreparedData(
        spec="blobs",
        train=part(slice(0, n_train)),
        val=part(slice(n_train, n_train + n_val)) if n_val else None,
        test=part(slice(n_train + n_val, n)),
        image_shape=IMAGE_SHAPE,
        n_classes=n_classes,
        norm_mean=mean,
        norm_std=std,
    )


def small_config(**changes: object) -> TrainConfig:
    """A fast numpy config for the blobs; `changes` override any key (validated and canonical)."""
    base = TrainConfig(hidden=(16, 8), batch_size=16, epochs=6, learning_rate=0.1)
    return base.replace(**changes)


@pytest.fixture
def data() -> PreparedData:
    return blobs()
