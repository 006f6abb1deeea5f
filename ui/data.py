"""What the pages and the JSON endpoints show, read from the store as plain JSON-ready dicts.

Every function takes a Session (the endpoint's one `session_scope`) and never writes. Numbers stay numbers
(NaN and infinities become null): the browser formats them. Stored strings are passed as they are and escaped
where they are shown (Jinja2's autoescape, `textContent` in the scripts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from adaptive import SearchPlan
from core.errors import UserError
from db import EpochRecord, RunRecord, SweepRecord
from db.export import finite_or_none, rungs_json
from db.queries import (
    count_runs,
    get_sweep,
    leaderboard,
    list_runs,
    remaining_epochs,
    run_histories,
    rung_summaries,
    sweep_counts,
    sweep_decisions,
)
from db.status import RUNNING

PAGE_SIZE = 50  # leaderboard rows per page
DEFAULT_ORDER = "-val_acc"
CHARTED_BEST = 5  # learning curves: the best completed runs ...
CHARTED_RUNNING = 10  # ... and up to this many running ones
ROW_METRICS = ("val_acc", "val_loss", "test_acc", "train_seconds", "best_epoch")
DEFAULT_COLUMNS = ("hidden", "learning_rate", "batch_size")


class PageError(UserError):
    """A query parameter the dashboard cannot serve (a page past the end, a malformed number): a 4xx page."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def sweep_summary(session: Session, sweep: SweepRecord) -> dict[str, Any]:
    """A sweep's line on the sweeps page: counts, progress, throughput, ETA and best val accuracy."""
    counts = sweep_counts(session, sweep.id)
    best = leaderboard(session, sweep.id, k=1)
    eta = None if counts.settled else counts.eta_seconds(remaining_epochs(session, sweep.id))
    return {
        "id": sweep.id,
        "name": sweep.name,
        "created_at": sweep.created_at.isoformat(timespec="seconds"),
        "strategy": SearchPlan.of_spec(sweep.spec).strategy,
        "cancelled": sweep.cancelled,
        "counts": dict(counts.by_status),
        "total": counts.total,
        "finished": counts.finished,
        "settled": counts.settled,
        "progress": counts.finished / counts.total if counts.total else 1.0,
        "runs_per_minute": finite_or_none(counts.runs_per_minute),
        "eta_seconds": finite_or_none(eta),
        "best_val_acc": finite_or_none(best[0].val_acc) if best else None,
        "best_run": best[0].id if best else None,
    }


def shown_columns(sweep: SweepRecord) -> tuple[str, ...]:
    """The config keys the leaderboard shows: the sweep's grid axes (its [grid] and [random] keys)."""
    spec = sweep.spec
    keys = [k for section in ("grid", "random") for k in (spec.get(section) or {}) if k != "engine"]
    return tuple(dict.fromkeys(keys)) or DEFAULT_COLUMNS


def run_row(run: RunRecord, columns: Sequence[str]) -> dict[str, Any]:
    """A leaderboard row: id, engine, status, attempts, the shown config keys and the final metrics."""
    return {
        "id": run.id,
        "engine": run.engine,
        "status": run.status,
        "attempts": run.attempts,
        "params": {key: json_value(run.config.get(key)) for key in columns},
        **{metric: finite_or_none(getattr(run, metric)) for metric in ROW_METRICS},
    }


def leaderboard_page(
    session: Session, sweep: SweepRecord, *, where: str | None, order: str, page: int
) -> dict[str, Any]:
    """One page of the sweep's runs under the filter `where` (the `mnistq runs --where` language) and `order`.

    FilterError (a one-line reason) for a malformed filter or sort key; PageError for a page past the end.
    """
    if page < 1:
        raise PageError(f"page = {page}: expected a page number from 1")
    total = count_runs(session, sweep_id=sweep.id, where=where)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if page > pages:
        raise PageError(
            f"page {page} is past the end: {total} run{'s' * (total != 1)} match, on {pages} "
            f"page{'s' * (pages != 1)} of {PAGE_SIZE}", status=404,
        )
    runs = list_runs(session, sweep_id=sweep.id, where=where, order_by=order, limit=PAGE_SIZE,
                     offset=(page - 1) * PAGE_SIZE)
    columns = shown_columns(sweep)
    return {
        "where": where or "",
        "order": order,
        "page": page,
        "pages": pages,
        "total": total,
        "columns": list(columns),
        "rows": [run_row(run, columns) for run in runs],
    }


def charted_runs(session: Session, sweep_id: int) -> list[RunRecord]:
    """The runs whose learning curves the sweep page draws: the best completed ones and the running ones."""
    best = leaderboard(session, sweep_id, k=CHARTED_BEST)
    running = list_runs(session, sweep_id=sweep_id, where=f"status = '{RUNNING}'", order_by="id",
                        limit=CHARTED_RUNNING)
    return list({run.id: run for run in [*best, *running]}.values())


def curves(session: Session, runs: Sequence[RunRecord]) -> list[dict[str, Any]]:
    """Learning curves of `runs`: per run its id, status, engine and epochs (1-based) with their metrics."""
    histories = run_histories(session, [run.id for run in runs])
    return [
        {"id": run.id, "status": run.status, "engine": run.engine,
         "epochs": [epoch_point(e) for e in histories[run.id]]}
        for run in runs
    ]


def epoch_point(epoch: EpochRecord) -> dict[str, Any]:
    """One epoch as the charts take it (NaN and infinities as null)."""
    return {key: finite_or_none(value) for key, value in asdict(epoch).items()}


def rungs(session: Session, sweep: SweepRecord) -> dict[str, Any] | None:
    """An adaptive sweep's plan and its rungs (arrived, kept, pruned, diverged, cutoff); None for a grid."""
    plan = SearchPlan.of_spec(sweep.spec)
    if not plan.adaptive:
        return None
    summaries = rung_summaries(sweep_decisions(session, sweep.id))
    return {
        "strategy": plan.strategy,
        "metric": plan.metric,
        "rungs": rungs_json(summaries),
    }


def sweep_page(session: Session, sweep_id: int, *, where: str | None, order: str, page: int) -> dict[str, Any]:
    """The leaderboard page and curves the sweep page draws first (its summary and rungs come from
    ui.summaries); its script then asks for changes only."""
    sweep = get_sweep(session, sweep_id)
    return {
        "board": leaderboard_page(session, sweep, where=where, order=order, page=page),
        "curves": curves(session, charted_runs(session, sweep_id)),
    }


def json_value(value: Any) -> Any:
    """A config value for JSON: lists (hidden widths) as "256,128", non-finite floats as null."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return finite_or_none(value)
