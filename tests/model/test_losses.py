"""Softmax and cross-entropy stay finite and exact for extreme logits; the fused gradient is a - y."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from model.nn.losses import cross_entropy, softmax, softmax_cross_entropy, softmax_cross_entropy_grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_give_finite_exact_losses_and_gradients(dtype: type) -> None:
    z = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    y = np.array([0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or divide-by-zero warnings either
        losses = softmax_cross_entropy(z, y)
        grad = softmax_cross_entropy_grad(z, y)
    np.testing.assert_allclose(losses, [0.0, 2e4, np.log(3.0)], rtol=1e-6)
    expected = [[0.0, 0.0, 0.0], [1.0, -1.0, 0.0], [1 / 3, 1 / 3, -2 / 3]]
    np.testing.assert_allclose(grad, expected, atol=1e-6)


def test_matches_the_naive_formula_for_moderate_logits() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(0.0, 3.0, size=(8, 5))
    y = rng.integers(0, 5, size=8)
    naive = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert cross_entropy(z, y) == pytest.approx(-np.log(naive[np.arange(8), y]).mean(), rel=1e-12)
    np.testing.assert_allclose(softmax(z.copy()), naive, rtol=1e-12)


def test_gradient_is_probabilities_minus_one_hot_scaled() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(4, 3))
    y = np.array([2, 0, 1, 1])
    probs = softmax(z.copy())
    grad = softmax_cross_entropy_grad(probs.copy(), y, scale=0.25)
    np.testing.assert_allclose(grad, (probs - np.eye(3)[y]) * 0.25)


def test_cross_entropy_leaves_its_input_alone() -> None:
    z = np.array([[1.0, 2.0]])
    cross_entropy(z, np.array([1]))
    np.testing.assert_array_equal(z, [[1.0, 2.0]])
