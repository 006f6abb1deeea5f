"""A run's stored model: its config rebuilt from the store and its final weights, ready to classify."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from db import RunRecord
from db.queries import get_run, load_artifact
from model.config import TrainConfig
from model.inference import predict_proba
from model.weights_io import weights_from_npz_bytes
from report.errors import ReportError


@dataclass(frozen=True)
class StoredModel:
    """`weights` holds W1..WL, b1..bL and the training split's `norm_mean`/`norm_std` (n_features,)."""

    run: RunRecord
    config: TrainConfig
    weights: dict[str, np.ndarray]

    @property
    def n_features(self) -> int:
        return int(self.weights["W1"].shape[0])

    def normalize(self, raw: np.ndarray) -> np.ndarray:
        """(n, n_features) raw pixels (the dataset's units) -> z-scores as the run was trained on."""
        z = (raw - self.weights["norm_mean"]) / self.weights["norm_std"]
        return z.astype(self.weights["W1"].dtype, copy=False)

    def denormalize(self, z: np.ndarray) -> np.ndarray:
        """(n, n_features) z-scores -> raw pixels, e.g. to draw test images."""
        return z * self.weights["norm_std"] + self.weights["norm_mean"]

    def probabilities(self, z: np.ndarray) -> np.ndarray:
        """(n, n_features) z-scores -> (n, n_classes) class probabilities."""
        return predict_proba(self.weights, self.config.activation, z)


def load_stored_model(session: Session, run_id: int) -> StoredModel:
    """Run `run_id`'s final weights and config. NotFoundError (one line) for an unknown run or a run without
    final weights (failed, diverged, cancelled, unfinished); ReportError for weights without normalisation."""
    run = get_run(session, run_id)
    weights = weights_from_npz_bytes(load_artifact(session, run_id, "final"))
    missing = [key for key in ("W1", "norm_mean", "norm_std") if key not in weights]
    if missing:
        raise ReportError(f"run {run_id}: stored weights lack {', '.join(missing)}; retrain the run")
    config = TrainConfig.from_dict(run.config, source=f"run {run_id} config")
    return StoredModel(run=run, config=config, weights=weights)
