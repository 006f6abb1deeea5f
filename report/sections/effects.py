"""5. Hyperparameter effects: the ranking metric against each varied key, mean ± std over the rest."""

from __future__ import annotations

from report.data import SweepView
from report.document import Figure, Note, Paragraph, Section, Table
from report.effects import hyperparameter_effects
from report.formatting import fmt_mean_std
from report.plots.effects import effects_png


def effects_section(view: SweepView) -> Section:
    if not view.completed:
        return _section(Note("No completed runs: no hyperparameter effects to show."))
    effects = hyperparameter_effects(view.runs, view.metric, view.varied)
    if not effects:
        return _section(Note("The sweep varies no hyperparameter besides the seed: nothing to compare."))
    blocks: list = [
        Paragraph(
            f"{view.metric_label.capitalize()} of the completed runs against each varied key, pooled over every "
            "other key: the mean ± standard deviation per value, with the number of runs (seeds are pooled "
            "everywhere). Keys drawn at random with many distinct values are shown as raw points."
        ),
        Figure(
            "effects",
            effects_png(effects, view.metric_label),
            alt=f"{view.metric_label} against each varied hyperparameter",
        ),
    ]
    rows = tuple(
        (effect.key, level.label, fmt_mean_std(level.summary.mean, level.summary.std, level.summary.n))
        for effect in effects
        for level in effect.levels
    )
    if rows:
        blocks.append(
            Table(
                ("key", "value", view.metric_label),
                rows,
                numeric=frozenset({2}),
                caption="Mean ± std over the other keys",
            )
        )
    return _section(*blocks)


def _section(*blocks) -> Section:
    return Section("effects", "Hyperparameter effects", tuple(blocks))
