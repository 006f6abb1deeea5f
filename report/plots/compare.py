"""numpy vs scikit-learn over every paired config: accuracy and training time, one point per config."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.ticker import FuncFormatter

from report.pairs import Pair
from report.plots.style import figure, png

SECONDS = FuncFormatter(lambda value, _position: f"{value:g}")


def engine_scatter_png(pairs: Sequence[Pair], metric_label: str) -> bytes:
    """Left: mean metric, numpy (x) vs sklearn (y); right: mean training seconds. Points above the dashed
    diagonal favour scikit-learn (more accurate, or slower)."""
    with figure(5.6, 2.6, bottom=0.17, top=0.9) as fig:
        acc_ax, time_ax = fig.subplots(1, 2)
        _scatter(acc_ax, [(p.numpy.metric.mean, p.sklearn.metric.mean) for p in pairs], log=False)
        acc_ax.set_title(f"mean {metric_label}")
        _scatter(time_ax, [(p.numpy.seconds.mean, p.sklearn.seconds.mean) for p in pairs], log=True)
        time_ax.set_title("mean training time (s)")
        for ax in (acc_ax, time_ax):
            ax.set_xlabel("numpy")
            ax.set_ylabel("sklearn")
        return png(fig)


def _scatter(ax, points: list[tuple[float | None, float | None]], *, log: bool) -> None:
    kept = np.array([p for p in points if None not in p and min(p) > (0 if log else -np.inf)], dtype=float)
    if kept.size == 0:
        ax.text(0.5, 0.5, "no values", ha="center", va="center", transform=ax.transAxes)
        return
    ax.scatter(kept[:, 0], kept[:, 1], s=14, alpha=0.7, color="#4c72b0")
    low, high = float(kept.min()), float(kept.max())
    pad = (high - low) * 0.05 or abs(high) * 0.05 or 0.01
    low, high = (low / 1.2, high * 1.2) if log else (low - pad, high + pad)
    ax.plot([low, high], [low, high], linestyle="--", color="#999999", linewidth=1)
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):  # "8 s", not "8×10^0"
            axis.set_major_formatter(SECONDS)
            axis.set_minor_formatter(SECONDS)
