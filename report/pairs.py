"""numpy vs scikit-learn (the seed report's part 3): configs run with both engines, seeds pooled.

Two completed runs are paired when their configs are equal apart from `engine` and `seed`; per engine, the
report shows the mean ± std over the seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from db import RunRecord
from db.status import COMPLETED
from report.data import metric_of
from report.formatting import fmt_params
from report.stats import Summary, summarize

ENGINES = ("numpy", "sklearn")
POOLED_KEYS = ("engine", "seed")


@dataclass(frozen=True)
class EngineSide:
    """One engine's runs of a paired config: the ranking metric, test accuracy and training seconds."""

    engine: str
    run_ids: tuple[int, ...]
    metric: Summary
    test_acc: Summary
    seconds: Summary


@dataclass(frozen=True)
class Pair:
    """A config run with both engines; `params` names it by the sweep's varied keys (engine, seed left out)."""

    key: str
    params: str
    numpy: EngineSide
    sklearn: EngineSide

    @property
    def score(self) -> float:
        """The better engine's mean metric: pairs are listed best first."""
        means = [side.metric.mean for side in (self.numpy, self.sklearn) if side.metric.mean is not None]
        return max(means, default=float("-inf"))

    @property
    def run_ids(self) -> tuple[int, ...]:
        return self.numpy.run_ids + self.sklearn.run_ids


def pair_key(config: dict) -> str:
    """The config without engine and seed, as canonical JSON (orjson: a 10,000-run sweep is grouped per page
    load of the dashboard)."""
    rest = {k: v for k, v in config.items() if k not in POOLED_KEYS}
    return orjson.dumps(rest, option=orjson.OPT_SORT_KEYS).decode()


def engine_pairs(runs: Sequence[RunRecord], metric: str, varied: Sequence[str]) -> list[Pair]:
    """Every config with completed runs on both engines, best score first (ties by key)."""
    groups: dict[str, dict[str, list[RunRecord]]] = {}
    for run in runs:
        if run.status == COMPLETED and run.engine in ENGINES:
            groups.setdefault(pair_key(run.config), {}).setdefault(run.engine, []).append(run)
    shown = [key for key in varied if key not in POOLED_KEYS]
    pairs = [
        Pair(
            key=key,
            params=fmt_params(by_engine["numpy"][0].config, shown) or "(the sweep's only config)",
            numpy=_side("numpy", by_engine["numpy"], metric),
            sklearn=_side("sklearn", by_engine["sklearn"], metric),
        )
        for key, by_engine in groups.items()
        if all(engine in by_engine for engine in ENGINES)
    ]
    return sorted(pairs, key=lambda pair: (-pair.score, pair.key))


def _side(engine: str, runs: list[RunRecord], metric: str) -> EngineSide:
    return EngineSide(
        engine=engine,
        run_ids=tuple(run.id for run in runs),
        metric=summarize(metric_of(run, metric) for run in runs),
        test_acc=summarize(run.test_acc for run in runs),
        seconds=summarize(run.train_seconds for run in runs),
    )
