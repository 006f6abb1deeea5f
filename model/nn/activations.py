"""Hidden-layer activations and their derivatives, in place, collected in dicts (as scikit-learn's `_base.py`).

`ACTIVATIONS[name](z)` overwrites the pre-activation `z` with `f(z)`. `DERIVATIVES[name](a, delta)` multiplies
`delta` in place by `f'(z)`, computed from the *activated* output `a = f(z)`, so the forward pass never has to keep
`z`: relu' = [a > 0], leaky_relu' = 1 or 0.01 by the sign of `a` (the sign survives the slope), tanh' = 1 - a**2,
sigmoid' = a * (1 - a). Both work on any shape; the network passes (B, width).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LEAKY_SLOPE = 0.01


def relu(z: np.ndarray) -> None:
    np.maximum(z, 0, out=z)


def leaky_relu(z: np.ndarray) -> None:
    np.maximum(z, LEAKY_SLOPE * z, out=z)


def tanh(z: np.ndarray) -> None:
    np.tanh(z, out=z)


def sigmoid(z: np.ndarray) -> None:
    # 1 / (1 + e**-z) written through tanh: the same function without exp overflow for large |z|.
    z *= 0.5
    np.tanh(z, out=z)
    z += 1.0
    z *= 0.5


def relu_derivative(a: np.ndarray, delta: np.ndarray) -> None:
    np.multiply(delta, a > 0, out=delta)


def leaky_relu_derivative(a: np.ndarray, delta: np.ndarray) -> None:
    slope = (a > 0).astype(a.dtype)  # 1 where a > 0, else 0 ...
    slope *= 1.0 - LEAKY_SLOPE
    slope += LEAKY_SLOPE  # ... now 1 or LEAKY_SLOPE (a boolean-mask update is ~10x slower)
    delta *= slope


def tanh_derivative(a: np.ndarray, delta: np.ndarray) -> None:
    delta *= 1.0 - a * a


def sigmoid_derivative(a: np.ndarray, delta: np.ndarray) -> None:
    delta *= a * (1.0 - a)


ACTIVATIONS: dict[str, Callable[[np.ndarray], None]] = {
    "relu": relu,
    "leaky_relu": leaky_relu,
    "tanh": tanh,
    "sigmoid": sigmoid,
}

DERIVATIVES: dict[str, Callable[[np.ndarray, np.ndarray], None]] = {
    "relu": relu_derivative,
    "leaky_relu": leaky_relu_derivative,
    "tanh": tanh_derivative,
    "sigmoid": sigmoid_derivative,
}
