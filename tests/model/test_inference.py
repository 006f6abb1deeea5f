"""Prediction and evaluation from weight dicts, in either engine's layout."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import DataError
from model.inference import evaluate, layers, predict_proba


def two_layer(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 3)), "b2": np.zeros(3)}


def reference_probs(weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    hidden = np.tanh(x @ weights["W1"] + weights["b1"])
    logits = hidden @ weights["W2"] + weights["b2"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_predict_proba_matches_a_plain_forward_pass_for_any_chunk_size() -> None:
    weights, x = two_layer(), np.random.default_rng(1).normal(size=(11, 4))
    for batch_size in (1, 4, 100):
        probs = predict_proba(weights, "tanh", x, batch_size=batch_size)
        assert probs.shape == (11, 3)
        np.testing.assert_allclose(probs, reference_probs(weights, x), rtol=1e-12)


def test_evaluate_gives_loss_accuracy_and_a_rows_true_confusion_matrix() -> None:
    weights, x = two_layer(), np.random.default_rng(2).normal(size=(50, 4))
    probs = reference_probs(weights, x)
    predicted = probs.argmax(axis=1)
    y = np.where(np.arange(50) % 3 == 0, (predicted + 1) % 3, predicted)  # every third one wrong
    result = evaluate(weights, "tanh", x, y, batch_size=7)
    assert result.loss == pytest.approx(-np.log(probs[np.arange(50), y]).mean(), rel=1e-12)
    assert result.acc == pytest.approx(33 / 50)
    assert result.confusion.dtype == np.int64 and result.confusion.shape == (3, 3)
    assert result.confusion.sum() == 50 and np.trace(result.confusion) == 33
    np.testing.assert_array_equal(result.confusion.sum(axis=1), np.bincount(y, minlength=3))  # rows: true class
    np.testing.assert_array_equal(result.confusion.sum(axis=0), np.bincount(predicted, minlength=3))  # columns


def test_extra_keys_are_ignored_and_float32_weights_compute_in_float32() -> None:
    weights = {k: v.astype(np.float32) for k, v in two_layer().items()}
    weights["norm_mean"] = np.zeros(4)
    probs = predict_proba(weights, "tanh", np.ones((2, 4)))
    assert probs.dtype == np.float32


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"b1": np.zeros(5)}, "no 'W1'"),
        ({"W1": np.zeros((4, 5))}, "W1 has no matching b1"),
        ({"W1": np.zeros((4, 5)), "b1": np.zeros(4)}, r"W1 \(4, 5\) and b1 \(4,\) do not chain"),
        ({"W1": np.zeros((4, 5)), "b1": np.zeros(5), "W2": np.zeros((6, 3)), "b2": np.zeros(3)}, "W1 is"),
    ],
)
def test_malformed_weight_dicts_are_named(broken: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        layers(broken)


def test_labels_outside_the_classes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        evaluate(two_layer(), "tanh", np.zeros((2, 4)), np.array([0, 3]))
