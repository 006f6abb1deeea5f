"""Aggregated plots over every run: the metric's distribution and its mean ± std per hyperparameter value."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from report.effects import Effect
from report.plots.style import figure, plain, png

COLUMNS = 3


def distribution_png(values: Sequence[float], metric_label: str) -> bytes:
    """Histogram of the ranking metric over the completed runs."""
    with figure(4.2, 2.2, left=0.13, bottom=0.2, top=0.95) as fig:
        ax = fig.subplots()
        data = np.asarray(values, dtype=float)
        ax.hist(data, bins=min(40, max(5, int(math.sqrt(data.size)) * 2)), color="#4c72b0", edgecolor="white")
        ax.set_xlabel(metric_label)
        ax.set_ylabel("runs")
        return png(fig)


def effects_png(effects: Sequence[Effect], metric_label: str) -> bytes:
    """One panel per key: error bars (mean ± std, runs per value annotated) or a scatter of raw draws."""
    rows = math.ceil(len(effects) / COLUMNS)
    columns = min(COLUMNS, len(effects))
    width, height = 2.6 * columns + 0.4, 2.4 * rows  # inches; margins below are fixed inches too
    margins = {"left": 0.5 / width + 0.04, "bottom": 0.7 / height, "top": 1 - 0.3 / height, "hspace": 0.9}
    with figure(width, height, **margins) as fig:
        axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
        for ax, effect in zip(axes, effects, strict=False):
            if effect.continuous:
                _scatter(ax, effect)
            else:
                _levels(ax, effect)
            ax.set_title(plain(effect.key))
            ax.set_ylabel(metric_label)
        for ax in axes[len(effects) :]:
            ax.set_visible(False)
        return png(fig)


def _levels(ax, effect: Effect) -> None:
    x = np.arange(len(effect.levels))
    means = np.array([np.nan if lv.summary.mean is None else lv.summary.mean for lv in effect.levels])
    stds = np.array([0.0 if lv.summary.std is None else lv.summary.std for lv in effect.levels])
    ax.errorbar(x, means, yerr=stds, fmt="o-", color="#4c72b0", capsize=3, markersize=4, linewidth=1)
    labels = [f"{_short(lv.label)}\nn={lv.summary.n}" for lv in effect.levels]
    ax.set_xticks(x, labels, rotation=30 if len(x) > 4 else 0, fontsize=7)
    ax.margins(x=0.15)


def _scatter(ax, effect: Effect) -> None:
    xs = np.array([p[0] for p in effect.points])
    ys = np.array([p[1] for p in effect.points])
    ax.scatter(xs, ys, s=6, alpha=0.4, color="#4c72b0", linewidths=0)
    if xs.min() > 0 and xs.max() / xs.min() > 20:
        ax.set_xscale("log")


def _short(label: str, limit: int = 14) -> str:
    return plain(label if len(label) <= limit else label[: limit - 1] + "…")
