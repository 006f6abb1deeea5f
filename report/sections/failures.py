"""8. Failures: failed, diverged and cancelled runs with their errors."""

from __future__ import annotations

from db.status import CANCELLED, DIVERGED, FAILED
from report.data import SweepView
from report.document import Note, Paragraph, Section, Table
from report.formatting import DASH, fmt_params

MAX_ROWS = 200
FAILURE_STATUSES = (FAILED, DIVERGED, CANCELLED)


def failures_section(view: SweepView) -> Section:
    failed = [run for run in view.runs if run.status in FAILURE_STATUSES]
    if not failed:
        return _section(Paragraph("No failed, diverged or cancelled runs."))
    counts = ", ".join(f"{sum(r.status == s for r in failed)} {s}" for s in FAILURE_STATUSES)
    rows = tuple(
        (
            str(run.id),
            run.status,
            run.engine,
            fmt_params(run.config, view.varied) or DASH,
            str(run.attempts),
            run.error or DASH,
        )
        for run in failed[:MAX_ROWS]
    )
    blocks: list = [
        Paragraph(f"{len(failed)} runs did not complete: {counts}."),
        Table(("run", "status", "engine", "params", "attempts", "error"), rows, numeric=frozenset({0, 4})),
    ]
    if len(failed) > MAX_ROWS:
        blocks.append(
            Note(f"{len(failed) - MAX_ROWS} more are left out; list them with `mnistq runs --where`.")
        )
    return _section(*blocks)


def _section(*blocks) -> Section:
    return Section("failures", "Failures", tuple(blocks))
