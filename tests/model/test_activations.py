"""Activations work in place and agree with their textbook formulas, even far from zero."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from model.nn.activations import ACTIVATIONS, DERIVATIVES

Z = np.array([-1000.0, -3.0, -0.5, 0.5, 3.0, 1000.0])
EXPECTED = {
    "relu": np.maximum(Z, 0.0),
    "leaky_relu": np.where(Z > 0, Z, 0.01 * Z),
    "tanh": np.tanh(Z),
    "sigmoid": np.array([0.0, *(1 / (1 + np.exp(-Z[1:5]))), 1.0]),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_in_place_matches_formula(name: str) -> None:
    z = Z.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ACTIVATIONS[name](z) is None
    np.testing.assert_allclose(z, EXPECTED[name], rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_derivative_from_the_output_matches_finite_differences(name: str) -> None:
    z = Z[1:5].copy()  # away from the ReLU kink and from saturation
    a = z.copy()
    ACTIVATIONS[name](a)
    delta = np.ones_like(z)
    DERIVATIVES[name](a, delta)
    eps = 1e-6
    up, down = z + eps, z - eps
    ACTIVATIONS[name](up)
    ACTIVATIONS[name](down)
    np.testing.assert_allclose(delta, (up - down) / (2 * eps), rtol=1e-6)
