"""The engine-agnostic epoch loop: validation, timing, callbacks, early stopping, divergence, final metrics.

An engine implements `EpochRunner` (one epoch of training, its current weights, its own state for snapshots)
and calls `run_training(config, data, runner, ...)`. Everything else - the learning curve, early stopping with
the best weights restored, cooperative cancel, NaN/inf detection, resume from a snapshot, the final evaluation
and confusion matrix - happens here, identically for every engine. Evaluation uses `model.inference`, so the
weights an engine reports must have the "W1".."WL"/"b1".."bL" layout that `inference` reads.

Snapshot layout (all plain arrays, `np.savez`-able without pickle): "loop.*" for this loop's bookkeeping,
"kept.W1"... for the weights early stopping keeps, when older than the last epoch, and "engine.*" for
`runner.snapshot_state()`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from core.epochs import EPOCH_FIELDS
from core.errors import ConfigError
from model.config import TrainConfig
from model.data.types import PreparedData
from model.inference import Evaluation, evaluate
from model.result import CANCELLED, COMPLETED, DIVERGED, EpochMetrics, EpochProgress, OnEpoch, TrainResult

ENGINE_PREFIX = "engine."
KEPT_PREFIX = "kept."


class EpochRunner(Protocol):
    """One engine's side of the loop. The runner owns its weights, optimiser and random generator."""

    def run_epoch(self, epoch: int) -> tuple[float, float]:
        """Train one pass over `data.train` (`epoch` is 0-based, e.g. for the learning-rate schedule).

        Returns (mean cross-entropy, accuracy) measured from this epoch's own forward passes. Signal
        divergence by returning a non-finite loss, never by raising.
        """
        ...

    def weights(self) -> dict[str, np.ndarray]:
        """The current "W1".."WL" (fan_in, fan_out) and "b1".."bL" (fan_out,). May be live arrays: the loop
        copies what it keeps."""
        ...

    def snapshot_state(self) -> dict[str, np.ndarray]:
        """Fresh copies of everything engine-specific that a bitwise-identical continuation needs
        (weights, optimiser state, random-generator state), as named numeric arrays."""
        ...

    def restore_state(self, state: Mapping[str, np.ndarray]) -> None:
        """Put back what `snapshot_state()` returned (keys without the "engine." prefix)."""
        ...


@dataclass
class _Timing:
    """Time spent inside `run_epoch` by this call (a resumed run counts only its own epochs)."""

    epochs: int = 0
    train_seconds: float = 0.0

    def add_epoch(self, seconds: float) -> None:
        self.epochs += 1
        self.train_seconds += seconds


@dataclass
class _Progress:
    """The loop's own state: what a snapshot stores besides the runner's."""

    history: list[EpochMetrics] = field(default_factory=list)
    kept: dict[str, np.ndarray] | None = None  # copy of the weights the result will return
    best_epoch: int | None = None  # 1-based epoch of `kept`
    best_val_loss: float = math.inf
    seconds_before: float = 0.0  # wall-clock seconds spent before a resume


