"""The anchor of bench/halving.py: scikit-learn's `HalvingGridSearchCV` over the same grid and the same split.

MLPClassifier per config as mnistq's sklearn engine maps it (`model.engine_sklearn.build_classifier`: relu,
solver "sgd" for optimizer sgd, learning_rate_init, batch_size, alpha = l2 x batch_size, no early stopping, so
`max_iter` epochs are really trained), `resource="max_iter"` from `min_resources` to `max_resources` epochs by
`factor`, scored on mnistq's own validation split of mnist-5k (a `PredefinedSplit`: train on the training
split, score on the validation split, both z-scored with the training split's statistics as `prepare` does),
`n_jobs` fits at a time (joblib's loky gives each 1 BLAS thread on 2 cores), `refit=False`.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.config import TrainConfig
from model.data.types import PreparedData


@dataclass(frozen=True)
class AnchorResult:
    """One HalvingGridSearchCV search. Units: seconds, epochs (passes over the training split), accuracies in
    [0, 1]."""

    wall: float  # the timed `fit` of the search
    epochs: int  # sum of max_iter over every fit it made
    fits: int
    failed: int  # fits that raised (diverged): scored NaN through error_score
    best_params: dict[str, Any]
    best_val: float  # the best config's validation accuracy at its last rung
    max_iter: int  # the largest rung, max_resources: the best config is retrained this long for best_test
    rungs: tuple[tuple[int, int, float], ...]  # per iteration: (max_iter, candidates, their fit + score seconds)
    load_before: float  # 1-minute load average when the search started
    best_test: float  # that config retrained once at max_resources epochs, untimed, on the test split


def halving_epochs(cv_results: Mapping[str, Sequence[int]], n_splits: int = 1) -> int:
    """Epochs a search trained: every candidate of every iteration was fitted `n_splits` times with
    `max_iter = n_resources` (cv_results_ has one entry per candidate per iteration)."""
    return int(sum(int(n) for n in cv_results["n_resources"])) * n_splits


def halving_rungs(cv_results: Mapping[str, Sequence[Any]]) -> tuple[tuple[int, int, float], ...]:
    """(max_iter, candidates, seconds their fits and scoring took, summed over candidates) per iteration of a
    search, in order (one split: the mean times are the times)."""
    rungs: dict[int, tuple[int, float]] = {}
    times = zip(cv_results["mean_fit_time"], cv_results["mean_score_time"], strict=True)
    for n, (fit, score) in zip(cv_results["n_resources"], times, strict=True):
        count, seconds = rungs.get(int(n), (0, 0.0))
        rungs[int(n)] = (count + 1, seconds + float(fit) + float(score))
    return tuple((n, count, seconds) for n, (count, seconds) in sorted(rungs.items()))


def param_grid(configs: Sequence[TrainConfig]) -> list[dict[str, list[Any]]]:
    """One single-point grid per config: alpha depends on the batch size, so the axes are not independent."""
    return [
        {
            "hidden_layer_sizes": [tuple(c.hidden)],
            "learning_rate_init": [c.learning_rate],
            "batch_size": [c.batch_size],
            "alpha": [c.l2 * c.batch_size],
        }
        for c in configs
    ]


def run_anchor(
    configs: Sequence[TrainConfig], data: PreparedData, *, max_resources: int, factor: int, min_resources: int,
    n_jobs: int,
) -> AnchorResult:
    """Search `configs` (one dataset split, one seed) with HalvingGridSearchCV; see the module docstring."""
    from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401  (registers the class)
    from sklearn.model_selection import HalvingGridSearchCV, PredefinedSplit

    from model.engine_sklearn import build_classifier

    assert data.val is not None, "the anchor scores on mnistq's validation split"
    x = np.concatenate([data.train.x, data.val.x])
    y = np.concatenate([data.train.y, data.val.y])
    fold = np.concatenate([np.full(len(data.train.y), -1), np.zeros(len(data.val.y), dtype=int)])
    base = build_classifier(configs[0], np.random.RandomState(0)).set_params(random_state=configs[0].seed)
    search = HalvingGridSearchCV(
        base, param_grid(configs), cv=PredefinedSplit(fold), resource="max_iter", min_resources=min_resources,
        max_resources=max_resources, factor=factor, n_jobs=n_jobs, refit=False, error_score=np.nan,
    )
    with warnings.catch_warnings():  # sklearn hands these filters on to its joblib workers
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.simplefilter("ignore", UserWarning)  # "one or more of the test scores are non-finite"
        load_before, start = os.getloadavg()[0], time.perf_counter()
        search.fit(x, y)
        wall = time.perf_counter() - start
        scores = np.asarray(search.cv_results_["mean_test_score"], dtype=float)
        best = {key: value for key, value in search.best_params_.items() if key != "max_iter"}  # its last rung's
        clf = base.set_params(**best, max_iter=max_resources)
        clf.fit(data.train.x, data.train.y)  # untimed: only to score the chosen config on the test split
    return AnchorResult(
        wall=wall,
        epochs=halving_epochs(search.cv_results_),
        fits=len(scores),
        failed=int(np.isnan(scores).sum()),
        best_params={key: best[key] for key in sorted(best)},
        best_val=float(search.best_score_),
        max_iter=max_resources,
        rungs=halving_rungs(search.cv_results_),
        load_before=load_before,
        best_test=float(clf.score(data.test.x, data.test.y)),
    )
