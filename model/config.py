"""The one frozen training configuration.

The scheduler expands grids into `TrainConfig`s, the task receives `config.to_dict()`, and the store keeps that
dict with its `config_hash()`, so any run can be rebuilt from the store with `TrainConfig.from_dict(stored)`.

Canonical form: options that do not apply are reset to neutral values (`momentum` only means something for
`optimizer = "momentum"`, the step-schedule knobs only for `lr_schedule = "step"`), so two configs that train
the same network always hash the same. A user who sets such an option where it can never apply is told so
(`check_options_apply`) instead of having it silently reset. This module is pure Python: importing it never
imports NumPy.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core import settings
from core.errors import ConfigError
from core.text import clip, did_you_mean, show

ENGINES = ("numpy", "sklearn")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
OPTIMIZERS = ("sgd", "momentum", "adam")
LR_SCHEDULES = ("constant", "step", "cosine")
DTYPES = ("float32", "float64")
BUILTIN_DATASETS = ("mnist-5k", "digits", "mnist", "fashion-mnist")
DATASET_PREFIXES = ("idx:", "csv:")  # idx:DIR, csv:PATH

SEED_HIDDEN = (256, 128, 64, 32, 16)  # the seed report's five ReLU hidden layers


@dataclass(frozen=True)
class Limits:
    """Resource bounds that stop accidental exhaustion. The operator raises them through the environment."""

    max_width: int = 4096  # MNISTQ_MAX_WIDTH: units per hidden layer
    max_depth: int = 16  # MNISTQ_MAX_DEPTH: hidden layers
    max_epochs: int = 1000  # MNISTQ_MAX_EPOCHS
    max_batch_size: int = 65536  # MNISTQ_MAX_BATCH_SIZE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if env is None else env
        return cls(
            max_width=settings.read("MNISTQ_MAX_WIDTH", env),
            max_depth=settings.read("MNISTQ_MAX_DEPTH", env),
            max_epochs=settings.read("MNISTQ_MAX_EPOCHS", env),
            max_batch_size=settings.read("MNISTQ_MAX_BATCH_SIZE", env),
        )


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines one training run. Units: learning rates per step, fractions in [0, 1)."""

    engine: str = "numpy"  # "numpy" (from scratch) or "sklearn" (MLPClassifier baseline)
    dataset: str = "mnist-5k"  # dataset spec: mnist-5k, digits, mnist, fashion-mnist, idx:DIR, csv:PATH
    label_column: str | None = None  # csv:PATH only: the label column's header name
    hidden: tuple[int, ...] = SEED_HIDDEN  # hidden layer widths, input to output
    activation: str = "relu"  # hidden activation; the output is always softmax
    optimizer: str = "sgd"  # sgd, momentum (heavy ball, or Nesterov with nesterov=True), adam
    learning_rate: float = 0.05  # initial step size
    momentum: float = 0.0  # optimizer="momentum" only (canonical 0.0 otherwise; 0.9 when unset)
    nesterov: bool = False  # optimizer="momentum" only
    batch_size: int = 64  # samples per SGD step
    epochs: int = 20  # passes over the training split (the maximum, with early stopping)
    l2: float = 0.0  # weight decay: loss += l2/2 * sum(W**2) over weight matrices (not biases)
    dropout: float = 0.0  # inverted dropout probability on hidden activations (numpy engine only)
    lr_schedule: str = "constant"  # constant, step (x lr_gamma every lr_step_epochs), cosine (to 0)
    lr_step_epochs: int = 0  # lr_schedule="step" only (canonical 0 otherwise; 10 when unset)
    lr_gamma: float = 0.0  # lr_schedule="step" only (canonical 0.0 otherwise; 0.1 when unset)
    patience: int = 0  # early stopping on val loss after this many epochs without improvement; 0 = off
    augment_shift: int = 0  # random shifts of up to this many pixels per training image; 0 = off
    seed: int = 0  # seeds the split, the initial weights, shuffling, dropout and augmentation
    val_fraction: float = 0.1  # share of the training pool held out for validation; 0 = no validation
    test_fraction: float = 0.2  # share held out for test when the dataset has no official test split
    dtype: str = "float32"  # float32 or float64

    # ----- construction -------------------------------------------------------------------------------

    @classmethod
    def from_dict(
        cls, values: Mapping[str, Any], *, source: str = "config", limits: Limits | None = None
    ) -> TrainConfig:
        """Validate `values` (missing keys take defaults) and return the canonical config.

        Raises ConfigError with a one-line message naming `source`, the key and the value.
        """
        if not isinstance(values, Mapping):
            raise ConfigError(
                "config", values, "a table of config keys", source=source, problem=f"got {type(values).__name__}"
            )
        known = config_keys()
        for key in values:
            if key not in known:
                raise ConfigError(
                    str(key), values[key], "", source=source, problem=f"unknown key {clip(repr(key))}",
                    hint=did_you_mean(str(key), known),
                )
        kwargs = {key: _coerce(key, values[key], source) for key in values}
        config = cls(**kwargs)
        config.validate(source=source, limits=limits)
        return config.canonical()

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with `changes` applied, validated and canonical."""
        merged = {**self.to_dict(), **changes}
        return TrainConfig.from_dict(merged)

    def canonical(self) -> TrainConfig:
        """Reset options that do not apply to neutral values, so equal training means equal hash."""
        changes: dict[str, Any] = {}
        if self.optimizer == "momentum":
            if self.momentum == 0.0:
                changes["momentum"] = 0.9
        else:
            changes.update(momentum=0.0, nesterov=False)
        if self.lr_schedule == "step":
            if self.lr_step_epochs == 0:
                changes["lr_step_epochs"] = 10
            if self.lr_gamma == 0.0:
                changes["lr_gamma"] = 0.1
        else:
            changes.update(lr_step_epochs=0, lr_gamma=0.0)
        if not self.dataset.startswith("csv:"):
            changes["label_column"] = None
        return dataclasses.replace(self, **changes) if changes else self

    # ----- validation ---------------------------------------------------------------------------------

    def validate(self, *, source: str = "config", limits: Limits | None = None) -> None:
        """Check ranges and engine/option combinations. Raises ConfigError naming the key and value."""
        lim = limits or Limits.from_env()

        def bad(key: str, expected: str, hint: str = "") -> ConfigError:
            return ConfigError(key, getattr(self, key), expected, source=source, hint=hint)

        for key, choices in (
            ("engine", ENGINES),
            ("activation", ACTIVATIONS),
            ("optimizer", OPTIMIZERS),
            ("lr_schedule", LR_SCHEDULES),
            ("dtype", DTYPES),
        ):
            value = getattr(self, key)
            if value not in choices:
                raise bad(key, f"one of {', '.join(choices)}", did_you_mean(str(value), choices))
        if self.dataset not in BUILTIN_DATASETS and not any(
            self.dataset.startswith(prefix) and self.dataset[len(prefix) :].strip() for prefix in DATASET_PREFIXES
        ):
            hint = did_you_mean(self.dataset.lower(), BUILTIN_DATASETS)
            raise bad("dataset", f"one of {', '.join(BUILTIN_DATASETS)}, idx:DIR or csv:PATH{hint}")
        if len(self.hidden) == 0:
            raise bad("hidden", "at least one hidden layer width, e.g. [256, 128]")
        if len(self.hidden) > lim.max_depth:
            raise bad("hidden", f"at most {lim.max_depth} hidden layers (raise MNISTQ_MAX_DEPTH)")
        for width in self.hidden:
            if width < 1 or width > lim.max_width:
                raise bad("hidden", f"widths from 1 to {lim.max_width} (raise MNISTQ_MAX_WIDTH)")
        if not (0.0 < self.learning_rate <= 10.0):
            raise bad("learning_rate", "a number in (0, 10]")
        if not (0.0 <= self.momentum < 1.0):
            raise bad("momentum", "a number in [0, 1)")
        if not (1 <= self.batch_size <= lim.max_batch_size):
            raise bad("batch_size", f"an integer from 1 to {lim.max_batch_size} (raise MNISTQ_MAX_BATCH_SIZE)")
        if not (1 <= self.epochs <= lim.max_epochs):
            raise bad("epochs", f"an integer from 1 to {lim.max_epochs} (raise MNISTQ_MAX_EPOCHS)")
        if not (0.0 <= self.l2 <= 1.0):
            raise bad("l2", "a number in [0, 1]")
        if not (0.0 <= self.dropout < 1.0):
            raise bad("dropout", "a probability in [0, 1)")
        if not (0 <= self.lr_step_epochs <= lim.max_epochs):
            raise bad("lr_step_epochs", "a positive number of epochs")
        if not (0.0 <= self.lr_gamma <= 1.0):
            raise bad("lr_gamma", "a factor in (0, 1]")
        if self.patience < 0:
            raise bad("patience", "0 (off) or a positive number of epochs")
        if not (0 <= self.augment_shift <= 8):
            raise bad("augment_shift", "0 (off) to 8 pixels")
        if not (0 <= self.seed < 2**32):
            raise bad("seed", "an integer from 0 to 2**32 - 1")
        if not (0.0 <= self.val_fraction < 0.9):
            raise bad("val_fraction", "a fraction in [0, 0.9)")
        if not (0.0 < self.test_fraction < 0.9):
            raise bad("test_fraction", "a fraction in (0, 0.9)")
        if self.val_fraction + self.test_fraction >= 0.95:
            raise bad("val_fraction", f"val_fraction + test_fraction < 0.95 (test_fraction = {self.test_fraction})")
        if self.patience > 0 and self.val_fraction == 0.0:
            raise bad("patience", "0 when val_fraction = 0 (early stopping needs a validation split)")
        if self.label_column is not None and not self.dataset.startswith("csv:"):
            raise bad("label_column", "no label_column unless dataset is csv:PATH")
        if self.engine == "sklearn":
            self._validate_sklearn(source)

    def _validate_sklearn(self, source: str) -> None:
        """Reject options that scikit-learn's MLPClassifier has no equivalent for."""
        unsupported = {
            "activation": (self.activation == "leaky_relu", "relu, tanh or sigmoid"),
            "dropout": (self.dropout > 0.0, "0 (MLPClassifier has no dropout)"),
            "augment_shift": (self.augment_shift > 0, "0 (MLPClassifier has no augmentation)"),
            "lr_schedule": (self.lr_schedule != "constant", "constant (MLPClassifier has no step/cosine)"),
        }
        for key, (is_bad, expected) in unsupported.items():
            if is_bad:
                value = getattr(self, key)
                raise ConfigError(
                    key, value, expected, source=source,
                    problem=f"{key} = {show(value)} is not available with engine = 'sklearn'",
                )

    # ----- serialisation ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able dict the task receives and the store keeps (every key, defaults included)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["hidden"] = list(self.hidden)
        return out

    def canonical_json(self) -> str:
        """Sorted keys, no whitespace: the text that `config_hash` digests."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)

    def config_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON, dataset spec and every default included."""
        return self._hash

    @functools.cached_property
    def _hash(self) -> str:  # computed once: the config is frozen (a 10,000-run submit hashes each twice)
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.hidden)


