"""Prediction and evaluation from a weights dict, for either engine and for stored models.

The dict maps "W1".."WL" to (fan_in, fan_out) arrays and "b1".."bL" to (fan_out,) arrays (other keys, such as
"norm_mean"/"norm_std", are ignored). scikit-learn's `coefs_`/`intercepts_` have exactly this layout. Inputs must
already be normalised like the training data. Work is done in chunks of `batch_size` rows to bound memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.errors import DataError
from model.nn.losses import softmax, softmax_cross_entropy
from model.nn.network import MLP

BATCH_SIZE = 2048


@dataclass(frozen=True)
class Evaluation:
    """Metrics of one split: mean cross-entropy (nats), accuracy in [0, 1], confusion (k, k) int64 with rows
    the true class and columns the predicted one."""

    loss: float
    acc: float
    confusion: np.ndarray


def layers(weights: Mapping[str, np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """([W1..WL], [b1..bL]) from a weights dict, checked to chain: W_l is (n_{l-1}, n_l) and b_l is (n_l,)."""
    ws: list[np.ndarray] = []
    bs: list[np.ndarray] = []
    while f"W{len(ws) + 1}" in weights:
        i = len(ws) + 1
        if f"b{i}" not in weights:
            raise DataError(f"weights: W{i} has no matching b{i}")
        w, b = np.asarray(weights[f"W{i}"]), np.asarray(weights[f"b{i}"])
        if w.ndim != 2 or b.shape != (w.shape[1],) or (ws and ws[-1].shape[1] != w.shape[0]):
            previous = f", W{i - 1} is {ws[-1].shape}" if ws else ""
            raise DataError(f"weights: W{i} {w.shape} and b{i} {b.shape} do not chain{previous}")
        ws.append(w)
        bs.append(b.astype(w.dtype, copy=False))
    if not ws:
        raise DataError(f"weights: no 'W1' among the keys {sorted(weights)}")
    return ws, bs


def _network(weights: Mapping[str, np.ndarray], activation: str, n_rows: int, batch_size: int) -> MLP:
    ws, bs = layers(weights)
    return MLP(ws, bs, activation, max_batch=max(1, min(n_rows, batch_size)))


def predict_proba(
    weights: Mapping[str, np.ndarray], activation: str, x: np.ndarray, *, batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """(n, n_features) normalised inputs -> (n, n_classes) class probabilities."""
    net = _network(weights, activation, x.shape[0], batch_size)
    return softmax(net.predict_logits(x.astype(net.weights[0].dtype, copy=False)))


def evaluate(
    weights: Mapping[str, np.ndarray],
    activation: str,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int = BATCH_SIZE,
) -> Evaluation:
    """Loss, accuracy and confusion matrix of the network on (n, n_features) inputs with (n,) integer labels."""
    n = y.shape[0]
    if n == 0 or x.shape[0] != n:
        raise ValueError(f"evaluate: need matching non-empty inputs and labels, got {x.shape} and {y.shape}")
    net = _network(weights, activation, n, batch_size)
    k = net.weights[-1].shape[1]
    if y.min() < 0 or y.max() >= k:
        raise ValueError(f"evaluate: labels must lie in [0, {k}), got {y.min()}..{y.max()}")
    x = x.astype(net.weights[0].dtype, copy=False)
    total_loss = 0.0
    predicted = np.empty(n, dtype=np.int64)
    for start in range(0, n, net.max_batch):
        stop = start + net.max_batch
        logits = net.forward(x[start:stop])
        predicted[start:stop] = logits.argmax(axis=1)
        total_loss += float(softmax_cross_entropy(logits, y[start:stop]).sum())
    confusion = np.bincount(y.astype(np.int64) * k + predicted, minlength=k * k).reshape(k, k)
    return Evaluation(loss=total_loss / n, acc=float(np.mean(predicted == y)), confusion=confusion)
