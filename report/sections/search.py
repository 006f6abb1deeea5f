"""Adaptive search (ASHA or median stopping sweeps only): the plan, what was pruned where, every run's search
metric per epoch, the rung table and the epochs spent against the full grid's."""

from __future__ import annotations

import numpy as np

from adaptive import SearchPlan
from db import RungSummary, RunRecord
from db.status import COMPLETED, DIVERGED, PRUNED, QUEUED, RUNNING, STATUSES
from report.data import SweepView
from report.document import Block, Figure, Note, Paragraph, Section, Table
from report.formatting import DASH, fmt_acc, fmt_loss, fmt_params
from report.plots.search import Trace, search_curves_png
from report.search import EpochSpend, SearchData, epoch_spend, planned_epochs, winner

SECTION_ID = "search"
TITLE = "Adaptive search"
METRIC_NAMES = {"val_loss": "validation loss", "val_acc": "validation accuracy"}
KIND_OF_STATUS = {COMPLETED: "completed", PRUNED: "pruned", DIVERGED: "diverged"}


def search_section(view: SweepView) -> Section | None:
    """The section, or None for a grid sweep (the report then has no such section)."""
    data = view.search
    if data is None:
        return None
    plan = data.plan
    longest = max((planned_epochs(run) for run in view.runs), default=0)
    judged = plan.decision_epochs(longest)
    rungs = data.rungs
    best = winner(view.runs, plan)
    blocks: list[Block] = [
        Paragraph(_plan_text(plan, judged, longest)),
        Paragraph(_outcome_text(view, data, rungs, best)),
        _figure(view, data, judged, best),
        _rung_table(plan, rungs),
        Paragraph(_spend_text(epoch_spend(view.sweep.id, view.runs, data.histories))),
    ]
    unfinished = sum(run.status in (QUEUED, RUNNING) for run in view.runs)
    if unfinished:
        blocks.append(Note(f"{unfinished} runs have not finished yet: the counts above will change."))
    return Section(SECTION_ID, TITLE, tuple(blocks))


def _plan_text(plan: SearchPlan, judged: tuple[int, ...], longest: int) -> str:
    metric = f"{plan.metric} ({'lower' if plan.mode == 'min' else 'higher'} is better)"
    if plan.strategy == "asha":
        eta = plan.eta_text
        at = f"at its rungs, epochs {_join(judged)} of {longest}" if judged else f"at no epoch (every run has at most {longest})"
        return (
            f"ASHA on {metric}, min_epochs {plan.min_epochs}, eta {eta}: a run is judged {at}. It goes on if its "
            f"result is among the best ⌊n / {eta}⌋ (at least 1) of the n results recorded at that rung so far, its "
            f"own included; until {eta} results are there, every run goes on."
        )
    at = f"after every epoch from {judged[0]} to {judged[-1]}" if judged else "at no epoch"
    return (
        f"Median stopping on {metric}, min_epochs {plan.min_epochs} (eta does not apply): a run is judged {at} of "
        f"{longest}, and stops when its best result so far is worse than the median of the other runs' averages "
        "up to that epoch, once at least three other runs have reached it."
    )