# ----- options that apply only with another option ----------------------------------------------------------

# key -> (the key it depends on, the value that key must have); anything else resets it to NEUTRAL[key]
ONLY_WITH: dict[str, tuple[str, str]] = {
    "momentum": ("optimizer", "momentum"),
    "nesterov": ("optimizer", "momentum"),
    "lr_step_epochs": ("lr_schedule", "step"),
    "lr_gamma": ("lr_schedule", "step"),
}
NEUTRAL: dict[str, Any] = {"momentum": 0.0, "nesterov": False, "lr_step_epochs": 0, "lr_gamma": 0.0}


def applies(key: str, config: TrainConfig) -> bool:
    """Whether `key` can change how `config` trains (False for momentum under optimizer = "sgd", say)."""
    if key not in ONLY_WITH:
        return True
    other, required = ONLY_WITH[key]
    return getattr(config, other) == required


def check_options_apply(given: Mapping[str, Any], configs: Iterable[TrainConfig], *, source: str = "config") -> None:
    """Refuse a dependent option the user set that applies in none of `configs` (the canonical form would
    silently reset it: momentum = 0.9 with optimizer = "sgd" trains plain SGD).

    `given` maps each key the user set to its value as written: one value, a list of values (a grid) or a
    table (a random distribution). Values equal to the neutral one change nothing and are accepted; so is
    a key that applies in at least one config (a grid crossing optimizers with momenta). Raises ConfigError.
    """
    configs = tuple(configs)
    for key in sorted(k for k in given if k in ONLY_WITH):
        value = given[key]
        if not _changes_something(key, value) or any(applies(key, c) for c in configs):
            continue
        other, required = ONLY_WITH[key]
        seen = sorted({str(getattr(c, other)) for c in configs})
        raise ConfigError(
            key, value, "", source=source,
            problem=f"{key} = {show(value)} has no effect with {other} = {' or '.join(map(repr, seen))}",
            hint=f" ({key} applies only with {other} = {required!r})",
        )


