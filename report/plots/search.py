"""An adaptive sweep at a glance: every run's search metric per epoch, one line per run, pruned runs faded.

Lines are drawn as one LineCollection per kind of run, so 500 runs cost a handful of artists, not 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from report.plots.style import figure, png

KINDS = ("completed", "pruned", "diverged", "other")  # "other": failed, cancelled or not finished yet
WINNER_COLOR = "#111111"
DIVERGED_COLOR = "#d62728"
STYLES = {
    "completed": {"colors": "#1f77b4", "linewidths": 1.1, "linestyles": "solid"},
    "pruned": {"colors": "#8c8c8c", "linewidths": 0.6, "linestyles": "solid", "alpha": 0.35},
    "diverged": {"colors": DIVERGED_COLOR, "linewidths": 0.8, "linestyles": "solid", "alpha": 0.6},
    "other": {"colors": "#8c8c8c", "linewidths": 0.6, "linestyles": "dotted", "alpha": 0.5},
}
TOP_OVER_MEDIAN = 100.0  # a loss axis shows two decades above the median value
LABELS = {"completed": "completed", "pruned": "pruned", "diverged": "diverged", "other": "other"}


@dataclass(frozen=True)
class Trace:
    """One run: `values[i]` is its metric after epoch i + 1 (NaN where not measured or not finite)."""

    run_id: int
    values: np.ndarray
    kind: str


def search_curves_png(
    traces: Sequence[Trace],
    metric_label: str,
    *,
    loss: bool,
    rungs: Sequence[int] = (),
    winner: int | None = None,
) -> bytes:
    """Every trace against epochs; dashed verticals at `rungs` (the epochs ASHA judges at); the `winner` run's
    line drawn dark and thick; a cross where a diverged run stopped (at the top edge when it left no finite
    value). A `loss` (lower is better, > 0) goes on a log axis, its few blow-ups above the top edge."""
    with figure(7.0, 3.2, top=0.95, bottom=0.15, left=0.09, right=0.78) as fig:
        ax = fig.subplots()
        counts = {kind: sum(t.kind == kind for t in traces) for kind in KINDS}
        completed_alpha = float(np.clip(25 / max(counts["completed"], 1), 0.25, 0.8))  # many runs: lighter
        for kind in ("other", "pruned", "diverged", "completed"):  # the runs that matter drawn last, on top
            segments = [_points(t.values) for t in traces if t.kind == kind]
            segments = [s for s in segments if len(s)]
            if segments:
                style = {"alpha": completed_alpha, **STYLES[kind]}
                ax.add_collection(LineCollection(segments, **style))
        ax.autoscale_view()
        if loss:
            _loss_axis(ax, traces)
        _mark_diverged(ax, [t for t in traces if t.kind == "diverged"])
        _mark_pruned(ax, [t for t in traces if t.kind == "pruned"])
        chosen = [t for t in traces if t.run_id == winner]
        if chosen and len(points := _points(chosen[0].values)):
            ax.plot(points[:, 0], points[:, 1], color=WINNER_COLOR, linewidth=2.0)
        for rung in rungs:
            ax.axvline(rung, color="#555555", linestyle="--", linewidth=0.9)
        length = max((len(t.values) for t in traces), default=1)
        ax.set_xlim(0.8, max(length, 1) + 0.2)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric_label)
        ax.legend(handles=_legend(counts, rungs, winner if chosen else None), loc="upper left",
                  bbox_to_anchor=(1.02, 1.0))
        return png(fig)


def _points(values: np.ndarray) -> np.ndarray:
    """(n, 2) epoch, value pairs of the finite values."""
    epochs = np.arange(1, len(values) + 1, dtype=float)
    keep = np.isfinite(values)
    return np.column_stack([epochs[keep], values[keep]])


def _loss_axis(ax: Axes, traces: Sequence[Trace]) -> None:
    """Log scale (losses fall over orders of magnitude) from just below the lowest value; blow-ups (a learning
    rate far too high: 1e31) end above the top edge, at most TOP_OVER_MEDIAN times the median value."""
    finite = [t.values[np.isfinite(t.values)] for t in traces]
    values = np.concatenate(finite) if finite else np.array([])
    if not values.size or float(values.min()) <= 0:
        return
    ax.set_yscale("log")
    low, high = float(values.min()), float(values.max())
    ax.set_ylim(low / 1.3, min(high * 1.3, float(np.median(values)) * TOP_OVER_MEDIAN))


def _mark_diverged(ax: Axes, traces: Sequence[Trace]) -> None:
    if not traces:
        return
    low, high = ax.get_ylim()
    xs = [len(t.values) for t in traces]
    ys = [_last_finite(t.values, high, low) for t in traces]
    ax.scatter(xs, ys, marker="x", s=28, color=DIVERGED_COLOR, linewidths=1.4, zorder=4, clip_on=False)


def _mark_pruned(ax: Axes, traces: Sequence[Trace]) -> None:
    """A small dot where each pruned run stopped (on the edge when its value is off the axis)."""
    ends = [_points(t.values)[-1] for t in traces if np.isfinite(t.values).any()]
    if ends:
        ends_array = np.array(ends)
        low, high = ax.get_ylim()
        ax.scatter(
            ends_array[:, 0], np.clip(ends_array[:, 1], low, high), s=10, color="#6e6e6e", alpha=0.7, zorder=3,
            linewidths=0, clip_on=False,
        )


def _last_finite(values: np.ndarray, top: float, bottom: float) -> float:
    """The last value when finite and on the axis, else the axis' top edge."""
    last = float(values[-1]) if len(values) else float("nan")
    return last if np.isfinite(last) and bottom <= last <= top else top


def _legend(counts: dict[str, int], rungs: Sequence[int], winner: int | None) -> list[Line2D]:
    handles = []
    for kind in KINDS:
        if counts[kind]:
            style = STYLES[kind]
            handles.append(
                Line2D([], [], color=style["colors"], linewidth=style["linewidths"] + 0.4,
                       linestyle=style["linestyles"], alpha=min(1.0, style.get("alpha", 1.0) + 0.3),
                       marker={"diverged": "x", "pruned": "."}.get(kind), label=f"{LABELS[kind]} ({counts[kind]})")
            )
    if winner is not None:
        handles.append(Line2D([], [], color=WINNER_COLOR, linewidth=2.0, label=f"winner: run {winner}"))
    if rungs:
        handles.append(Line2D([], [], color="#555555", linestyle="--", linewidth=0.9, label="rung epochs"))
    return handles
