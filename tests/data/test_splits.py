"""Stratified, seeded splits: sizes, class shares, determinism, official test sets, missing classes."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import DataError
from model.data.raw import RawDataset
from model.data.splits import split


def table(counts: list[int], with_test: bool = False) -> RawDataset:
    """A 2x2-pixel dataset with counts[c] samples of class c; pixel 0 holds the sample's index % 256."""
    y = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
    x = np.zeros((len(y), 4), dtype=np.uint8)
    x[:, 0] = np.arange(len(y)) % 256
    test = dict(test_x=x[:7].copy(), test_y=y[:7].copy()) if with_test else {}
    return RawDataset(name="toy", x=x, y=y, image_shape=(2, 2), **test)


def test_single_table_sizes_and_class_shares():
    raw = table([100] * 10)
    parts = split(raw, seed=3, val_fraction=0.1, test_fraction=0.2)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = parts.train, parts.val, parts.test
    assert (len(y_train), len(y_val), len(y_test)) == (720, 80, 200)
    assert np.bincount(y_test).tolist() == [20] * 10
    assert np.bincount(y_val).tolist() == [8] * 10
    assert x_train.shape == (720, 4) and x_val.shape == (80, 4) and x_test.shape == (200, 4)


def test_rows_keep_their_labels_and_splits_are_disjoint():
    y = np.arange(300) % 10
    x = np.arange(300 * 4).reshape(300, 4).astype(np.float64)  # row i starts with 4 * i: identifies the sample
    raw = RawDataset(name="toy", x=x, y=y.astype(np.int64), image_shape=(2, 2))
    parts = split(raw, seed=1, val_fraction=0.1, test_fraction=0.2)
    seen = []
    for xs, ys in (parts.train, parts.val, parts.test):
        index = (xs[:, 0] // 4).astype(int)
        assert (y[index] == ys).all()
        seen.extend(index.tolist())
    assert sorted(seen) == list(range(300))


def test_uneven_classes_keep_their_proportions():
    parts = split(table([50, 150] + [100] * 8), seed=0, val_fraction=0.0, test_fraction=0.2)
    counts = np.bincount(parts.test[1])
    assert counts.sum() == 200 and counts[0] == 10 and counts[1] == 30


def test_same_seed_same_split_other_seed_other_split():
    raw = table([30] * 10)
    first = split(raw, seed=7, val_fraction=0.1, test_fraction=0.2)
    again = split(raw, seed=7, val_fraction=0.1, test_fraction=0.2)
    other = split(raw, seed=8, val_fraction=0.1, test_fraction=0.2)
    assert np.array_equal(first.test[0], again.test[0]) and np.array_equal(first.val[0], again.val[0])
    assert not np.array_equal(first.test[0], other.test[0])


def test_official_test_is_the_test_set_and_val_comes_from_train():
    raw = table([20] * 10, with_test=True)
    parts = split(raw, seed=0, val_fraction=0.25, test_fraction=0.2)
    assert parts.test[0] is raw.test_x and len(parts.test[1]) == 7
    assert len(parts.val[1]) == 50 and len(parts.train[1]) == 150
    assert np.bincount(parts.val[1]).tolist() == [5] * 10


def test_zero_val_fraction_means_no_validation():
    parts = split(table([10] * 10), seed=0, val_fraction=0.0, test_fraction=0.2)
    assert parts.val is None and len(parts.train[1]) == 80


def test_small_fraction_still_holds_out_one_sample():
    parts = split(table([3] * 10), seed=0, val_fraction=0.01, test_fraction=0.01)
    assert len(parts.test[1]) == 1 and len(parts.val[1]) == 1


def test_class_missing_from_training_is_an_error():
    with pytest.raises(DataError, match=r"dataset 'toy': classes 8, 9 have no samples in the training split"):
        split(table([10] * 8), seed=0, val_fraction=0.1, test_fraction=0.2)
    pool_without_3 = table([5, 5, 5, 0, 5, 5, 5, 5, 5, 5])
    test_with_3 = RawDataset(
        name="toy", x=pool_without_3.x, y=pool_without_3.y, image_shape=(2, 2),
        test_x=np.zeros((1, 4), dtype=np.uint8), test_y=np.array([3]),
    )
    with pytest.raises(DataError, match=r"class 3 has no samples in the training split \(45 samples\)"):
        split(test_with_3, seed=0, val_fraction=0.0, test_fraction=0.5)
