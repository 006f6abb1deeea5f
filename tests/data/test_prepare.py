"""prepare(TrainConfig) end to end, and one_hot."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import DataError
from model.config import TrainConfig
from model.data.labels import one_hot
from model.data.normalize import MAX_ABS_Z
from model.data.prepare import prepare


def test_default_config_prepares_mnist_5k():
    data = prepare(TrainConfig())
    assert data.spec == "mnist-5k" and data.image_shape == (28, 28) and data.n_classes == 10
    assert (len(data.train), len(data.val), len(data.test)) == (3600, 400, 1000)
    assert data.train.x.shape == (3600, 784) and data.train.x.dtype == np.float32
    assert data.train.y.dtype == np.int64 and np.bincount(data.test.y).tolist() == [100] * 10
    assert np.isfinite(data.train.x).all() and np.abs(data.test.x).max() <= MAX_ABS_Z
    assert np.allclose(data.train.x.mean(axis=0), 0, atol=1e-4)  # statistics come from the train split


def test_normalize_reproduces_the_train_split():
    data = prepare(TrainConfig(seed=1, val_fraction=0.0, dtype="float64"))
    assert data.val is None and len(data.train) == 4000 and data.train.x.dtype == np.float64
    raw_row = data.norm_mean + data.train.x[:1] * data.norm_std
    assert np.allclose(data.normalize(raw_row), data.train.x[:1])


def test_csv_dataset_with_label_column(write_csv, csv_text):
    path = write_csv(csv_text(n=50, side=3, label_first=False))
    data = prepare(TrainConfig(dataset=f"csv:{path}", label_column="label", val_fraction=0.2, test_fraction=0.2))
    assert data.image_shape == (3, 3) and data.n_features == 9
    assert (len(data.train), len(data.val), len(data.test)) == (32, 8, 10)  # val = 20% of the 40-sample pool


def test_bad_spec_is_a_data_error():
    with pytest.raises(DataError, match=r"unknown dataset 'fashion': .*\(did you mean 'fashion-mnist'\?\)"):
        prepare(TrainConfig(dataset="fashion"))


def test_one_hot():
    assert one_hot(np.array([3, 0])).tolist() == [[0, 0, 0, 1, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]]
    assert one_hot(np.array([1]), 3, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="labels must be in 0..2"):
        one_hot(np.array([3]), 3)
