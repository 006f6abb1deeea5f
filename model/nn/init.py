"""Initial weights: He for the ReLU family, Xavier/Glorot for tanh and sigmoid, zero biases.

Both keep the variance of the activations roughly constant from layer to layer, so deep stacks (the seed's five
hidden layers) start training instead of vanishing or exploding.
"""

from __future__ import annotations

import numpy as np

HE = ("relu", "leaky_relu")  # He et al. 2015: N(0, 2 / fan_in), for units that zero half their inputs
GLOROT = ("tanh", "sigmoid")  # Glorot & Bengio 2010: U(-r, r), r = sqrt(6 / (fan_in + fan_out))


def init_layer(
    fan_in: int, fan_out: int, activation: str, rng: np.random.Generator, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """One layer's weights (fan_in, fan_out) and zero biases (fan_out,), drawn from `rng`."""
    if activation in HE:
        weights = rng.standard_normal((fan_in, fan_out), dtype=np.float64) * np.sqrt(2.0 / fan_in)
    elif activation in GLOROT:
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        weights = rng.uniform(-bound, bound, size=(fan_in, fan_out))
    else:
        raise ValueError(f"activation {activation!r}: expected one of {', '.join(HE + GLOROT)}")
    return weights.astype(dtype), np.zeros(fan_out, dtype=dtype)


def init_network(
    sizes: list[int], activation: str, rng: np.random.Generator, dtype: np.dtype
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights and biases for layer sizes [n_in, hidden..., n_out]; the output layer uses the same rule."""
    layers = [init_layer(n_in, n_out, activation, rng, dtype) for n_in, n_out in zip(sizes, sizes[1:], strict=False)]
    return [w for w, _ in layers], [b for _, b in layers]
