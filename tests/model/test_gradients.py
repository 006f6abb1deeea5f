"""Backpropagation (BP1-BP4) against central finite differences of the objective, in float64."""

from __future__ import annotations

import numpy as np
import pytest

from model.config import ACTIVATIONS
from model.nn.init import init_network
from model.nn.losses import softmax_cross_entropy
from model.nn.network import MLP, l2_penalty

N_IN, WIDTH, N_OUT, BATCH = 6, 5, 3, 4


def objective(net: MLP, x: np.ndarray, y: np.ndarray, l2: float, dropout: float, seed: int) -> float:
    """Batch-mean cross-entropy + l2 penalty, with the same dropout masks on every call."""
    logits = net.forward(x, dropout=dropout, rng=np.random.default_rng(seed))
    return float(softmax_cross_entropy(logits.copy(), y).mean()) + l2_penalty(net.weights, l2)


def numeric_gradient(net: MLP, param: np.ndarray, loss, eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(param)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + eps
        up = loss()
        param[index] = saved - eps
        down = loss()
        param[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def check(activation: str, depth: int, l2: float, dropout: float = 0.0) -> None:
    rng = np.random.default_rng(depth)
    sizes = [N_IN, *([WIDTH] * depth), N_OUT]
    weights, biases = init_network(sizes, activation, rng, np.dtype(np.float64))
    biases = [rng.normal(0.0, 0.1, size=b.shape) for b in biases]  # non-zero, so BP3 is really exercised
    net = MLP(weights, biases, activation, max_batch=BATCH)
    x = rng.normal(size=(BATCH, N_IN))
    y = rng.integers(0, N_OUT, size=BATCH)

    net.train_batch(x, y, l2=l2, dropout=dropout, rng=np.random.default_rng(7))
    analytic = [g.copy() for g in net.grads]
    for param, grad in zip(net.params, analytic, strict=True):
        numeric = numeric_gradient(net, param, lambda: objective(net, x, y, l2, dropout, seed=7))
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("depth", [1, 2, 5])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_backprop_matches_finite_differences(activation: str, depth: int, l2: float) -> None:
    check(activation, depth, l2)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_backprop_through_dropout_matches_finite_differences(activation: str) -> None:
    check(activation, depth=2, l2=0.1, dropout=0.4)


def test_gradient_check_catches_a_wrong_gradient() -> None:
    """The check itself can fail: a sign error in one gradient is reported."""
    rng = np.random.default_rng(0)
    weights, biases = init_network([N_IN, WIDTH, N_OUT], "tanh", rng, np.dtype(np.float64))
    net = MLP(weights, biases, "tanh", max_batch=BATCH)
    x, y = rng.normal(size=(BATCH, N_IN)), rng.integers(0, N_OUT, size=BATCH)
    net.train_batch(x, y)
    wrong = -net.grad_weights[0]
    numeric = numeric_gradient(net, net.weights[0], lambda: objective(net, x, y, 0.0, 0.0, seed=0))
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(wrong, numeric, rtol=1e-5, atol=1e-8)


def test_grad_scale_multiplies_every_gradient_including_the_l2_term() -> None:
    rng = np.random.default_rng(3)
    weights, biases = init_network([N_IN, WIDTH, WIDTH, N_OUT], "relu", rng, np.dtype(np.float64))
    net = MLP(weights, biases, "relu", max_batch=BATCH)
    x, y = rng.normal(size=(BATCH, N_IN)), rng.integers(0, N_OUT, size=BATCH)
    net.train_batch(x, y, l2=0.2)
    plain = [g.copy() for g in net.grads]
    net.train_batch(x, y, l2=0.2, grad_scale=0.05)
    for scaled, unscaled in zip(net.grads, plain, strict=True):
        np.testing.assert_allclose(scaled, 0.05 * unscaled, rtol=1e-12)
