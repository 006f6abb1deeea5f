"""Z-scores fitted on training data only, with the floored sigma that keeps every |z| bounded."""

from __future__ import annotations

import numpy as np

from model.data.normalize import MAX_ABS_Z, SIGMA_FLOOR_FRACTION, ZScore


def test_ordinary_pixels_get_mean_zero_std_one():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(500, 3)).astype(np.uint8)
    z = ZScore.fit(x).apply(x, np.float64)
    assert np.allclose(z.mean(axis=0), 0, atol=1e-12) and np.allclose(z.std(axis=0), 1)


def test_constant_pixels_give_zero_not_nan():
    x = np.zeros((50, 4), dtype=np.uint8)
    x[:, 1] = np.arange(50) * 5  # one varying pixel; columns 0, 2 constant at 0, column 3 constant at 255
    x[:, 3] = 255
    scaler = ZScore.fit(x)
    z = scaler.apply(x)
    assert np.isfinite(z).all()
    assert (z[:, [0, 2, 3]] == 0).all()
    assert scaler.std[0] == SIGMA_FLOOR_FRACTION * 255


def test_ink_on_a_near_constant_border_pixel_stays_bounded():
    """A shifted digit puts full ink (255) on a pixel that was 0 in all but one training image."""
    x_train = np.zeros((10_000, 2), dtype=np.uint8)
    x_train[:, 1] = np.arange(10_000) % 256  # gives the data its 0..255 range
    x_train[0, 0] = 1  # border pixel: std ~ 0.01, so an unfloored z for 255 would be ~ 25,000
    scaler = ZScore.fit(x_train)
    shifted = np.array([[255, 0]], dtype=np.uint8)
    z = scaler.apply(shifted, np.float64)
    assert abs(z[0, 0]) <= MAX_ABS_Z == 10
    assert abs(z[0, 0]) > 9.9  # floored to 25.5, not squashed to 0


def test_all_constant_data_is_finite():
    scaler = ZScore.fit(np.full((5, 3), 7, dtype=np.uint8))
    assert np.isfinite(scaler.apply(np.full((2, 3), 200, dtype=np.uint8))).all()


def test_dtype_is_honoured():
    x = np.arange(12, dtype=np.uint8).reshape(4, 3)
    scaler = ZScore.fit(x)
    assert scaler.apply(x, np.float32).dtype == np.float32
    assert scaler.apply(x, np.float64).dtype == np.float64
