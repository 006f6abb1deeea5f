"""The scikit-learn baseline: `MLPClassifier` of the same shape, trained one epoch at a time.

Same split, same normalisation, same seed, same per-epoch history as the numpy engine: `partial_fit` runs one
pass over the training split, then the shared loop (`model.loop`) measures val loss/accuracy, which sklearn
itself does not record (sklearn#18507), applies early stopping and catches divergence.

Mapping of the config onto MLPClassifier:
- hidden -> hidden_layer_sizes; activation relu/tanh/sigmoid -> relu/tanh/logistic (leaky_relu is rejected by
  `TrainConfig.validate`, as are dropout, augmentation and step/cosine schedules);
- optimizer sgd -> solver "sgd" with momentum 0; momentum -> solver "sgd" with momentum and nesterovs_momentum;
  adam -> solver "adam"; learning_rate -> learning_rate_init with a constant schedule;
- l2 -> alpha = l2 * batch_size: sklearn divides its penalty gradient `alpha * W` by the batch size, so this
  gives the same `l2 * W` weight decay per step as the numpy engine;
- seed -> a `np.random.RandomState(seed)` *instance* as random_state. With an int, every `partial_fit` call
  would re-seed and shuffle the epochs in the same order; an instance keeps advancing, like `fit` does.

Sklearn's initialisation (Glorot uniform) is its own; the point of the baseline is sklearn as users run it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from model.config import TrainConfig
from model.data.types import PreparedData
from model.inference import evaluate

_ACTIVATION = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic"}
_SOLVER = {"sgd": "sgd", "momentum": "sgd", "adam": "adam"}


def build_classifier(config: TrainConfig, random_state: np.random.RandomState) -> MLPClassifier:
    """The MLPClassifier equivalent of `config` (see the module docstring for the mapping)."""
    return MLPClassifier(
        hidden_layer_sizes=tuple(config.hidden),
        activation=_ACTIVATION[config.activation],
        solver=_SOLVER[config.optimizer],
        alpha=config.l2 * config.batch_size,
        batch_size=config.batch_size,
        learning_rate="constant",
        learning_rate_init=config.learning_rate,
        momentum=config.momentum if config.optimizer == "momentum" else 0.0,
        nesterovs_momentum=config.nesterov,
        shuffle=True,
        random_state=random_state,
        max_iter=1,
        tol=0.0,
        n_iter_no_change=10**9,  # stopping is the shared loop's job
        early_stopping=False,
    )


class SklearnRunner:
    """`model.loop.EpochRunner` for MLPClassifier: one `partial_fit` call is one epoch."""

    def __init__(self, config: TrainConfig, data: PreparedData) -> None:
        self.config = config
        self.data = data
        self.classes = np.arange(data.n_classes)
        self.random_state = np.random.RandomState(config.seed)
        self.clf = build_classifier(config, self.random_state)
        self._diverged = False

    def run_epoch(self, epoch: int) -> tuple[float, float]:
        """One pass of `partial_fit`; loss and accuracy are measured on the training split after it."""
        if self._diverged:
            return float("nan"), 0.0
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.clf.partial_fit(self.data.train.x, self.data.train.y, classes=self.classes)
        except ValueError as exc:  # "Solver produced non-finite parameter weights"
            if "non-finite" not in str(exc):
                raise
            self._diverged = True
            return float("nan"), 0.0
        measured = evaluate(self.weights(), self.config.activation, self.data.train.x, self.data.train.y)
        return measured.loss, measured.acc

    def weights(self) -> dict[str, np.ndarray]:
        """coefs_ (fan_in, fan_out) and intercepts_ (fan_out,) as W1..WL, b1..bL."""
        if not hasattr(self.clf, "coefs_"):
            return {}
        named = {f"W{i}": w for i, w in enumerate(self.clf.coefs_, start=1)}
        named.update({f"b{i}": b for i, b in enumerate(self.clf.intercepts_, start=1)})
        return named

    def snapshot_state(self) -> dict[str, np.ndarray]:
        """Weights, optimiser state and the RandomState: enough to continue bitwise identically."""
        state = {name: array.copy() for name, array in self.weights().items()}
        kind, keys, pos, has_gauss, cached = self.random_state.get_state(legacy=True)
        state["rng.keys"] = np.asarray(keys, dtype=np.uint32).copy()
        state["rng.scalars"] = np.array([pos, has_gauss], dtype=np.int64)
        state["rng.gauss"] = np.array(cached, dtype=np.float64)
        state["fit.counters"] = np.array([self.clf.n_iter_, self.clf.t_], dtype=np.int64)
        state["fit.loss_curve"] = np.asarray(self.clf.loss_curve_, dtype=np.float64)
        optimizer = self.clf._optimizer
        if self.config.optimizer == "adam":
            state["adam.t"] = np.array(optimizer.t, dtype=np.int64)
            state.update({f"adam.m{i}": m.copy() for i, m in enumerate(optimizer.ms)})
            state.update({f"adam.v{i}": v.copy() for i, v in enumerate(optimizer.vs)})
        else:
            state.update({f"sgd.velocity{i}": v.copy() for i, v in enumerate(optimizer.velocities)})
        return state

    def restore_state(self, state: Mapping[str, np.ndarray]) -> None:
        """Rebuild the fitted classifier from `snapshot_state()` so the next `partial_fit` continues it."""
        n_layers = len(self.config.hidden) + 1
        keys, (pos, has_gauss), cached = state["rng.keys"], state["rng.scalars"], state["rng.gauss"]
        self.random_state.set_state(("MT19937", keys, int(pos), int(has_gauss), float(cached)))
        # one tiny partial_fit on a copy-free slice builds every private attribute sklearn expects;
        # all of it is then overwritten, and the random state is restored again afterwards
        probe = np.random.RandomState(0)
        self.clf.set_params(random_state=probe)
        x0, y0 = self.data.train.x[: len(self.classes)], self.data.train.y[: len(self.classes)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "batch_size larger than sample size" on the probe
            self.clf.partial_fit(x0, y0, classes=self.classes)
        self.clf.set_params(random_state=self.random_state)
        self.clf.coefs_ = [np.array(state[f"W{i}"]) for i in range(1, n_layers + 1)]
        self.clf.intercepts_ = [np.array(state[f"b{i}"]) for i in range(1, n_layers + 1)]
        n_iter, t = (int(v) for v in state["fit.counters"])
        self.clf.n_iter_, self.clf.t_ = n_iter, t
        self.clf.loss_curve_ = [float(v) for v in state["fit.loss_curve"]]
        params = self.clf.coefs_ + self.clf.intercepts_
        optimizer = self.clf._optimizer
        optimizer.params = params
        if self.config.optimizer == "adam":
            optimizer.t = int(state["adam.t"])
            optimizer.ms = [np.array(state[f"adam.m{i}"]) for i in range(len(params))]
            optimizer.vs = [np.array(state[f"adam.v{i}"]) for i in range(len(params))]
        else:
            optimizer.velocities = [np.array(state[f"sgd.velocity{i}"]) for i in range(len(params))]

