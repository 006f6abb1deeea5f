"""3. Learning curves of the top runs: accuracy and loss per epoch, train vs val, one panel per run."""

from __future__ import annotations

import math

from report.curves import Curves, run_curves
from report.data import SweepView
from report.document import Figure, Gallery, Note, Paragraph, Section, Table
from report.formatting import DASH, fmt_acc, fmt_params
from report.plots.curves import run_curves_png

EXPLANATION = (
    "Train (dashed) and validation (solid) accuracy and loss per epoch; the dotted line marks the epoch whose "
    "weights were kept. A validation curve that flattens or turns while the training curve keeps improving is "
    "overfitting; the table gives the gap at the last epoch."
)


def curves_section(view: SweepView) -> Section:
    if not view.top:
        return Section("curves", "Learning curves", (Note("No completed runs: no learning curves to show."),))
    figures: list[Figure] = []
    gaps: list[tuple[str, ...]] = []
    without_val = 0
    for rank, run in enumerate(view.top, start=1):
        curves = run_curves(view.histories.get(run.id, ()))
        if not len(curves):
            continue
        without_val += not curves.has("val_acc")
        title = " · ".join(
            filter(None, (f"#{rank} run {run.id}", run.engine, fmt_params(run.config, view.varied)))
        )
        figures.append(
            Figure(
                f"curves-run-{run.id}",
                run_curves_png(curves, title, run.best_epoch),
                alt=f"learning curves of run {run.id}: accuracy and loss per epoch, train and val",
            )
        )
        gaps.append((str(rank), str(run.id), *_last_epoch_gap(curves)))
    if not figures:
        return Section("curves", "Learning curves", (Note("The top runs have no stored epochs."),))
    blocks: list = [
        Paragraph(EXPLANATION),
        Gallery(tuple(figures)),
        Table(
            ("#", "run", "train acc", "val acc", "gap (points)"),
            tuple(gaps),
            numeric=frozenset({0, 1, 2, 3, 4}),
            caption="Last epoch: train minus val accuracy",
        ),
    ]
    if without_val:
        blocks.append(Note("Runs without a validation split (val_fraction = 0) show training curves only."))
    return Section("curves", "Learning curves", tuple(blocks))


def _last_epoch_gap(curves: Curves) -> tuple[str, str, str]:
    train = float(curves.values["train_acc"][-1])
    val = float(curves.values["val_acc"][-1])
    both = math.isfinite(train) and math.isfinite(val)
    return fmt_acc(_finite(train)), fmt_acc(_finite(val)), f"{100 * (train - val):+.2f}" if both else DASH


def _finite(value: float) -> float | None:
    """NaN in a curve means "not measured"."""
    return value if math.isfinite(value) else None
