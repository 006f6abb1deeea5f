"""The seed's Part 1 analysis on mnist-5k: balance, constant pixels, NaN correlations, RxC names."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.data.describe import constant_mask, correlations, describe, mean_images, pixel_name
from model.data.raw import RawDataset
from model.data.specs import load_raw


@pytest.fixture(scope="module")
def mnist_5k() -> RawDataset:
    return load_raw("mnist-5k")


def test_pixel_names_follow_the_seed():
    assert pixel_name(0, (28, 28)) == "1x1"
    assert pixel_name(27 * 28 + 18, (28, 28)) == "28x19"  # the seed's example: row 28, column 19
    assert pixel_name(783, (28, 28)) == "28x28"
    assert pixel_name(9, (8, 8)) == "2x2"


def test_mnist_5k_summary(mnist_5k):
    summary = describe(mnist_5k, top_k=5)
    assert summary["samples"] == 5000 and summary["features"] == 784 and summary["image_shape"] == [28, 28]
    assert [c["count"] for c in summary["class_balance"]] == [500] * 10
    assert all(c["share"] == 0.1 for c in summary["class_balance"])
    assert summary["classes"] == list(range(10)) and summary["value_range"] == [0, 255]
    constant = summary["constant_pixels"]["count"]
    assert 0 < constant < 784 and summary["correlation"]["undefined"] == constant
    top = summary["correlation"]["top"]
    assert len(top) == 5 and all(t["pixel"] == pixel_name(t["index"], (28, 28)) for t in top)
    assert [abs(t["r"]) for t in top] == sorted((abs(t["r"]) for t in top), reverse=True)
    json.dumps(summary, allow_nan=False)  # raises on NaN or non-JSON values


def test_constant_pixels_have_nan_correlations(mnist_5k):
    mask = constant_mask(mnist_5k)
    r = correlations(mnist_5k)
    assert mask[0] and mask[783]  # the corners are blank in every image
    assert np.array_equal(np.isnan(r), mask)
    assert np.all(np.abs(r[~mask]) <= 1)


def test_correlations_match_numpy_corrcoef():
    rng = np.random.default_rng(0)
    y = np.arange(40, dtype=np.int64) % 10
    x = np.stack([y * 20 + rng.integers(0, 5, 40), rng.integers(0, 256, 40), np.full(40, 9), 255 - y * 3], axis=1)
    raw = RawDataset(name="t", x=x.astype(np.uint8), y=y, image_shape=(2, 2))
    r = correlations(raw)
    expected = [np.corrcoef(x[:, j], y)[0, 1] for j in (0, 1, 3)]
    assert np.allclose(r[[0, 1, 3]], expected) and np.isnan(r[2])
    assert r[3] == pytest.approx(-1.0)


def test_mean_images_per_class():
    x = np.array([[0, 2, 4, 6], [2, 2, 2, 2], [10, 10, 10, 10]], dtype=np.uint8)
    raw = RawDataset(name="t", x=x, y=np.array([1, 1, 4]), image_shape=(2, 2))
    images = mean_images(raw)
    assert images.shape == (10, 2, 2)
    assert images[1].tolist() == [[1, 2], [3, 4]] and images[4].tolist() == [[10, 10], [10, 10]]
    assert np.isnan(images[0]).all()


def test_official_test_split_is_included():
    x = np.zeros((10, 4), dtype=np.uint8)
    raw = RawDataset(name="t", x=x, y=np.arange(10), image_shape=(2, 2), test_x=x[:3] + 1, test_y=np.arange(3))
    summary = describe(raw)
    assert summary["samples"] == 13 and summary["splits"] == {"train_pool": 10, "official_test": 3}
    assert [c["count"] for c in summary["class_balance"]][:4] == [2, 2, 2, 1]
    assert summary["constant_pixels"]["count"] == 0  # the test images differ from the training ones
