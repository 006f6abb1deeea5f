"""1. Summary: the sweep spec (and every spec `submit --extend` added), runs by status, training time, and the
best run with its config."""

from __future__ import annotations

import json
import math

from db.status import STATUSES
from report.data import SweepView, metric_of
from report.document import Block, Code, Figure, Note, Paragraph, Section, Table
from report.formatting import fmt_acc, fmt_seconds, fmt_value
from report.plots.effects import distribution_png


def summary_section(view: SweepView) -> Section:
    sweep, counts = view.sweep, view.counts
    blocks: list = [
        Paragraph(
            f"Sweep {sweep.id} “{sweep.name}”, created {sweep.created_at:%Y-%m-%d %H:%M} UTC"
            f"{' (cancelled)' if sweep.cancelled else ''}: {counts.total} runs, "
            f"engines {', '.join(view.engines) or 'none'}; runs are ranked by {view.metric_label}."
        ),
        _best_run_line(view),
        Table(
            ("status", "runs"),
            tuple((status, str(counts.by_status[status])) for status in STATUSES)
            + (("total", str(counts.total)),),
            numeric=frozenset({1}),
            caption="Runs by status",
        ),
        Table(("timing", "value"), _timing_rows(view), numeric=frozenset({1}), caption="Training time"),
    ]
    if view.best is not None:
        blocks.append(
            Table(
                ("config key", "value"),
                tuple((key, fmt_value(value)) for key, value in sorted(view.best.config.items())),
                caption=f"Config of the best run ({view.best.id})",
            )
        )
    scores = [
        v
        for v in (metric_of(run, view.metric) for run in view.completed)
        if v is not None and math.isfinite(v)
    ]
    if len(scores) >= 2:
        blocks.append(
            Figure(
                "summary-distribution",
                distribution_png(scores, view.metric_label),
                alt=f"histogram of {view.metric_label} over {len(scores)} completed runs",
                caption=f"{view.metric_label.capitalize()} of the {len(scores)} completed runs",
            )
        )
    blocks.extend(_spec_blocks(view))
    return Section("summary", "Summary", tuple(blocks))


def _spec_blocks(view: SweepView) -> list[Block]:
    """The spec the sweep was created with, then each spec that extended it, with when it was submitted."""
    sweep, extensions = view.sweep, view.extensions
    later = ""
    if extensions:
        specs = "spec that" if len(extensions) == 1 else f"{len(extensions)} specs that"
        later = f", then the {specs} extended it (mnistq submit --extend)"
    blocks: list[Block] = [Paragraph(f"The sweep spec as submitted{later}:"), Code(_json(sweep.spec))]
    for number, extension in enumerate(extensions, start=1):
        name = extension.spec.get("name")
        named = f" “{name}”" if isinstance(name, str) and name != sweep.name else ""
        blocks.append(
            Paragraph(f"Extension {number}{named}, submitted {extension.submitted_at:%Y-%m-%d %H:%M:%S} UTC:")
        )
        blocks.append(Code(_json(extension.spec)))
    return blocks


def _json(spec: object) -> str:
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False)


def _timing_rows(view: SweepView) -> tuple[tuple[str, str], ...]:
    counts = view.counts
    span = None
    if counts.first_started_at is not None and counts.last_finished_at is not None:
        span = (counts.last_finished_at - counts.first_started_at).total_seconds()
    return (
        ("total training time (finished runs)", fmt_seconds(counts.total_train_seconds)),
        ("mean per finished run", fmt_seconds(counts.mean_train_seconds)),
        ("mean per epoch", fmt_seconds(counts.mean_epoch_seconds)),
        ("wall clock, first start to last finish", fmt_seconds(span)),
    )


def _best_run_line(view: SweepView) -> Paragraph | Note:
    best = view.best
    if best is None:
        return Note(f"No completed run with a {view.metric_label} yet: there is no best run.")
    return Paragraph(
        f"Best run: run {best.id} ({best.engine}), {view.metric_label} {fmt_acc(metric_of(best, view.metric))}, "
        f"test accuracy {fmt_acc(best.test_acc)}, trained in {fmt_seconds(best.train_seconds)}."
    )
