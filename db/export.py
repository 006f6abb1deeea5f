"""Runs and rows as CSV and JSON: the one format of `mnistq runs --format csv|json`, `mnistq history`,
`status`/`show --format json` for adaptive sweeps, and the dashboard (stable field order, NaN and infinities as
empty cells or null)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

from db.records import RungDecisionRecord, RungSummary, RunRecord

# the fields of `mnistq runs --format json|csv`, in order
RUN_FIELDS = (
    "id", "sweep_id", "engine", "status", "attempts", "dataset", "hidden", "activation", "optimizer",
    "learning_rate", "batch_size", "epochs", "l2", "momentum", "nesterov", "seed", "dropout", "lr_schedule",
    "lr_step_epochs", "lr_gamma", "patience", "augment_shift", "dtype", "val_fraction", "test_fraction",
    "label_column", "train_acc", "val_acc", "test_acc", "train_loss", "val_loss", "test_loss", "best_epoch",
    "train_seconds", "error",
)


def finite_or_none(value: Any) -> Any:
    """JSON has no NaN/inf: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run_row(run: RunRecord) -> dict[str, Any]:
    """One run as a flat dict (the config is added by the JSON format)."""
    return {field: finite_or_none(getattr(run, field)) for field in RUN_FIELDS}


def runs_json(runs: Sequence[RunRecord]) -> str:
    rows = [{**run_row(run), "config": run.config} for run in runs]
    return json.dumps(rows, indent=2, allow_nan=False)


def runs_csv(runs: Sequence[RunRecord]) -> str:
    return dicts_csv([run_row(run) for run in runs], RUN_FIELDS)


def dicts_csv(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> str:
    """Rows as CSV with a header (None and non-finite numbers as empty cells)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if finite_or_none(v) is None else v for k, v in row.items()})
    return out.getvalue()


def rungs_json(summaries: Sequence[RungSummary]) -> list[dict[str, Any]]:
    return [
        {"rung": s.rung, "arrived": s.arrived, "continued": s.kept, "pruned": s.pruned, "diverged": s.diverged,
         "cutoff": finite_or_none(s.cutoff)}
        for s in summaries
    ]


def decisions_json(decisions: Sequence[RungDecisionRecord]) -> list[dict[str, Any]]:
    return [
        {"sweep_id": d.sweep_id, "rule": d.rule, "rung": d.rung, "metric": d.metric,
         "value": finite_or_none(d.value), "reported": finite_or_none(d.reported), "verdict": d.verdict,
         "cutoff": finite_or_none(d.cutoff), "compared": d.compared,
         "decided_at": None if d.decided_at is None else d.decided_at.isoformat()}
        for d in decisions
    ]
