"""What training returns and reports each epoch. Plain frozen records; no disk or DB anywhere near them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

COMPLETED = "completed"
DIVERGED = "diverged"  # a NaN or inf loss stopped training
CANCELLED = "cancelled"  # the on_epoch callback returned False


@dataclass(frozen=True)
class EpochMetrics:
    """One row of the learning curve. Losses are mean cross-entropy (nats), accuracies in [0, 1].

    `val_loss`/`val_acc` are None when the config has no validation split (val_fraction = 0).
    `train_loss`/`train_acc` come from the forward passes of the epoch itself (the seed's curves),
    so they lag the end-of-epoch weights slightly; dropout is applied in those passes.
    """

    epoch: int  # 1-based
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None
    seconds: float  # wall-clock seconds spent on this epoch (training plus validation)

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "epoch": self.epoch,
            "train_loss": self.train_loss,
            "train_acc": self.train_acc,
            "val_loss": self.val_loss,
            "val_acc": self.val_acc,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class EpochProgress:
    """What the `on_epoch` callback receives after every epoch.

    `snapshot()` returns the complete training state (weights, optimiser state, RNG state, epoch) as a dict of
    arrays that `np.savez` can store without pickle; `train(..., resume_from=snapshot)` continues from it and
    produces bitwise the same result as an uninterrupted run. It is computed only when called.
    """

    metrics: EpochMetrics
    snapshot: Callable[[], dict[str, np.ndarray]]


# The callback returns False to stop training now (the result's status is then "cancelled").
OnEpoch = Callable[[EpochProgress], "bool | None"]


@dataclass(frozen=True)
class TrainResult:
    """The outcome of `train(config, data)`.

    `weights` maps "W1".."WL" (fan_in, fan_out) and "b1".."bL" (fan_out,) to arrays, plus "norm_mean" and
    "norm_std" (n_features,), the normalisation fitted on the training split, so a stored model can classify
    raw images. With early stopping they are the best epoch's weights. Final metrics are None when the split
    they need is missing or training diverged before producing them.
    """

    status: str  # COMPLETED, DIVERGED or CANCELLED
    history: tuple[EpochMetrics, ...]
    weights: dict[str, np.ndarray]
    train_acc: float | None
    train_loss: float | None
    val_acc: float | None
    val_loss: float | None
    test_acc: float | None
    test_loss: float | None
    best_epoch: int | None  # 1-based epoch whose weights were kept
    train_seconds: float  # wall-clock seconds of the whole training loop
    confusion: np.ndarray | None  # (n_classes, n_classes) int64 on the test split; rows true, columns predicted
    message: str = ""  # why training diverged or stopped, empty when it completed
    extra: dict[str, float] = field(default_factory=dict)

    def summary_dict(self) -> dict[str, object]:
        """JSON-able summary: everything but the weight arrays."""
        return {
            "status": self.status,
            "history": [m.to_dict() for m in self.history],
            "train_acc": self.train_acc,
            "train_loss": self.train_loss,
            "val_acc": self.val_acc,
            "val_loss": self.val_loss,
            "test_acc": self.test_acc,
            "test_loss": self.test_loss,
            "best_epoch": self.best_epoch,
            "train_seconds": self.train_seconds,
            "confusion": None if self.confusion is None else self.confusion.tolist(),
            "message": self.message,
        }
