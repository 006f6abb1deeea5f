"""What the report reads from the store, as one frozen view of a sweep (queries -> plain records).

The view is read once, inside the caller's session, and every section works from it; only the sections that
need more (engine pairs' curves, the best run's weights) query again through the same session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.orm import Session

from db import EpochRecord, RunRecord, SweepCounts, SweepExtensionRecord, SweepRecord
from db.queries import get_sweep, leaderboard, list_runs, run_histories, sweep_counts, sweep_extensions
from db.status import COMPLETED
from report.formatting import fmt_value
from report.search import SearchData, load_search

METRIC_LABELS = {"val_acc": "val accuracy", "test_acc": "test accuracy"}
IGNORED_KEYS = ("engine",)  # varies between paired runs but has its own column everywhere


@dataclass(frozen=True)
class SweepView:
    """A sweep as the report sees it.

    `metric` ranks runs: "val_acc", or "test_acc" when no completed run has a validation split.
    `varied` lists the config keys (engine excluded) whose values differ between the sweep's runs.
    `top` are the best `top_k` completed runs by `metric`; `histories` their learning curves.
    `search` is None for a grid sweep.
    """

    sweep: SweepRecord
    counts: SweepCounts
    runs: tuple[RunRecord, ...]  # every run of the sweep, by id
    metric: str
    varied: tuple[str, ...]
    top: tuple[RunRecord, ...]
    histories: Mapping[int, tuple[EpochRecord, ...]]
    extensions: tuple[SweepExtensionRecord, ...] = ()  # specs added by `submit --extend`, oldest first
    search: SearchData | None = None  # an adaptive sweep's plan, decisions and every run's history

    @property
    def completed(self) -> tuple[RunRecord, ...]:
        return tuple(run for run in self.runs if run.status == COMPLETED)

    @property
    def best(self) -> RunRecord | None:
        return self.top[0] if self.top else None

    @property
    def metric_label(self) -> str:
        return METRIC_LABELS[self.metric]

    @property
    def engines(self) -> tuple[str, ...]:
        return tuple(sorted({run.engine for run in self.runs}))


def load_sweep_view(session: Session, sweep_id: int, top_k: int) -> SweepView:
    """Read sweep `sweep_id`: its record, counts, runs, top `top_k` runs and their curves."""
    sweep = get_sweep(session, sweep_id)
    runs = tuple(list_runs(session, sweep_id=sweep_id, order_by="id"))
    metric = choose_metric(runs)
    top = tuple(leaderboard(session, sweep_id, k=top_k, metric=metric)) if top_k > 0 else ()
    histories = run_histories(session, [run.id for run in top])
    return SweepView(
        sweep=sweep,
        counts=sweep_counts(session, sweep_id),
        runs=runs,
        metric=metric,
        varied=varied_keys(run.config for run in runs),
        top=top,
        histories={run_id: tuple(epochs) for run_id, epochs in histories.items()},
        extensions=tuple(sweep_extensions(session, sweep_id)),
        search=load_search(session, sweep, runs),
    )


def choose_metric(runs: Sequence[RunRecord]) -> str:
    """ "val_acc" when any completed run measured it, else "test_acc" (sweeps with val_fraction = 0)."""
    has_val = any(run.status == COMPLETED and run.val_acc is not None for run in runs)
    return "val_acc" if has_val else "test_acc"


def varied_keys(configs: Any) -> tuple[str, ...]:
    """Config keys (engine excluded) that take more than one value across `configs`, sorted."""
    raw: dict[str, set[bytes]] = {}
    for config in configs:
        for key, value in config.items():
            raw.setdefault(key, set()).add(orjson.dumps(value))  # cheap; shown forms only for the few distinct
    seen = {key: {fmt_value(orjson.loads(v)) for v in values} for key, values in raw.items() if len(values) > 1}
    return tuple(sorted(k for k, values in seen.items() if len(values) > 1 and k not in IGNORED_KEYS))


def metric_of(run: RunRecord, metric: str) -> float | None:
    """The run's `metric` value (None when not measured)."""
    value = getattr(run, metric)
    return None if value is None else float(value)
