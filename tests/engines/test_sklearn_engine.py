"""The scikit-learn baseline: same history shape as numpy's, resumable, divergence caught, honest mapping."""

from __future__ import annotations

import numpy as np
import pytest

from model.config import TrainConfig
from model.data.prepare import prepare
from model.engine_sklearn import build_classifier
from model.result import COMPLETED, DIVERGED, EpochProgress
from model.train import train

SMALL = {"dataset": "digits", "hidden": [32, 16], "epochs": 4, "batch_size": 32}


def _config(**overrides: object) -> TrainConfig:
    return TrainConfig.from_dict({**SMALL, **overrides})


def test_history_matches_numpy_engine_in_length_and_keys() -> None:
    numpy_config = _config(engine="numpy", learning_rate=0.05)
    sklearn_config = _config(engine="sklearn", learning_rate=0.05)
    data = prepare(numpy_config)
    numpy_result = train(numpy_config, data)
    sklearn_result = train(sklearn_config, data)
    assert len(sklearn_result.history) == len(numpy_result.history) == 4
    numpy_rows = [m.to_dict() for m in numpy_result.history]
    sklearn_rows = [m.to_dict() for m in sklearn_result.history]
    assert [set(r) for r in sklearn_rows] == [set(r) for r in numpy_rows]
    assert all(r["val_loss"] is not None and r["val_acc"] is not None for r in sklearn_rows)
    assert sklearn_result.status == COMPLETED
    assert sklearn_result.confusion is not None and sklearn_result.confusion.sum() == len(data.test)
    assert set(sklearn_result.weights) == set(numpy_result.weights)  # same W1..WL, b1..bL, norm_* layout


def test_learns_digits_with_momentum() -> None:
    config = _config(engine="sklearn", optimizer="momentum", learning_rate=0.05, epochs=8)
    result = train(config, prepare(config))
    assert result.test_acc is not None and result.test_acc > 0.9
    assert result.history[-1].train_loss < result.history[0].train_loss


def test_epochs_shuffle_differently() -> None:
    """An int random_state would re-seed every partial_fit and repeat one epoch order forever."""
    config = _config(engine="sklearn")
    data = prepare(config)
    from model.engine_sklearn import SklearnRunner

    runner = SklearnRunner(config, data)
    runner.run_epoch(0)
    state_after_one = runner.random_state.get_state()[1].copy()
    runner.run_epoch(1)
    assert not np.array_equal(state_after_one, runner.random_state.get_state()[1])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_resume_from_snapshot_is_bitwise_identical(optimizer: str) -> None:
    lr = 0.001 if optimizer == "adam" else 0.05
    config = _config(engine="sklearn", optimizer=optimizer, learning_rate=lr, epochs=5)
    data = prepare(config)
    snapshots = {}

    def keep_epoch_2(progress: EpochProgress) -> None:
        if progress.metrics.epoch == 2:
            snapshots["epoch2"] = progress.snapshot()

    whole = train(config, data, on_epoch=keep_epoch_2)
    resumed = train(config, data, resume_from=snapshots["epoch2"])
    for name, array in whole.weights.items():
        assert np.array_equal(array, resumed.weights[name]), name
    strip = [(m.epoch, m.train_loss, m.train_acc, m.val_loss, m.val_acc) for m in whole.history]
    assert strip == [(m.epoch, m.train_loss, m.train_acc, m.val_loss, m.val_acc) for m in resumed.history]


def test_divergence_is_a_status_not_an_exception() -> None:
    config = _config(engine="sklearn", hidden=[512, 512], learning_rate=10.0, batch_size=200, epochs=3)
    result = train(config, prepare(config))
    assert result.status == DIVERGED
    assert "learning_rate" in result.message


def test_cancel_keeps_partial_history() -> None:
    config = _config(engine="sklearn", epochs=5)
    result = train(config, prepare(config), on_epoch=lambda p: p.metrics.epoch < 2)
    assert result.status == "cancelled"
    assert [m.epoch for m in result.history] == [1, 2]


def test_config_mapping_onto_mlpclassifier() -> None:
    config = _config(engine="sklearn", optimizer="momentum", nesterov=True, l2=1e-4, activation="sigmoid")
    clf = build_classifier(config, np.random.RandomState(0))
    params = clf.get_params()
    assert params["hidden_layer_sizes"] == (32, 16)
    assert params["activation"] == "logistic"
    assert params["solver"] == "sgd" and params["momentum"] == 0.9 and params["nesterovs_momentum"] is True
    assert params["alpha"] == pytest.approx(1e-4 * 32)  # same per-step decay l2 * W as the numpy engine
    plain = build_classifier(_config(engine="sklearn", optimizer="sgd"), np.random.RandomState(0))
    assert plain.get_params()["momentum"] == 0.0
