"""Random shifts move whole images in raw pixel space and keep every value bounded."""

from __future__ import annotations

import numpy as np

from model.nn.augment import random_shift

from .conftest import IMAGE_SHAPE, blobs


def test_shapes_dtype_and_bounds_are_kept() -> None:
    data = blobs()
    x = data.train.x
    out = random_shift(x, IMAGE_SHAPE, 2, np.random.default_rng(0), data.norm_mean, data.norm_std)
    assert out.shape == x.shape and out.dtype == x.dtype
    raw = x * data.norm_std + data.norm_mean
    low = (min(raw.min(), 0.0) - data.norm_mean) / data.norm_std  # any output is a raw input value or 0
    high = (max(raw.max(), 0.0) - data.norm_mean) / data.norm_std
    assert np.all(np.isfinite(out))
    assert np.all(out >= low - 1e-4) and np.all(out <= high + 1e-4)
    assert not np.array_equal(out, x)


def test_a_single_pixel_moves_by_at_most_the_shift_and_the_border_fills_with_zero() -> None:
    n, (rows, cols) = 200, (7, 7)
    raw = np.zeros((n, rows * cols))
    raw[:, 3 * cols + 3] = 1.0  # one bright pixel in the centre
    mean, std = np.full(rows * cols, 0.5), np.full(rows * cols, 2.0)
    out = random_shift((raw - mean) / std, (rows, cols), 2, np.random.default_rng(1), mean, std)
    moved = (out * std + mean).reshape(n, rows, cols)
    np.testing.assert_allclose(moved.sum(axis=(1, 2)), 1.0)  # nothing lost, zero everywhere else
    where = np.argwhere(moved > 0.5)[:, 1:]
    assert np.all(np.abs(where - 3) <= 2)
    assert len({tuple(w) for w in where}) == 25  # all 5 x 5 offsets occur among 200 images


def test_zero_shift_is_the_identity_and_a_seed_repeats() -> None:
    data = blobs()
    x = data.train.x
    same = random_shift(x, IMAGE_SHAPE, 0, np.random.default_rng(0), data.norm_mean, data.norm_std)
    np.testing.assert_allclose(same, x, atol=1e-5)
    a = random_shift(x, IMAGE_SHAPE, 1, np.random.default_rng(3), data.norm_mean, data.norm_std)
    b = random_shift(x, IMAGE_SHAPE, 1, np.random.default_rng(3), data.norm_mean, data.norm_std)
    np.testing.assert_array_equal(a, b)
