"""The numpy engine end to end on synthetic blobs: learning, divergence, cancel, early stopping, dtypes."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from model.config import ENGINES
from model.data.types import Split
from model.engine_numpy import NumpyRunner
from model.inference import evaluate
from model.result import CANCELLED, COMPLETED, DIVERGED, EpochProgress
from model.train import RUNNERS, runner_class, train
from model.weights_io import weights_from_npz_bytes, weights_to_npz_bytes

from .conftest import blobs, small_config


def test_learns_separable_blobs_and_reports_consistent_metrics(data) -> None:
    result = train(small_config(epochs=8), data)
    assert result.status == COMPLETED and result.message == ""
    assert [m.epoch for m in result.history] == list(range(1, 9))
    assert result.history[-1].train_loss < result.history[0].train_loss
    assert result.test_acc is not None and result.test_acc > 0.95
    assert result.best_epoch == 8
    assert result.confusion is not None and result.confusion.dtype == np.int64
    assert result.confusion.sum() == len(data.test)
    assert np.trace(result.confusion) == round(result.test_acc * len(data.test))
    assert set(result.weights) == {"W1", "W2", "W3", "b1", "b2", "b3", "norm_mean", "norm_std"}
    assert result.weights["W1"].shape == (16, 16) and result.weights["W1"].dtype == np.float32


def test_inference_on_stored_weights_matches_the_final_test_metrics(data) -> None:
    config = small_config(optimizer="adam", learning_rate=0.01, dropout=0.2)
    result = train(config, data)
    stored = weights_from_npz_bytes(weights_to_npz_bytes(result.weights))
    again = evaluate(stored, config.activation, data.test.x, data.test.y)
    assert again.loss == result.test_loss and again.acc == result.test_acc
    np.testing.assert_array_equal(again.confusion, result.confusion)


def test_overfits_64_samples_to_full_training_accuracy() -> None:
    data = blobs(n_train=64, spread=8.0)  # overlapping classes: only memorisation gets all 64 right
    config = small_config(hidden=(64, 64), optimizer="adam", learning_rate=0.01, epochs=150)
    result = train(config, data)
    assert result.train_acc == 1.0
    assert result.test_acc is not None and result.test_acc < 1.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_honoured(data, dtype: str) -> None:
    result = train(small_config(dtype=dtype, epochs=2), data)
    assert all(result.weights[k].dtype == np.dtype(dtype) for k in ("W1", "b1", "W3"))


def test_diverging_run_returns_status_without_raising(data) -> None:
    """leaky ReLU + momentum at lr 1 is finite for one epoch, then overflows to NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings leak either
        result = train(small_config(activation="leaky_relu", optimizer="momentum", learning_rate=1.0), data)
    assert result.status == DIVERGED
    assert "epoch 2" in result.message and "nan" in result.message
    assert len(result.history) == 1 and result.best_epoch == 1
    assert all(np.all(np.isfinite(w)) for w in result.weights.values())  # the last finite epoch's weights
    assert result.test_acc is not None


def test_divergence_in_the_first_epoch_leaves_no_metrics(data) -> None:
    result = train(small_config(activation="leaky_relu", optimizer="sgd", learning_rate=10.0), data)
    assert result.status == DIVERGED and "epoch 1" in result.message
    assert result.history == () and result.best_epoch is None
    assert result.test_acc is None and result.confusion is None


def test_callback_returning_false_cancels_with_partial_history(data) -> None:
    seen: list[EpochProgress] = []

    def stop_after_three(progress: EpochProgress) -> bool:
        seen.append(progress)
        return progress.metrics.epoch < 3

    result = train(small_config(epochs=10), data, on_epoch=stop_after_three)
    assert result.status == CANCELLED and "after epoch 3" in result.message
    assert [m.epoch for m in result.history] == [1, 2, 3] == [p.metrics.epoch for p in seen]
    assert result.test_acc is not None
    with pytest.raises(RuntimeError, match="inside the on_epoch callback"):
        seen[0].snapshot()


def test_early_stopping_restores_the_best_epoch(data) -> None:
    rng = np.random.default_rng(5)
    noisy_val = Split(x=data.val.x, y=rng.integers(0, 3, size=len(data.val)))  # val loss rises as train fits
    data = dataclasses.replace(data, val=noisy_val)
    weights_by_epoch: dict[int, np.ndarray] = {}

    def record(progress: EpochProgress) -> None:
        weights_by_epoch[progress.metrics.epoch] = progress.snapshot()["engine.W1"]

    result = train(small_config(epochs=40, patience=3), data, on_epoch=record)
    val_losses = [m.val_loss for m in result.history]
    best = int(np.argmin(val_losses)) + 1
    assert result.status == COMPLETED and "early stopping" in result.message
    assert result.best_epoch == best and len(result.history) == best + 3 < 40
    np.testing.assert_array_equal(result.weights["W1"], weights_by_epoch[best])
    assert result.val_loss == pytest.approx(val_losses[best - 1], rel=1e-6)


def test_no_validation_split_gives_none_val_metrics() -> None:
    result = train(small_config(val_fraction=0.0, epochs=2), blobs(n_val=0))
    assert all(m.val_loss is None and m.val_acc is None for m in result.history)
    assert result.val_loss is None and result.test_loss is not None


def test_every_engine_has_one_runner_and_an_unknown_engine_is_refused(data) -> None:
    assert tuple(RUNNERS) == ENGINES
    assert runner_class("numpy") is NumpyRunner
    hand_built = dataclasses.replace(small_config(), engine="torch")  # skips TrainConfig.validate
    with pytest.raises(ValueError, match="unknown engine 'torch'"):
        train(hand_built, data)
