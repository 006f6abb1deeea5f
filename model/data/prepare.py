"""The public entry: a TrainConfig's dataset, split and z-scored, ready for either engine."""

from __future__ import annotations

import numpy as np

from model.config import TrainConfig
from model.data.labels import N_CLASSES, one_hot
from model.data.normalize import ZScore
from model.data.raw import RawDataset
from model.data.specs import load_raw
from model.data.splits import split
from model.data.types import PreparedData, Split

__all__ = ["load_raw", "one_hot", "prepare", "prepare_raw"]


def prepare(config: TrainConfig) -> PreparedData:
    """Load `config.dataset` (with `config.label_column`), split it by `config.seed`, `val_fraction` and
    `test_fraction`, and z-score every split with the training split's statistics in `config.dtype`.

    Raises DataError for an unknown spec, unreadable or malformed data, or a class missing from training.
    """
    raw = load_raw(config.dataset, config.label_column)
    return prepare_raw(
        raw,
        seed=config.seed,
        val_fraction=config.val_fraction,
        test_fraction=config.test_fraction,
        dtype=config.dtype,
    )


def prepare_raw(
    raw: RawDataset, *, seed: int, val_fraction: float, test_fraction: float, dtype: str = "float32"
) -> PreparedData:
    """`prepare` for an already loaded dataset (tests, notebooks, the report's re-scoring)."""
    parts = split(raw, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)
    scaler = ZScore.fit(parts.train[0])
    np_dtype = np.dtype(dtype)

    def scaled(pair: tuple[np.ndarray, np.ndarray]) -> Split:
        x, y = pair
        return Split(x=scaler.apply(x, np_dtype), y=np.array(y, dtype=np.int64))

    return PreparedData(
        spec=raw.name,
        train=scaled(parts.train),
        val=None if parts.val is None else scaled(parts.val),
        test=scaled(parts.test),
        image_shape=raw.image_shape,
        n_classes=N_CLASSES,
        norm_mean=scaler.mean,
        norm_std=scaler.std,
    )
