"""Learning curves: accuracy and loss per epoch, train (dashed) vs val (solid), as in the seed's part 2."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from report.curves import Curves
from report.plots.style import ENGINE_COLORS, SPLIT_COLORS, TRAIN_STYLE, VAL_STYLE, figure, plain, png


def run_curves_png(curves: Curves, title: str, best_epoch: int | None = None) -> bytes:
    """One run: accuracy (left) and loss (right); a dotted line marks the epoch whose weights were kept."""
    with figure(5.6, 2.4, top=0.8, bottom=0.18) as fig:
        acc_ax, loss_ax = fig.subplots(1, 2)
        for split in ("train", "val"):
            style = TRAIN_STYLE if split == "train" else VAL_STYLE
            for ax, kind in ((acc_ax, "acc"), (loss_ax, "loss")):
                field = f"{split}_{kind}"
                if curves.has(field):
                    ax.plot(
                        curves.epochs, curves.values[field], color=SPLIT_COLORS[split], label=split, **style
                    )
        _decorate(acc_ax, loss_ax, best_epoch)
        fig.suptitle(_wrap(title), fontsize=8.5)
        return png(fig)


def engine_curves_png(by_engine: Mapping[str, Curves], title: str) -> bytes:
    """Both engines of one config on shared axes: mean over seeds, with a ±1 std band on the val curve."""
    with figure(5.6, 2.4, top=0.8, bottom=0.18) as fig:
        acc_ax, loss_ax = fig.subplots(1, 2, sharex=True)
        for engine, curves in by_engine.items():
            color = ENGINE_COLORS.get(engine, "#555555")
            for ax, kind in ((acc_ax, "acc"), (loss_ax, "loss")):
                for split, style in (("train", TRAIN_STYLE), ("val", VAL_STYLE)):
                    field = f"{split}_{kind}"
                    if not curves.has(field):
                        continue
                    mean = curves.values[field]
                    ax.plot(curves.epochs, mean, color=color, label=f"{engine} {split}", **style)
                    if split == "val" and curves.n_runs > 1:
                        band = curves.spread[field]
                        ax.fill_between(
                            curves.epochs, mean - band, mean + band, color=color, alpha=0.15, lw=0
                        )
        _decorate(acc_ax, loss_ax, None)
        fig.suptitle(_wrap(title), fontsize=8.5)
        return png(fig)


def _decorate(acc_ax: Axes, loss_ax: Axes, best_epoch: int | None) -> None:
    """Labels, a few ticks (each tick is a costly artist), one legend where losses have fallen (top right)."""
    _limit_loss_axis(loss_ax)
    acc_ax.set_ylabel("accuracy")
    loss_ax.set_ylabel("loss (cross-entropy)")
    for ax in (acc_ax, loss_ax):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        if best_epoch is not None:
            ax.axvline(best_epoch, color="#777777", linestyle=":", linewidth=1)
    if loss_ax.lines:
        loss_ax.legend(loc="upper right")


def _limit_loss_axis(ax: Axes) -> None:
    """Keep a huge first-epoch loss (or a blow-up) from flattening the rest of the curve."""
    values = np.concatenate([line.get_ydata() for line in ax.lines]) if ax.lines else np.array([])
    values = values[np.isfinite(values)]
    if values.size:
        top = float(np.percentile(values, 95)) * 1.25
        if top > 0 and top < float(values.max()):
            ax.set_ylim(0, top)


def _wrap(title: str, width: int = 90) -> str:
    """At most two lines of `width` characters (a longer title ends in an ellipsis)."""
    short = textwrap.shorten(title, 2 * width, placeholder=" …")
    return plain("\n".join(textwrap.wrap(short, width)))
