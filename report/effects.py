"""Hyperparameter effects: the ranking metric against each varied key, pooled over every other key.

A key with a few values (a grid axis) gets one mean ± std per value; a numeric key with many distinct values
(a random-search draw) gets its raw (value, metric) points instead, since each value occurs about once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from db import RunRecord
from db.status import COMPLETED
from report.data import metric_of
from report.formatting import fmt_value, value_key
from report.stats import Summary, summarize

MAX_LEVELS = 12  # more distinct numeric values than this: plot points, not levels
SKIPPED_KEYS = ("seed",)  # seeds are replicates: every other section already pools over them


@dataclass(frozen=True)
class Level:
    label: str  # the value as shown, e.g. "256,128" or "0.05"
    summary: Summary


@dataclass(frozen=True)
class Effect:
    """One varied key: `levels` (mean ± std per value, in value order) or `points` ((value, metric) pairs)."""

    key: str
    levels: tuple[Level, ...]
    points: tuple[tuple[float, float], ...] = ()

    @property
    def continuous(self) -> bool:
        return bool(self.points)


def hyperparameter_effects(runs: Sequence[RunRecord], metric: str, varied: Sequence[str]) -> list[Effect]:
    """One Effect per varied key (seed excluded, engine included), over completed runs with a finite metric."""
    scored = [(run, metric_of(run, metric)) for run in runs if run.status == COMPLETED]
    scored = [(run, value) for run, value in scored if value is not None and math.isfinite(value)]
    keys = ["engine", *varied] if len({run.engine for run, _ in scored}) > 1 else list(varied)
    return [_effect(key, scored) for key in keys if key not in SKIPPED_KEYS and scored]


def _effect(key: str, scored: list[tuple[RunRecord, float]]) -> Effect:
    by_value: dict[str, tuple[Any, list[float]]] = {}
    for run, value in scored:
        raw = run.engine if key == "engine" else run.config.get(key)
        by_value.setdefault(fmt_value(raw), (raw, []))[1].append(value)
    numeric = all(isinstance(raw, (int, float)) and not isinstance(raw, bool) for raw, _ in by_value.values())
    if numeric and len(by_value) > MAX_LEVELS:
        points = sorted((float(raw), v) for raw, values in by_value.values() for v in values)
        return Effect(key=key, levels=(), points=tuple(points))
    ordered = sorted(by_value.items(), key=lambda item: value_key(item[1][0]))
    return Effect(key=key, levels=tuple(Level(label, summarize(values)) for label, (_, values) in ordered))
