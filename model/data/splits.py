"""Stratified, seeded train/val/test splits.

Single table: `test_fraction` of it is held out as the test set, then `val_fraction` of what remains (the
training pool) as validation. With an official test split, that is the test set and validation comes out of
the training pool. Each split takes round(fraction * pool) samples (at least 1 when the fraction is above 0),
shared out among the classes in proportion to their counts (largest remainder), so class shares match the
pool's. The same seed always gives the same indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import DataError
from model.data.labels import N_CLASSES
from model.data.raw import RawDataset

SPLIT_STREAM = 1  # splits draw from SeedSequence([seed, 1]), apart from the weights and shuffling streams


@dataclass(frozen=True)
class RawSplits:
    """Unscaled splits, each an (x (n, d), y (n,)) pair; `val` is None when val_fraction = 0."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray]


def split(raw: RawDataset, *, seed: int, val_fraction: float, test_fraction: float) -> RawSplits:
    """Divide `raw` as the module docstring says. Raises DataError when a class has no training sample."""
    rng = np.random.default_rng([seed, SPLIT_STREAM])
    if raw.test_x is not None and raw.test_y is not None:
        pool = np.arange(len(raw.y))
        test = (raw.test_x, raw.test_y)
    else:
        pool, test_idx = stratified_holdout(raw.y, test_fraction, rng)
        test = (raw.x[test_idx], raw.y[test_idx])
    if val_fraction > 0:
        train_in_pool, val_in_pool = stratified_holdout(raw.y[pool], val_fraction, rng)
        train_idx, val_idx = pool[train_in_pool], pool[val_in_pool]
        val = (raw.x[val_idx], raw.y[val_idx])
    else:
        train_idx, val = pool, None
    _check_all_classes(raw.name, raw.y[train_idx])
    return RawSplits(train=(raw.x[train_idx], raw.y[train_idx]), val=val, test=test)


def stratified_holdout(y: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held) ascending index arrays into `y`; `held` has round(fraction * n) samples (>= 1)."""
    n = len(y)
    n_held = min(n, max(1, round(fraction * n)))
    classes, counts = np.unique(y, return_counts=True)
    quota = _largest_remainder(counts, n_held, rng)
    held = [rng.permutation(np.flatnonzero(y == c))[:q] for c, q in zip(classes, quota, strict=True)]
    held_idx = np.sort(np.concatenate(held))
    kept = np.ones(n, dtype=bool)
    kept[held_idx] = False
    return np.flatnonzero(kept), held_idx


def _largest_remainder(counts: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Integer shares of `total` proportional to `counts` (each <= its count); ties broken by `rng`."""
    exact = counts * total / counts.sum()
    quota = np.floor(exact).astype(np.int64)
    left = total - int(quota.sum())
    order = np.lexsort((rng.random(len(counts)), -(exact - quota)))  # biggest remainder first
    quota[order[:left]] += 1
    return quota


def _check_all_classes(name: str, y_train: np.ndarray) -> None:
    present = np.bincount(y_train, minlength=N_CLASSES)
    missing = [label for label in range(N_CLASSES) if present[label] == 0]
    if missing:
        which = ", ".join(str(m) for m in missing)
        raise DataError(
            f"dataset {name!r}: class{'es' if len(missing) > 1 else ''} {which} "
            f"{'have' if len(missing) > 1 else 'has'} no samples in the training split "
            f"({len(y_train)} samples): every label 0-9 needs at least one"
        )
