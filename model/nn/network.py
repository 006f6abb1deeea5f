"""The multilayer perceptron: forward pass, softmax cross-entropy and backpropagation (BP1-BP4) in matrix form.

Notation follows the seed report with samples as rows: for layer l = 1..L, Z_l = A_{l-1} @ W_l + b_l and
A_l = f(Z_l), with A_0 the input batch, f the hidden activation and softmax on the output layer. W_l is
(fan_in, fan_out), b_l is (fan_out,), a batch is (B, n_features). The Python lists are 0-based: `weights[0]` is W_1.

All intermediate arrays live in buffers allocated once for `max_batch` rows; a smaller batch uses their first rows,
so a training step allocates (almost) nothing. The parameters live in one flat buffer (W_1..W_L, then b_1..b_L),
and so do their gradients, so the L2 term and an optimiser's update are a few whole-buffer passes, not a few
per array: on small batches the per-call overhead of NumPy is a large part of a step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.nn.activations import ACTIVATIONS, DERIVATIVES
from model.nn.losses import softmax_cross_entropy, softmax_cross_entropy_grad


class MLP:
    """Hidden layers with one activation, then a softmax output.

    Copies the `weights`/`biases` it is given into `flat_params`, (n_params,); `weights`, `biases` and
    `params` are views of it, and `grad_weights`, `grad_biases` and `grads` views of `flat_grads`, in the same
    layout. An optimiser may update either the flat buffer or the per-array views, in place.
    """

    def __init__(
        self, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], activation: str, *, max_batch: int
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation {activation!r}: expected one of {', '.join(ACTIVATIONS)}")
        given = [*weights, *biases]
        dtype = given[0].dtype
        self.flat_params = np.empty(sum(a.size for a in given), dtype)  # (n_params,)
        self.flat_grads = np.empty_like(self.flat_params)  # (n_params,), filled by `backward`
        self.params = _views(self.flat_params, [a.shape for a in given])  # [W_1..W_L, b_1..b_L]
        self.grads = _views(self.flat_grads, [a.shape for a in given])  # their gradients, same order
        for view, array in zip(self.params, given, strict=True):
            view[...] = array
        layers = len(weights)
        self.weights, self.biases = self.params[:layers], self.params[layers:]
        self.grad_weights, self.grad_biases = self.grads[:layers], self.grads[layers:]
        self.n_weight_values = sum(w.size for w in self.weights)  # flat[:n_weight_values] is all of W_1..W_L
        self._l2_term = np.empty(0, dtype)  # l2 * W_1..W_L, allocated on first use
        self.activation = activation
        self._f, self._df = ACTIVATIONS[activation], DERIVATIVES[activation]
        self.max_batch = max_batch
        widths = [w.shape[1] for w in self.weights]
        self._out = [np.empty((max_batch, n), dtype) for n in widths]  # A_l (hidden) and logits/probs (last)
        self._mask: list[np.ndarray] = []  # dropout keep mask / (1 - p), allocated on first use
        self._dropped: list[np.ndarray] = []  # A_l * mask, likewise
        self._delta = [np.empty((max_batch, n), dtype) for n in widths[:-1]]  # dC/dZ_l of hidden layers
        self._inputs: list[np.ndarray] = []  # A_{l-1} as fed to each layer by the last forward pass
        self._dropout = 0.0
        self._ones = np.ones(max_batch, dtype)  # sums over the batch as a BLAS product (BP3)

    def forward(
        self, x: np.ndarray, *, dropout: float = 0.0, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """(B, n_in) inputs -> (B, n_out) logits, a view into a buffer that the next call overwrites.

        With `dropout` > 0 each hidden unit is zeroed with that probability (masks drawn from `rng`) and the
        survivors scaled by 1 / (1 - dropout) ("inverted" dropout), so inference needs no rescaling.
        """
        rows = x.shape[0]
        if rows > self.max_batch:
            raise ValueError(f"batch of {rows} rows exceeds max_batch = {self.max_batch}")
        self._dropout = dropout
        self._inputs = []
        a = x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            self._inputs.append(a)
            z = self._out[i][:rows]
            np.matmul(a, w, out=z)  # (B, n_in) @ (n_in, n_out) -> (B, n_out)
            z += b  # (n_out,) broadcast over the rows
            if i == last:
                return z
            self._f(z)  # A_l = f(Z_l), in place
            a = self._drop(i, z, dropout, rng) if dropout > 0.0 else z
        raise AssertionError("unreachable: the network has at least one layer")

    def _drop(self, i: int, a: np.ndarray, p: float, rng: np.random.Generator | None) -> np.ndarray:
        if rng is None:
            raise ValueError("dropout needs a random generator")
        if not self._mask:
            self._mask = [np.empty_like(buffer) for buffer in self._out[:-1]]
            self._dropped = [np.empty_like(buffer) for buffer in self._out[:-1]]
        mask = self._mask[i][: a.shape[0]]
        rng.random(out=mask, dtype=mask.dtype)  # uniform [0, 1)
        np.greater_equal(mask, p, out=mask, casting="unsafe")  # 1 keeps the unit, 0 drops it
        mask *= 1.0 / (1.0 - p)
        return np.multiply(a, mask, out=self._dropped[i][: a.shape[0]])

    def backward(self, delta: np.ndarray, *, l2: float = 0.0) -> None:
        """Backpropagate dC/dZ_L (B, n_out) from the last forward pass into `grad_weights`/`grad_biases`.

        `delta` is overwritten. With `l2` > 0, l2 * W is added to each weight gradient (the gradient of
        l2/2 * sum(W**2); biases are not penalised).
        """
        rows = delta.shape[0]
        for i in range(len(self.weights) - 1, -1, -1):
            a_prev = self._inputs[i]
            np.matmul(a_prev.T, delta, out=self.grad_weights[i])  # BP4: (n_in, B) @ (B, n_out) -> (n_in, n_out)
            np.matmul(self._ones[:rows], delta, out=self.grad_biases[i])  # BP3: (B,) @ (B, n_out) -> (n_out,)
            if i == 0:
                break  # the input needs no gradient
            back = self._delta[i - 1][:rows]
            np.matmul(delta, self.weights[i].T, out=back)  # BP2: (B, n_out) @ (n_out, n_in) -> (B, n_in)
            if self._dropout > 0.0:
                back *= self._mask[i - 1][:rows]  # through the dropout: dropped units pass no gradient
            self._df(self._out[i - 1][:rows], back)  # ... (.) f'(Z_{l-1})
            delta = back
        if l2 > 0.0:  # + l2 * W for every weight matrix at once: they are the first n_weight_values of the buffer
            if self._l2_term.size == 0:
                self._l2_term = np.empty(self.n_weight_values, self.flat_params.dtype)
            np.multiply(self.flat_params[: self.n_weight_values], l2, out=self._l2_term)
            self.flat_grads[: self.n_weight_values] += self._l2_term

    def train_batch(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        l2: float = 0.0,
        dropout: float = 0.0,
        rng: np.random.Generator | None = None,
        grad_scale: float = 1.0,
    ) -> tuple[float, int]:
        """Forward and backward for the batch mean cross-entropy + l2/2 * sum(W**2); `grads` then holds
        `grad_scale` times its gradient (backpropagation is linear in the output delta, so scaling that
        (B, n_out) array scales every gradient for free).

        Returns the batch's summed cross-entropy (without the penalty) and its number of correct predictions,
        from this very forward pass, so the epoch's training curve costs no extra pass.
        """
        logits = self.forward(x, dropout=dropout, rng=rng)
        predicted = logits.argmax(axis=1)
        losses = softmax_cross_entropy(logits, y)  # logits now hold the probabilities A_L
        delta = softmax_cross_entropy_grad(logits, y, scale=grad_scale / x.shape[0])  # BP1: (A_L - Y) / B
        self.backward(delta, l2=l2 * grad_scale)
        return float(losses.sum()), int(np.count_nonzero(predicted == y))

    def predict_logits(self, x: np.ndarray) -> np.ndarray:
        """(n, n_in) -> (n, n_out) logits (a fresh array), in chunks of at most `max_batch` rows."""
        out = np.empty((x.shape[0], self.weights[-1].shape[1]), dtype=self.weights[0].dtype)
        for start in range(0, x.shape[0], self.max_batch):
            out[start : start + self.max_batch] = self.forward(x[start : start + self.max_batch])
        return out


def _views(flat: np.ndarray, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    """Consecutive views of the 1-D `flat`, one per shape, in order."""
    views, offset = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        views.append(flat[offset : offset + size].reshape(shape))
        offset += size
    return views


def l2_penalty(weights: Sequence[np.ndarray], l2: float) -> float:
    """l2/2 * sum of squared weights over all weight matrices (biases are not penalised)."""
    return 0.5 * l2 * float(sum(np.vdot(w, w) for w in weights))