def _outcome_text(view: SweepView, data: SearchData, rungs: tuple[RungSummary, ...], best: RunRecord | None) -> str:
    plan = data.plan
    order = (COMPLETED, PRUNED, *(status for status in STATUSES if status not in (COMPLETED, PRUNED)))
    by_status = {status: sum(run.status == status for run in view.runs) for status in order}
    statuses = ", ".join(
        f"{n} {status}" for status, n in by_status.items() if n or status in (COMPLETED, PRUNED)
    )
    shown = rungs if plan.strategy == "asha" else tuple(r for r in rungs if r.pruned)
    where = "; ".join(f"{r.pruned} at epoch {r.rung}" for r in shown)
    text = f"Of {len(view.runs)} runs: {statuses}{f' (pruned by this sweep: {where})' if where else ''}."
    judged = {decision.run_id for decision in data.decisions}
    unjudged = [run for run in view.runs if run.id not in judged]
    reused = sum(run.sweep_id != view.sweep.id for run in unjudged)
    if unjudged:
        text += (
            f" {len(unjudged)} runs have no decision of this sweep ({reused} reused from earlier sweeps, "
            f"{len(unjudged) - reused} not judged yet or stopped before their first decision epoch)."
        )
    if best is None:
        return f"{text} No completed run has a finite {plan.metric}: there is no winner yet."
    value = _fmt(plan.metric, getattr(best, plan.metric))
    params = fmt_params(best.config, view.varied)
    text += (
        f" Winner: run {best.id}{f' ({params})' if params else ''}, {plan.metric} {value}, test accuracy "
        f"{fmt_acc(best.test_acc)}: the best by {plan.metric} among the completed runs (a pruned run's result "
        "comes from an early epoch)."
    )
    if view.best is not None and view.best.id != best.id:
        text += f" The leaderboard ranks by {view.metric_label}, where run {view.best.id} leads."
    return text


def _figure(view: SweepView, data: SearchData, judged: tuple[int, ...], best: RunRecord | None) -> Block:
    traces = [
        Trace(
            run.id,
            np.array([_number(getattr(epoch, data.plan.metric)) for epoch in data.histories.get(run.id, ())]),
            KIND_OF_STATUS.get(run.status, "other"),
        )
        for run in view.runs
    ]
    if not any(np.isfinite(t.values).any() for t in traces):
        return Note(f"No run has a finite {data.plan.metric} in any epoch yet: no curves to draw.")
    rungs = judged if data.plan.strategy == "asha" else ()
    if rungs:
        lines = f"Dashed lines mark the rung epochs ({_join(rungs)})."
    else:
        lines = (
            f"Median stopping judges every epoch after min_epochs {data.plan.min_epochs}, so no rung lines are "
            "drawn."
        )
    return Figure(
        "search-curves",
        search_curves_png(
            traces, METRIC_NAMES[data.plan.metric], loss=data.plan.mode == "min", rungs=rungs,
            winner=best.id if best else None,
        ),
        alt=f"{data.plan.metric} per epoch of each of the {len(traces)} runs; pruned runs faded",
        caption=f"{data.plan.metric} of every run per epoch: completed runs solid, pruned "
        f"runs faded (a dot where each stopped), diverged runs crossed, the winner dark. {lines}",
    )


def _rung_table(plan: SearchPlan, rungs: tuple[RungSummary, ...]) -> Block:
    if not rungs:
        return Note("No run has reached a decision epoch yet: no rung decisions to show.")
    rows = tuple(
        (str(r.rung), str(r.arrived), str(r.kept), str(r.pruned), str(r.diverged), _fmt(plan.metric, r.cutoff))
        for r in rungs
    )
    what = "rung" if plan.strategy == "asha" else "judged epoch"
    return Table(
        ("rung epoch", "arrived", "continued", "pruned", "diverged", "cutoff"),
        rows,
        numeric=frozenset(range(6)),
        caption=f"Decisions per {what}: runs that arrived, went on, were pruned or had diverged; the cutoff of "
        f"the latest decision ({DASH} while the rule did not apply yet)",
    )


def _spend_text(spend: EpochSpend) -> str:
    share = f" ({100 * spend.fraction:.0f} %)" if spend.fraction is not None else ""
    text = (
        f"Trained {spend.trained:,} of the {spend.planned:,} epochs{share} the full grid would have cost: the "
        "epochs stored for each run against the epochs of its config."
    )
    if spend.reused_runs:
        text += (
            f" {spend.reused_runs} of the runs were created by earlier sweeps and reused here; their "
            f"{spend.reused_trained:,} stored epochs are counted, though earlier sweeps trained some or all of them."
        )
    return text


def _fmt(metric: str, value: float | None) -> str:
    return fmt_acc(value) if metric == "val_acc" else fmt_loss(value)


def _number(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _join(epochs: tuple[int, ...]) -> str:
    return ", ".join(map(str, epochs))
