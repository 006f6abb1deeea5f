"""The best run re-scored from its stored weights on its test split (rebuilt from the stored config)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from model.data.prepare import prepare
from model.inference import evaluate
from report.stored import StoredModel, load_stored_model

MAX_MISTAKES = 24


@dataclass(frozen=True)
class Mistake:
    """A misclassified test image: `image` (rows, cols) in raw pixel units."""

    index: int  # position in the test split
    image: np.ndarray
    true: int
    predicted: int
    probability: float  # of the predicted (wrong) class


@dataclass(frozen=True)
class BestRunAnalysis:
    model: StoredModel
    dataset: str
    n_test: int
    test_acc: float
    confusion: np.ndarray  # (k, k) int64, rows true, columns predicted
    n_mistakes: int
    mistakes: tuple[Mistake, ...]  # the most confident mistakes first, at most MAX_MISTAKES


def analyse_best_run(session: Session, run_id: int, *, max_mistakes: int = MAX_MISTAKES) -> BestRunAnalysis:
    """Load run `run_id`'s weights, rebuild its test split and evaluate. User errors (no weights, dataset
    unavailable) propagate with their one-line message."""
    model = load_stored_model(session, run_id)
    data = prepare(model.config)
    test = data.test
    evaluation = evaluate(model.weights, model.config.activation, test.x, test.y)
    proba = model.probabilities(test.x)
    predicted = proba.argmax(axis=1)
    wrong = np.flatnonzero(predicted != test.y)
    confidence = proba[wrong, predicted[wrong]]
    chosen = wrong[np.argsort(-confidence, kind="stable")][:max_mistakes]
    images = model.denormalize(test.x[chosen].astype(np.float64)).reshape(-1, *data.image_shape)
    mistakes = tuple(
        Mistake(int(i), image, int(test.y[i]), int(predicted[i]), float(proba[i, predicted[i]]))
        for i, image in zip(chosen, images, strict=True)
    )
    return BestRunAnalysis(
        model=model,
        dataset=data.spec,
        n_test=len(test),
        test_acc=evaluation.acc,
        confusion=evaluation.confusion,
        n_mistakes=int(wrong.size),
        mistakes=mistakes,
    )
