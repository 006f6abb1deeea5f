"""Finding runs: filtered, ordered listings and per-sweep leaderboards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from db.errors import UserError
from db.filters import parse_order, parse_where
from db.models import Run, SweepRun
from db.queries.bulk import match_any
from db.queries.rows import core_rows, get_sweep, run_record, select_runs
from db.records import RunRecord
from db.status import COMPLETED

# leaderboard metrics and whether larger is better
RANKING_METRICS = {
    "val_acc": True,
    "test_acc": True,
    "train_acc": True,
    "val_loss": False,
    "test_loss": False,
    "train_loss": False,
    "train_seconds": False,
}


def list_runs(
    session: Session,
    *,
    sweep_id: int | None = None,
    where: str | None = None,
    order_by: str = "id",
    limit: int | None = None,
    offset: int = 0,
) -> list[RunRecord]:
    """Runs matching the `where` filter (see db.filters), optionally only sweep `sweep_id`'s, sorted by
    `order_by` ("field", "-field" for descending, comma-separated; ties broken by id).

    FilterError for a malformed filter or sort key; NotFoundError for an unknown sweep.
    """
    order = [*parse_order(order_by), Run.id]
    if limit is not None or offset:
        # sort (and skip) the narrow ids, then read only the page's full rows: on SQLite, sorting a 10,000-run
        # sweep's wide rows to skip 7,450 of them took ~90 ms, the ids alone ~13 ms
        page = _filtered(select(Run.id), session, sweep_id, where).order_by(*order).offset(offset).limit(limit)
        found = page.subquery()
        statement = select_runs().join(found, found.c.id == Run.id).order_by(*order)
    else:
        statement = _filtered(select_runs(), session, sweep_id, where).order_by(*order)
    return [run_record(row) for row in core_rows(session, statement).all()]


def run_engines(session: Session, run_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(run id, engine) for each of `run_ids` that exists, in the given order: what sending runs to their
    engine's queue needs, in one query per chunk instead of one per run."""
    engines: dict[int, str] = {}
    for condition in match_any(session, Run.id, list(run_ids)):
        engines.update((run_id, engine) for run_id, engine in session.execute(select(Run.id, Run.engine).where(condition)))
    return [(run_id, engines[run_id]) for run_id in run_ids if run_id in engines]


def count_runs(session: Session, *, sweep_id: int | None = None, where: str | None = None) -> int:
    """How many runs `list_runs` would return without a limit."""
    statement = _filtered(select(func.count()).select_from(Run), session, sweep_id, where)
    return session.execute(statement).scalar_one()


def leaderboard(session: Session, sweep_id: int, k: int = 20, metric: str = "val_acc") -> list[RunRecord]:
    """Sweep `sweep_id`'s `k` best completed runs by `metric` (accuracies descending, losses and
    train_seconds ascending; runs without the metric, or with NaN, are left out; ties by id)."""
    if metric not in RANKING_METRICS:
        raise UserError(f"cannot rank by {metric!r}: expected one of {', '.join(RANKING_METRICS)}")
    get_sweep(session, sweep_id)
    column = getattr(Run, metric)
    statement = (
        select_runs()
        .join(SweepRun, SweepRun.run_id == Run.id)
        .where(SweepRun.sweep_id == sweep_id, Run.status == COMPLETED, column.is_not(None))
        .order_by(column.desc() if RANKING_METRICS[metric] else column.asc(), Run.id)
        .limit(k)
    )
    return [run_record(row) for row in core_rows(session, statement).all()]


def _filtered(
    statement: Select[Any], session: Session, sweep_id: int | None, where: str | None
) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = []
    if where is not None:
        conditions.append(parse_where(where))
    if sweep_id is not None:
        get_sweep(session, sweep_id)
        conditions.append(Run.id.in_(select(SweepRun.run_id).where(SweepRun.sweep_id == sweep_id)))
    return statement.where(*conditions)