def run_training(
    config: TrainConfig,
    data: PreparedData,
    runner: EpochRunner,
    on_epoch: OnEpoch | None = None,
    resume_from: Mapping[str, np.ndarray] | None = None,
    stop_after: int | None = None,
) -> TrainResult:
    """Run epochs `len(history) + 1 .. config.epochs` of `runner` and return the outcome. Never raises on
    divergence. With `config.patience` > 0, stops after that many epochs without a lower validation loss and
    returns the best epoch's weights; otherwise returns the last finite epoch's weights.

    `stop_after` ends the training after that epoch (status "cancelled"), without changing the schedule's
    horizon, which stays `config.epochs`; a run resumed at that very epoch trains none and is evaluated as
    its snapshot left it."""
    start = time.perf_counter()
    progress = _Progress()
    if resume_from is not None:
        progress = _restore(config, runner, resume_from)
    early_stopping = config.patience > 0 and data.val is not None
    status, message = COMPLETED, ""
    timing = _Timing()
    for epoch in range(len(progress.history), config.epochs):
        if stop_after is not None and epoch >= stop_after:
            status, message = CANCELLED, f"stopped after epoch {epoch}"
            break
        if early_stopping and epoch - (progress.best_epoch or 0) >= config.patience:
            message = f"early stopping after epoch {epoch}: val loss last improved in epoch {progress.best_epoch}"
            break  # checked before each epoch, so a run resumed right at this point stops too
        epoch_start = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            train_loss, train_acc = runner.run_epoch(epoch)
        timing.add_epoch(time.perf_counter() - epoch_start)
        val = _evaluate_split(config, data, runner.weights(), "val")
        bad = _non_finite(train_loss, val)
        if bad:
            status = DIVERGED
            message = f"diverged: {bad} in epoch {epoch + 1} (try a smaller learning_rate)"
            break
        metrics = EpochMetrics(
            epoch=epoch + 1,
            train_loss=float(train_loss),
            train_acc=float(train_acc),
            val_loss=None if val is None else val.loss,
            val_acc=None if val is None else val.acc,
            seconds=time.perf_counter() - epoch_start,
        )
        progress.history.append(metrics)
        if not early_stopping or (val is not None and val.loss < progress.best_val_loss):
            progress.kept = {name: array.copy() for name, array in runner.weights().items()}
            progress.best_epoch = metrics.epoch
            progress.best_val_loss = math.inf if val is None else val.loss
        if on_epoch is not None and _notify(on_epoch, metrics, config, runner, progress, start) is False:
            status, message = CANCELLED, f"cancelled after epoch {metrics.epoch}"  # the worker says by whom
            break
    return _result(config, data, runner, progress, status, message, start, timing)


def _evaluate_split(
    config: TrainConfig, data: PreparedData, weights: Mapping[str, np.ndarray], split: str
) -> Evaluation | None:
    part = getattr(data, split)
    if part is None:
        return None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return evaluate(weights, config.activation, part.x, part.y)


def _non_finite(train_loss: float, val: Evaluation | None) -> str:
    """A description of the first non-finite loss, or '' when both are finite."""
    if not math.isfinite(train_loss):
        return f"train loss became {train_loss}"
    if val is not None and not math.isfinite(val.loss):
        return f"val loss became {val.loss}"
    return ""


def _notify(
    on_epoch: OnEpoch,
    metrics: EpochMetrics,
    config: TrainConfig,
    runner: EpochRunner,
    progress: _Progress,
    start: float,
) -> bool | None:
    """Call `on_epoch` with a snapshot() that is valid only while the callback runs."""
    open_ = [True]

    def snapshot() -> dict[str, np.ndarray]:
        if not open_[0]:
            raise RuntimeError("EpochProgress.snapshot() must be called inside the on_epoch callback")
        return _snapshot(config, runner, progress, time.perf_counter() - start)

    try:
        return on_epoch(EpochProgress(metrics=metrics, snapshot=snapshot))
    finally:
        open_[0] = False


def _snapshot(
    config: TrainConfig, runner: EpochRunner, progress: _Progress, elapsed: float
) -> dict[str, np.ndarray]:
    rows = [_history_row(m) for m in progress.history]  # columns EPOCH_FIELDS, None stored as NaN
    state: dict[str, np.ndarray] = {
        "loop.config_hash": np.array(config.config_hash()),
        "loop.history": np.array(rows, dtype=np.float64).reshape(-1, len(EPOCH_FIELDS)),
        "loop.best_epoch": np.array(progress.best_epoch or 0, dtype=np.int64),
        "loop.best_val_loss": np.array(progress.best_val_loss, dtype=np.float64),
        "loop.seconds": np.array(progress.seconds_before + elapsed, dtype=np.float64),
    }
    if progress.kept is not None and progress.best_epoch != len(progress.history):  # early stopping kept an older one
        state.update({KEPT_PREFIX + name: array.copy() for name, array in progress.kept.items()})
    state.update({ENGINE_PREFIX + name: array for name, array in runner.snapshot_state().items()})
    return state


