"""One run as its page shows it: config, status, attempts and error, the sweeps holding it with their rung
decisions, its learning curve, and which weights are stored."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from db.export import decisions_json, finite_or_none
from db.queries import get_artifact, get_run, run_decisions, run_history, run_memberships
from db.records import RunRecord
from ui.data import epoch_point

LIFECYCLE = ("created_at", "claimed_at", "started_at", "heartbeat_at", "finished_at")
FINAL_METRICS = ("train_acc", "train_loss", "val_acc", "val_loss", "test_acc", "test_loss", "best_epoch",
                 "train_seconds")


def run_view(session: Session, run_id: int) -> dict[str, Any]:
    """Everything the run page shows but the weights' analysis (loaded on demand: it rebuilds the test split)."""
    run = get_run(session, run_id)
    weights = get_artifact(session, run_id, "final")
    return {
        "run": {
            "id": run.id, "sweep_id": run.sweep_id, "engine": run.engine, "status": run.status,
            "attempts": run.attempts, "error": run.error, "worker": run.worker, "cancel_requested": run.cancel_requested,
            **{key: _when(getattr(run, key)) for key in LIFECYCLE},
            **{key: finite_or_none(getattr(run, key)) for key in FINAL_METRICS},
        },
        "config": {key: _shown(value) for key, value in sorted(run.config.items())},
        "sweeps": [m.sweep_id for m in run_memberships(session, run_id)],
        "decisions": decisions_json(run_decisions(session, run_id)),
        "history": [epoch_point(e) for e in run_history(session, run_id)],
        "weights": None if weights is None else {"size": weights.size, "sha256": weights.sha256},
        "analysable": weights is not None and _analysable(run),
    }


def _analysable(run: RunRecord) -> bool:
    """Whether the confusion matrix can be computed: final weights and a test split to score them on."""
    return (run.config.get("test_fraction") or 0) > 0 or run.test_acc is not None


def _shown(value: Any) -> str:
    """A config value as the spec writes it: strings bare, everything else as JSON (16 -> 16, [16] -> [16])."""
    return value if isinstance(value, str) else json.dumps(value)


def _when(value: Any) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")
