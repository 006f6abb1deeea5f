"""A sweep's analyses over its completed runs (hyperparameter effects, numpy vs sklearn pairs), computed once
per state of those runs and kept: at 10,000 runs each takes up to a second, and every page load asks for both.

The state is `completed_state` (how many completed runs, and the newest change stamp among them): while it
stays the same, so do the analyses; a run completing, or a completed run trained again, makes a new one.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from db import RunRecord, session_scope
from db.export import finite_or_none
from db.queries import completed_state, get_sweep, list_runs
from db.status import COMPLETED
from report.data import choose_metric, varied_keys
from report.effects import SKIPPED_KEYS
from report.pairs import engine_pairs
from ui.data import json_value

MAX_PLOTTED = 1000  # plots that draw every run show the best this many
KEPT = 64  # analyses kept, the least recently asked for dropped first


def effects_of(session: Session, sweep_id: int) -> dict[str, Any]:
    """Per varied key, the (value, metric, run) points of the best MAX_PLOTTED completed runs (all of them when
    there are fewer); `shown` and `completed` say whether the plot was capped."""
    runs = list_runs(session, sweep_id=sweep_id, where=f"status = '{COMPLETED}'", order_by="-val_acc,-test_acc",
                     limit=MAX_PLOTTED)
    runs = [run for run in runs if not (run.val_acc is not None and math.isnan(run.val_acc))]
    completed = completed_state(session, sweep_id)[0]
    metric = choose_metric(runs)
    keys = [k for k in varied_keys(run.config for run in runs) if k not in SKIPPED_KEYS]
    if len({run.engine for run in runs}) > 1:
        keys.insert(0, "engine")
    points = [
        {"key": key,
         "x": [json_value(run.engine if key == "engine" else run.config.get(key)) for run in runs],
         "y": [finite_or_none(getattr(run, metric)) for run in runs],
         "run": [run.id for run in runs]}
        for key in keys
    ]
    return {"metric": metric, "shown": len(runs), "completed": completed, "keys": points}


def pairs_of(session: Session, sweep_id: int) -> dict[str, Any]:
    """Configs run with both engines, seeds pooled, best first (the first MAX_PLOTTED)."""
    runs: list[RunRecord] = list_runs(session, sweep_id=sweep_id, where=f"status = '{COMPLETED}'", order_by="id")
    metric = choose_metric(runs)
    found = engine_pairs(runs, metric, varied_keys(run.config for run in runs))
    return {
        "metric": metric,
        "pairs": [
            {"params": pair.params,
             **{side.engine: {"runs": list(side.run_ids), "mean": finite_or_none(side.metric.mean),
                              "std": finite_or_none(side.metric.std), "seconds": finite_or_none(side.seconds.mean)}
                for side in (pair.numpy, pair.sklearn)}}
            for pair in found[:MAX_PLOTTED]
        ],
    }


ANALYSES: dict[str, Callable[[Session, int], dict[str, Any]]] = {"effects": effects_of, "pairs": pairs_of}


class SweepAnalyses:
    """Each sweep's analyses, recomputed only when its completed runs changed."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[str, int], tuple[tuple[int, int], dict[str, Any]]] = OrderedDict()

    def get(self, sweep_id: int, kind: str) -> dict[str, Any]:
        """The analysis `kind` ("effects" or "pairs") of sweep `sweep_id`; NotFoundError for an unknown sweep."""
        with session_scope(self._engine) as session:
            get_sweep(session, sweep_id)
            state = completed_state(session, sweep_id)
            with self._lock:
                kept = self._kept.get((kind, sweep_id))
            if kept is not None and kept[0] == state:
                with self._lock:
                    self._kept.move_to_end((kind, sweep_id))
                return kept[1]
            result = ANALYSES[kind](session, sweep_id)
        with self._lock:
            self._kept[(kind, sweep_id)] = (state, result)
            self._kept.move_to_end((kind, sweep_id))
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return result