def _restore(config: TrainConfig, runner: EpochRunner, snapshot: Mapping[str, np.ndarray]) -> _Progress:
    """Rebuild the loop's progress from a snapshot and hand the "engine." part back to the runner."""
    if "loop.config_hash" not in snapshot or "loop.history" not in snapshot:
        raise ConfigError(
            "resume_from", None, "a training snapshot (with 'loop.config_hash' and 'loop.history')",
            source="", problem="resume_from: not a training snapshot",
        )
    taken_with = str(snapshot["loop.config_hash"])
    if taken_with != config.config_hash():
        raise ConfigError(
            "resume_from", taken_with[:12], f"a snapshot of this config, which hashes to {config.config_hash()[:12]}",
            source="", problem=f"resume_from: snapshot was taken with config hash {taken_with[:12]}",
        )
    runner.restore_state(
        {name[len(ENGINE_PREFIX) :]: a for name, a in snapshot.items() if name.startswith(ENGINE_PREFIX)}
    )
    history = [_metrics_from_row(row) for row in np.asarray(snapshot["loop.history"])]
    kept = {name[len(KEPT_PREFIX) :]: a.copy() for name, a in snapshot.items() if name.startswith(KEPT_PREFIX)}
    if not kept and history:  # the kept weights are the last epoch's, which the runner now holds
        kept = {name: array.copy() for name, array in runner.weights().items()}
    best_epoch = int(snapshot["loop.best_epoch"])
    return _Progress(
        history=history,
        kept=kept or None,
        best_epoch=best_epoch or None,
        best_val_loss=float(snapshot["loop.best_val_loss"]),
        seconds_before=float(snapshot["loop.seconds"]),
    )


def _history_row(metrics: EpochMetrics) -> list[float]:
    values = metrics.to_dict()
    return [np.nan if values[c] is None else float(values[c]) for c in EPOCH_FIELDS]  # type: ignore[arg-type]


def _metrics_from_row(row: np.ndarray) -> EpochMetrics:
    values = dict(zip(EPOCH_FIELDS, (float(v) for v in row), strict=True))
    return EpochMetrics(
        epoch=int(values["epoch"]),
        train_loss=values["train_loss"],
        train_acc=values["train_acc"],
        val_loss=None if math.isnan(values["val_loss"]) else values["val_loss"],
        val_acc=None if math.isnan(values["val_acc"]) else values["val_acc"],
        seconds=values["seconds"],
    )


def _result(
    config: TrainConfig,
    data: PreparedData,
    runner: EpochRunner,
    progress: _Progress,
    status: str,
    message: str,
    start: float,
    timing: _Timing,
) -> TrainResult:
    """Evaluate the kept weights on every split and assemble the result."""
    weights = progress.kept
    if weights is None:  # diverged in the first epoch: nothing finite to keep or evaluate
        weights = {name: array.copy() for name, array in runner.weights().items()}
        final = {"train": None, "val": None, "test": None}
    else:
        final = {split: _evaluate_split(config, data, weights, split) for split in ("train", "val", "test")}
    extra = {"epochs_run": float(len(progress.history))}
    if timing.train_seconds > 0:
        extra["train_samples_per_second"] = len(data.train) * timing.epochs / timing.train_seconds
    test = final["test"]
    return TrainResult(
        status=status,
        history=tuple(progress.history),
        weights={**weights, "norm_mean": data.norm_mean.copy(), "norm_std": data.norm_std.copy()},
        train_acc=None if final["train"] is None else final["train"].acc,
        train_loss=None if final["train"] is None else final["train"].loss,
        val_acc=None if final["val"] is None else final["val"].acc,
        val_loss=None if final["val"] is None else final["val"].loss,
        test_acc=None if test is None else test.acc,
        test_loss=None if test is None else test.loss,
        best_epoch=progress.best_epoch if progress.kept is not None else None,
        train_seconds=progress.seconds_before + time.perf_counter() - start,
        confusion=None if test is None else test.confusion,
        message=message,
        extra=extra,
    )
