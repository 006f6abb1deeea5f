"""7. Dataset analysis (the seed's part 1): class balance, constant pixels, pixel↔label correlation, mean digits."""

from __future__ import annotations

from collections import Counter

from core.errors import UserError
from report.data import SweepView
from report.dataset import DatasetAnalysis, analyse_dataset
from report.document import Figure, Gallery, Note, Paragraph, Section, Table
from report.plots.images import class_balance_png, constant_map_png, correlation_png, mean_digits_png


def dataset_section(view: SweepView) -> Section:
    choice = _dataset_of(view)
    if choice is None:
        return _section(Note("The sweep has no runs, so no dataset to analyse."))
    spec, label_column = choice
    try:
        analysis = analyse_dataset(spec, label_column)
    except UserError as exc:
        return _section(Note(f"Dataset {spec} is unavailable, so its analysis is left out: {exc}"))
    blocks = _blocks(analysis)
    others = sorted({run.config.get("dataset", "") for run in view.runs} - {spec})
    if others:
        blocks.append(Note(f"The sweep also used {', '.join(others)}; only {spec} is analysed here."))
    return _section(*blocks)


def _dataset_of(view: SweepView) -> tuple[str, str | None] | None:
    """The best run's dataset, else the one most runs used (ties by name)."""
    if view.best is not None:
        config = view.best.config
        return config["dataset"], config.get("label_column")
    used = Counter((run.config.get("dataset"), run.config.get("label_column")) for run in view.runs)
    if not used:
        return None
    return min(used, key=lambda pair: (-used[pair], str(pair)))


def _blocks(analysis: DatasetAnalysis) -> list:
    rows, cols = analysis.image_shape
    n_pixels = rows * cols
    low, high = analysis.value_range
    return [
        Paragraph(
            f"{analysis.spec}: {analysis.n_samples} images of {rows}x{cols} = {n_pixels} pixels, values "
            f"{low:g}..{high:g}, over every sample (the official test split included). "
            f"{int(analysis.constant.sum())} pixels are constant, so their Pearson correlation with the label "
            f"is undefined: {analysis.n_nan} of {n_pixels} correlations are NaN, drawn in yellow below."
        ),
        Gallery(
            (
                Figure("dataset-balance", class_balance_png(analysis.counts), alt="samples per class"),
                Figure(
                    "dataset-constant", constant_map_png(analysis.constant), alt="map of the constant pixels"
                ),
                Figure(
                    "dataset-correlation",
                    correlation_png(analysis.correlation),
                    alt="pixel-label correlation heatmap, NaN in yellow",
                ),
            )
        ),
        Figure("dataset-means", mean_digits_png(analysis.means), alt="mean image of each class"),
        Table(
            ("pixel (row x col)", "r"),
            tuple((name, f"{r:+.4f}") for name, r in analysis.top_pixels),
            numeric=frozenset({1}),
            caption=f"The {len(analysis.top_pixels)} pixels most correlated with the label (|r|)",
        ),
    ]


def _section(*blocks) -> Section:
    return Section("dataset", "Dataset analysis", tuple(blocks))