def _changes_something(key: str, value: Any) -> bool:
    if isinstance(value, Mapping):  # a distribution: it draws more than the neutral value
        return True
    values = value if isinstance(value, (list, tuple)) else [value]
    return any(v != NEUTRAL[key] for v in values)


def canonical_json_of(values: Mapping[str, Any], *, source: str = "config") -> str:
    """The canonical JSON of the config `values` describe -- defaults filled in, types coerced, options that
    do not apply reset -- without range checks: a stable identity for a point of a grid, the same however
    its values were written (0 or 0.0, [fixed] or [grid], a default spelled out or left out).

    Raises ConfigError for an unknown key or a value of the wrong type.
    """
    known = config_keys()
    for key in values:
        if key not in known:
            raise ConfigError(str(key), values[key], "", source=source, problem=f"unknown key {clip(repr(key))}")
    kwargs = {key: _coerce(key, values[key], source) for key in values}
    return TrainConfig(**kwargs).canonical().canonical_json()


# ----- helpers --------------------------------------------------------------------------------------------


def config_keys() -> tuple[str, ...]:
    """Every key a config (and a grid spec) may set."""
    return tuple(f.name for f in dataclasses.fields(TrainConfig))


_INT_KEYS = {"batch_size", "epochs", "lr_step_epochs", "patience", "augment_shift", "seed"}
_FLOAT_KEYS = {"learning_rate", "momentum", "l2", "dropout", "lr_gamma", "val_fraction", "test_fraction"}
_STR_KEYS = {"engine", "dataset", "activation", "optimizer", "lr_schedule", "dtype"}


