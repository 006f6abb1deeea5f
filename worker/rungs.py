"""The adaptive sweeps' side of training a run: at each rung epoch, ask every sweep that holds the run whether
it still wants it.

A run belongs to every sweep that asked for its config. A plain grid sweep wants all its epochs; an adaptive
sweep (ASHA, median stopping) judges it at its own decision epochs with the pure rules of `adaptive`, against
the results its other runs recorded in the store, and records its decision there. The run trains on while
at least one sweep wants it, and ends `pruned` once none does.

Everything this judge knows is re-read from the store when a run is claimed (memberships, decisions taken,
the learning curve so far), so a worker killed at any moment leaves nothing that only it knew, and a run
resumed from a checkpoint catches up on the decision epochs it passed meanwhile (a sweep submitted later).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from adaptive import SearchPlan, asha_decision, median_decision
from db import RungDecisionRecord
from db.queries import record_decision, run_decisions, run_memberships, rung_results
from db.status import DIVERGED_VERDICT, KEPT, PRUNED_VERDICT


@dataclass(frozen=True)
class _Judge:
    """One adaptive sweep holding the run, with the epochs at which it judges it."""

    sweep_id: int
    plan: SearchPlan
    epochs: tuple[int, ...]  # ascending decision epochs for this run's config


class RungJudge:
    """Per run: which adaptive sweeps still want it, and their decisions at each epoch.

    `history` holds the run's metrics per epoch, {metric name: value}, index 0 for epoch 1 (None or NaN: not
    finite). `propose` reads the store and returns the decisions that stand, without changing this object, so
    the caller may retry its transaction; `accept` applies them once it committed.
    """

    def __init__(
        self,
        run_id: int,
        judges: Sequence[_Judge],
        wants_every_epoch: bool,
        decided: Sequence[RungDecisionRecord],
        history: list[dict[str, float | None]],
        epochs: int,
    ) -> None:
        self.run_id = run_id
        self.epochs = epochs  # the config's
        self.judges = tuple(judges)
        self.wants_every_epoch = wants_every_epoch  # a plain grid sweep holds the run
        self.decisions = list(decided)  # every decision on this run, in the order taken
        self.history = history

    @classmethod
    def load(cls, session: Session, run_id: int, epochs: int, history: list[dict[str, float | None]]) -> RungJudge:
        """The judge of run `run_id` (a config of `epochs` epochs), from the store; `history` as trained so far."""
        judges, grid = [], False
        for membership in run_memberships(session, run_id):
            plan = SearchPlan.from_dict(membership.search)
            if plan.adaptive:
                judges.append(_Judge(membership.sweep_id, plan, plan.decision_epochs(epochs)))
            else:
                grid = True
        return cls(run_id, judges, grid, run_decisions(session, run_id), history, epochs)

    @property
    def decided(self) -> dict[tuple[int, int], str]:
        """(sweep, rung) -> verdict, of every decision taken on the run."""
        return {(d.sweep_id, d.rung): d.verdict for d in self.decisions}

    @property
    def adaptive(self) -> bool:
        return bool(self.judges)

    def active(self) -> list[_Judge]:
        """The adaptive sweeps that have not stopped the run (pruned, or recorded its divergence)."""
        stopped = {d.sweep_id for d in self.decisions if d.verdict != KEPT}
        return [j for j in self.judges if j.sweep_id not in stopped]

    def wanted(self, proposed: Sequence[RungDecisionRecord] = ()) -> bool:
        """Whether any sweep still wants the run to train on (after the `proposed` decisions, if given)."""
        stopped = {d.sweep_id for d in proposed if d.verdict != KEPT}
        return self.wants_every_epoch or not self.judges or any(j.sweep_id not in stopped for j in self.active())

    def is_rung(self, epoch: int) -> bool:
        """True at an ASHA rung of a sweep still judging the run: a checkpoint there lets a later sweep that
        wants the run further resume it from that very epoch."""
        return any(j.plan.strategy == "asha" and epoch in j.epochs for j in self.active())

    def due(self, epoch: int) -> bool:
        """Whether a sweep still judging the run has an undecided decision epoch at or before `epoch`."""
        return any(self._undecided(j, epoch) for j in self.active())

    def propose(self, session: Session, epoch: int) -> list[RungDecisionRecord]:
        """Decide every undecided decision epoch up to `epoch` (the latest epoch in `history`), for every sweep
        still judging the run, oldest first; record each in the store and return the decisions that stand."""
        standing = []
        for judge in self.active():
            for rung in self._undecided(judge, epoch):
                decision = record_decision(session, self._decide(session, judge, rung))
                standing.append(decision)
                if decision.verdict != KEPT:
                    break
        return standing

    def propose_divergence(self, session: Session, diverged_at: int) -> list[RungDecisionRecord]:
        """A run that diverged in epoch `diverged_at` is the worst result at the next rung of every sweep still
        judging it: record that (the run never reported that epoch, so nothing else would)."""
        standing, decided = [], self.decided
        for judge in self.active():
            rung = next((e for e in judge.epochs if e >= diverged_at and (judge.sweep_id, e) not in decided), None)
            if rung is None:
                continue
            others = rung_results(session, judge.sweep_id, rung, other_than=self.run_id)
            record = RungDecisionRecord(
                sweep_id=judge.sweep_id, run_id=self.run_id, rung=rung, rule=judge.plan.strategy,
                metric=judge.plan.metric, value=None, reported=None, verdict=DIVERGED_VERDICT, cutoff=None,
                compared=len(others) + 1,
            )
            standing.append(record_decision(session, record))
        return standing

    def accept(self, decisions: Sequence[RungDecisionRecord]) -> None:
        """Apply decisions that were committed."""
        self.decisions += decisions

    def reason(self) -> str:
        """Why the run stopped, in the user's terms, from the decision of each sweep that pruned it."""
        pruned = [d for d in self.decisions if d.verdict == PRUNED_VERDICT]
        if not pruned:
            return "pruned: no sweep holding it wants more epochs"
        parts = [_describe(d) for d in pruned]
        return f"pruned after epoch {pruned[-1].rung} of {self.epochs} by " + "; ".join(parts)

    def _undecided(self, judge: _Judge, epoch: int) -> list[int]:
        decided = self.decided
        return [e for e in judge.epochs if e <= min(epoch, len(self.history)) and (judge.sweep_id, e) not in decided]

    def _decide(self, session: Session, judge: _Judge, rung: int) -> RungDecisionRecord:
        plan = judge.plan
        values = [_metric(row, plan.metric) for row in self.history[:rung]]
        others = rung_results(session, judge.sweep_id, rung, other_than=self.run_id)
        if plan.strategy == "asha":
            value = reported = values[-1]
            decision = asha_decision(value, others, eta=plan.eta, mode=plan.mode)
        else:
            value, reported = _best(values, plan.mode), _mean(values)
            decision = median_decision(value, others, mode=plan.mode)
        return RungDecisionRecord(
            sweep_id=judge.sweep_id, run_id=self.run_id, rung=rung, rule=plan.strategy, metric=plan.metric,
            value=value, reported=reported, verdict=KEPT if decision.keep else PRUNED_VERDICT,
            cutoff=decision.cutoff, compared=decision.compared,
        )


def _metric(row: dict[str, float | None], name: str) -> float | None:
    value = row.get(name)
    return None if value is None or not math.isfinite(value) else float(value)


def _best(values: list[float | None], mode: str) -> float | None:
    finite = [v for v in values if v is not None]
    if not finite:
        return None
    return min(finite) if mode == "min" else max(finite)


def _mean(values: list[float | None]) -> float | None:
    """The running average over epochs 1..e; None if any epoch was not finite."""
    if not values or any(v is None for v in values):
        return None
    return math.fsum(values) / len(values)  # type: ignore[arg-type]


def _describe(decision: RungDecisionRecord) -> str:
    value = "not finite" if decision.value is None else f"{decision.value:.4g}"
    cutoff = "-" if decision.cutoff is None else f"{decision.cutoff:.4g}"
    if decision.rule == "asha":
        why = f"{decision.metric} {value}, worse than the cutoff {cutoff} of the {decision.compared} results there"
    else:
        why = (f"best {decision.metric} {value}, worse than the median {cutoff} of {decision.compared} other "
               "runs' running averages")
    return f"sweep {decision.sweep_id} ({decision.rule}: {why})"
