"""What an adaptive sweep's report reads beyond the grid's: its search plan, every rung decision, every run's
history, and the figures derived from them (epochs spent, the winner)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from adaptive import SearchPlan
from db import EpochRecord, RungDecisionRecord, RungSummary, RunRecord, SweepRecord
from db.queries import run_histories, rung_summaries, sweep_decisions
from db.status import COMPLETED


@dataclass(frozen=True)
class SearchData:
    """An adaptive sweep's plan, its decisions (by rung, then time) and the history of each of its runs."""

    plan: SearchPlan
    decisions: tuple[RungDecisionRecord, ...]
    histories: Mapping[int, tuple[EpochRecord, ...]]  # run id -> epochs in order, for every run of the sweep

    @property
    def rungs(self) -> tuple[RungSummary, ...]:
        return tuple(rung_summaries(self.decisions))


@dataclass(frozen=True)
class EpochSpend:
    """Epochs trained by a sweep's runs (stored history lengths) against the epochs of its configs: what the
    full grid would have cost. `reused_*` is the share of runs created by earlier sweeps."""

    trained: int
    planned: int
    reused_runs: int
    reused_trained: int

    @property
    def fraction(self) -> float | None:
        return self.trained / self.planned if self.planned else None


def load_search(session: Session, sweep: SweepRecord, runs: Sequence[RunRecord]) -> SearchData | None:
    """The search data of `sweep`, whose runs are `runs`; None for a grid sweep (nothing is pruned there)."""
    plan = SearchPlan.of_spec(sweep.spec)
    if not plan.adaptive:
        return None
    histories = run_histories(session, [run.id for run in runs])
    return SearchData(
        plan=plan,
        decisions=tuple(sweep_decisions(session, sweep.id)),
        histories={run_id: tuple(epochs) for run_id, epochs in histories.items()},
    )


def epoch_spend(sweep_id: int, runs: Sequence[RunRecord], histories: Mapping[int, Sequence[EpochRecord]]) -> EpochSpend:
    """Sum over `runs` of epochs stored vs of their configs' `epochs`; runs reused from other sweeps count."""
    trained = {run.id: len(histories.get(run.id, ())) for run in runs}
    reused = [run for run in runs if run.sweep_id != sweep_id]
    return EpochSpend(
        trained=sum(trained.values()),
        planned=sum(planned_epochs(run) for run in runs),
        reused_runs=len(reused),
        reused_trained=sum(trained[run.id] for run in reused),
    )


def planned_epochs(run: RunRecord) -> int:
    """The epochs in the run's config (the `epochs` column, else the config itself)."""
    return int(run.epochs if run.epochs is not None else run.config.get("epochs", 0))


def winner(runs: Sequence[RunRecord], plan: SearchPlan) -> RunRecord | None:
    """The best completed run by the plan's metric (lowest loss or highest accuracy; ties by id): pruned runs'
    metrics come from an early epoch, so they never win."""
    scored = [(run, value) for run in runs if run.status == COMPLETED and _finite(value := getattr(run, plan.metric))]
    if not scored:
        return None
    sign = 1.0 if plan.mode == "min" else -1.0
    return min(scored, key=lambda pair: (sign * float(pair[1]), pair[0].id))[0]


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