def _coerce(key: str, value: Any, source: str) -> Any:
    """Check one key's type; accept ints for floats and '256,128' strings for hidden."""

    def wrong(expected: str) -> ConfigError:
        return ConfigError(key, value, expected, source=source)

    if key in _INT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong("an integer")
        return value
    if key in _FLOAT_KEYS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong("a number")
        if value != value or value in (float("inf"), float("-inf")):
            raise wrong("a finite number")
        return float(value)
    if key in _STR_KEYS:
        if not isinstance(value, str):
            raise wrong("a string")
        return value
    if key == "label_column":
        if value is not None and not isinstance(value, str):
            raise wrong("a column name")
        return value
    if key == "nesterov":
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if key == "hidden":
        return _coerce_hidden(value, wrong)
    raise ConfigError(key, value, "", source=source, problem=f"unknown key {key!r}")  # pragma: no cover


def _coerce_hidden(value: Any, wrong: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        try:
            return tuple(int(p) for p in parts)
        except ValueError:
            raise wrong("comma-separated integer widths, e.g. 256,128,64") from None
    if isinstance(value, (list, tuple)):
        if not all(isinstance(w, int) and not isinstance(w, bool) for w in value):
            raise wrong("a list of integer widths, e.g. [256, 128, 64]")
        return tuple(value)
    raise wrong("a list of integer widths, e.g. [256, 128, 64]")
