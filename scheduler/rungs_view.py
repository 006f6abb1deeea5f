"""What `status` and `show` print about adaptive sweeps: each rung's arrivals, survivors and cutoff, and the
decisions taken on one run, with the figures they were made from."""

from __future__ import annotations

from collections.abc import Sequence

from adaptive import SearchPlan
from db import RungDecisionRecord, RungSummary
from scheduler.tables import format_table


def plan_text(plan: SearchPlan) -> str:
    """'asha on val_loss, min_epochs 1, eta 3', or 'grid'."""
    if not plan.adaptive:
        return "grid"
    eta = f", eta {plan.eta_text}" if plan.strategy == "asha" else ""
    return f"{plan.strategy} on {plan.metric}, min_epochs {plan.min_epochs}{eta}"


def rung_table(plan: SearchPlan, summaries: Sequence[RungSummary]) -> list[str]:
    """Lines for `mnistq status SWEEP`: the plan, then per rung epoch the runs arrived, continued, pruned and
    diverged, and the current cutoff (the latest decision's; '-' while fewer results than the rule needs)."""
    rule = f"eta {plan.eta_text}" if plan.strategy == "asha" else "median of the others' running averages"
    lines = [f"  search: {plan.strategy} on {plan.metric} ({'lower' if plan.mode == 'min' else 'higher'} is better), "
             f"min_epochs {plan.min_epochs}, {rule}"]
    if not summaries:
        lines.append("  no run has reached a rung yet")
        return lines
    headers = ("rung epoch", "arrived", "continued", "pruned", "diverged", "cutoff")
    rows = [(s.rung, s.arrived, s.kept, s.pruned, s.diverged, "-" if s.cutoff is None else f"{s.cutoff:.4g}")
            for s in summaries]
    lines += ["  " + line for line in format_table(headers, rows).splitlines()]
    return lines


def decision_lines(decisions: Sequence[RungDecisionRecord]) -> list[str]:
    """Lines for `mnistq show RUN`: one per decision an adaptive sweep took on the run."""
    if not decisions:
        return []
    headers = ("sweep", "rule", "epoch", "metric", "value", "verdict", "cutoff", "compared")
    rows = [
        (d.sweep_id, d.rule, d.rung, d.metric, _shown(d.value), d.verdict, _shown(d.cutoff), d.compared)
        for d in decisions
    ]
    return ["rung decisions (value: the metric at the rung for asha, the best so far for median):",
            *format_table(headers, rows).splitlines()]


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"
