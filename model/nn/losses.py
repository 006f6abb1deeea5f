"""Softmax output, cross-entropy loss and their fused gradient, computed stably from the logits.

Logits `z` are (B, k), labels `y` are (B,) integers in [0, k). Every function subtracts the row maximum before
exponentiating (log-sum-exp), so logits of any magnitude give finite probabilities and losses.
"""

from __future__ import annotations

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    """(B, k) logits -> (B, k) probabilities, overwriting `z`. Returns `z`."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy -log softmax(z)[y], (B,); turns `z` into the (B, k) probabilities in place.

    -log a_y = log(sum_j e**z_j) - z_y, evaluated after shifting by the row maximum, so it is finite even for
    logits of +-1e4, where a naive log(softmax) would give log(0).
    """
    rows = np.arange(z.shape[0])
    z -= z.max(axis=1, keepdims=True)
    picked = z[rows, y]  # shifted logit of the true class, (B,)
    np.exp(z, out=z)
    total = z.sum(axis=1)  # (B,), at least 1 because the maximum contributes e**0
    z /= total[:, None]
    return np.log(total) - picked


def cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy (nats) of (B, k) logits against (B,) labels; `z` is left untouched."""
    return float(softmax_cross_entropy(z.copy(), y).mean())


def softmax_cross_entropy_grad(probs: np.ndarray, y: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Gradient of the cross-entropy with respect to the logits, times `scale`, overwriting `probs`. (B, k).

    For softmax followed by cross-entropy, d(CE o softmax)/dz = a - y (the seed report's derivation), so the
    output delta needs no softmax Jacobian: subtract the one-hot labels from the probabilities.
    `scale = 1/B` turns the per-sample gradients into those of the batch mean.
    """
    probs[np.arange(probs.shape[0]), y] -= 1.0
    if scale != 1.0:
        probs *= scale
    return probs
