"""The shared loop with a scripted engine: it drives any `EpochRunner`, not just the numpy one."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from model.loop import run_training
from model.result import CANCELLED, DIVERGED, EpochProgress

from .conftest import blobs, small_config


class ScriptedRunner:
    """A linear 'network' whose epochs report scripted losses; records what the loop asks of it."""

    def __init__(self, losses: list[float], n_features: int = 16, n_classes: int = 3) -> None:
        self.losses = losses
        self.epochs_run: list[int] = []
        self.restored: list[str] = []
        self.w = np.zeros((n_features, n_classes))
        self.b = np.zeros(n_classes)

    def run_epoch(self, epoch: int) -> tuple[float, float]:
        self.epochs_run.append(epoch)
        self.b[epoch % len(self.b)] += 1.0
        return self.losses[epoch], 0.5

    def weights(self) -> dict[str, np.ndarray]:
        return {"W1": self.w, "b1": self.b}

    def snapshot_state(self) -> dict[str, np.ndarray]:
        return {"b1": self.b.copy()}

    def restore_state(self, state: Mapping[str, np.ndarray]) -> None:
        self.restored = sorted(state)
        np.copyto(self.b, state["b1"])


def test_runs_every_epoch_in_order_and_evaluates_the_runners_weights() -> None:
    data = blobs()
    runner = ScriptedRunner([1.0, 0.9, 0.8])
    result = run_training(small_config(epochs=3), data, runner)
    assert runner.epochs_run == [0, 1, 2]
    assert [m.train_loss for m in result.history] == [1.0, 0.9, 0.8]
    np.testing.assert_array_equal(result.weights["b1"], [1.0, 1.0, 1.0])
    assert result.history[-1].val_loss == np.log(3.0)  # equal logits: uniform probabilities


def test_a_non_finite_epoch_loss_means_diverged() -> None:
    result = run_training(small_config(epochs=5), blobs(), ScriptedRunner([1.0, float("inf"), 0.5, 0.5, 0.5]))
    assert result.status == DIVERGED
    assert result.message.startswith("diverged: train loss became inf in epoch 2")
    np.testing.assert_array_equal(result.weights["b1"], [1.0, 0.0, 0.0])  # epoch 1's weights, not epoch 2's


def test_resume_hands_the_engine_its_own_state_and_continues_at_the_next_epoch() -> None:
    data, config = blobs(), small_config(epochs=4)
    snapshots: list[dict[str, np.ndarray]] = []

    def stop_at_two(progress: EpochProgress) -> bool:
        snapshots.append(progress.snapshot())
        return progress.metrics.epoch < 2

    assert run_training(config, data, ScriptedRunner([1.0] * 4), on_epoch=stop_at_two).status == CANCELLED
    runner = ScriptedRunner([1.0] * 4)
    result = run_training(config, data, runner, resume_from=snapshots[-1])
    assert runner.restored == ["b1"] and runner.epochs_run == [2, 3]
    assert [m.epoch for m in result.history] == [1, 2, 3, 4]
    np.testing.assert_array_equal(result.weights["b1"], [2.0, 1.0, 1.0])
