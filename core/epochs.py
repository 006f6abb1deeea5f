"""The fields of one learning-curve row, in their one order, shared by the training loop, the store and the CLI.

The order is persisted twice: as the columns of a training snapshot's "loop.history" array (`model.loop`) and as
the bit positions of the epochs table's NaN mask (`db.models.EPOCH_NANS`). Append new fields; never reorder.
"""

from __future__ import annotations

# epoch is 1-based; losses are mean cross-entropy (nats), accuracies in [0, 1], seconds the epoch's wall time
EPOCH_FIELDS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")
EPOCH_METRICS = EPOCH_FIELDS[1:]  # the measured values, without the epoch number
