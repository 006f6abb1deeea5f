"""What changed since a cursor: for a live page that renders once, then asks only for what is new.

    cursor = change_cursor(session)            # before reading what the page shows
    ... render ...
    changes = sweep_changes(session, sweep_id, since=cursor)
    cursor = changes.cursor                    # give it back next time

Rows carry a `change_seq` stamped by database triggers (migration 0006 explains both backends); a row changed
since cursor C has `change_seq >= C`. Each call reads its new cursor BEFORE the data, so a write still in
progress then is found by the next call once committed: a row may come twice, never be lost.

A run changes when its row is written (but for a heartbeat) or when a sweep links it (`sweep_runs`: a sweep
made only of reused runs finds them; the other sweeps holding them get them again); a sweep when it is
created, cancelled or extended (its own row: `SweepChanges.sweep_changed`, and `changed_sweeps`).

Not tracked: deletions. The truncated epochs remain on a page: truncate_history drops the epochs past the
checkpoint at the start of an attempt, always just after the claim starting it, which stamps the run (its
status and attempts change), so a page redraws the whole curve of a run claimed again rather than patch it.
Nor the tables around a sweep (sweep_extensions, rung_decisions, artifacts): an extension writes the sweep's
row, and a decision pruning a run its status; a decision keeping one is seen only by a reload.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal_column, select, text
from sqlalchemy.orm import Session

from db.models import EpochMetric, Run, Sweep, SweepRun
from db.queries.rows import EPOCH_COLUMNS, core_rows, epoch_record, get_sweep, run_record, select_runs
from db.records import SweepChanges
from db.status import COMPLETED

# PostgreSQL: the oldest transaction still in progress (or the next one, if none is); SQLite: the next stamp.
_CURSOR = {
    "postgresql": text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"),
    "sqlite": text("SELECT seq + 1 FROM change_clock WHERE id = 1"),
}


def change_cursor(session: Session) -> int:
    """"Now", as a cursor: read it before the data a page renders, and pass it as `since` next time."""
    return int(session.execute(_CURSOR[session.get_bind().dialect.name]).scalar_one())


def sweep_changes(
    session: Session, sweep_id: int, since: int, *, max_runs: int = 1000, max_epochs: int = 5000
) -> SweepChanges:
    """The member runs of sweep `sweep_id` changed since cursor `since` (by id), and the epochs of its member
    runs written since then (by run, epoch), with the cursor to ask from next time; `sweep_changed` when the
    sweep's own row did (its summary needs redrawing).

    More than `max_runs` runs or `max_epochs` epochs make the answer `truncated`, with no runs or epochs in
    it: reload the page instead. NotFoundError for an unknown sweep."""
    cursor = change_cursor(session)
    get_sweep(session, sweep_id)
    sweep_changed = bool(session.execute(select(Sweep.change_seq >= since).where(Sweep.id == sweep_id)).scalar_one())
    run_id, epoch_run_id = _unindexed(session, Run.id), _unindexed(session, EpochMetric.run_id)
    runs = core_rows(
        session,
        select_runs()
        .join(SweepRun, SweepRun.run_id == run_id)
        .where(SweepRun.sweep_id == sweep_id, Run.change_seq >= since)
        .order_by(run_id)
        .limit(max_runs + 1),
    ).all()
    if len(runs) > max_runs:
        return SweepChanges(cursor=cursor, runs=(), epochs=(), truncated=True, sweep_changed=sweep_changed)
    epochs = core_rows(
        session,
        select(*EPOCH_COLUMNS)
        .join(SweepRun, SweepRun.run_id == epoch_run_id)
        .where(SweepRun.sweep_id == sweep_id, EpochMetric.change_seq >= since)
        .order_by(epoch_run_id, EpochMetric.epoch)
        .limit(max_epochs + 1),
    ).all()
    if len(epochs) > max_epochs:
        return SweepChanges(cursor=cursor, runs=(), epochs=(), truncated=True, sweep_changed=sweep_changed)
    return SweepChanges(
        cursor=cursor,
        runs=tuple(run_record(row) for row in runs),
        epochs=tuple(epoch_record(row) for row in epochs),
        truncated=False,
        sweep_changed=sweep_changed,
    )


def _unindexed(session: Session, column: Any) -> Any:
    """`column` as SQLite's planner may not join or sort by through an index (`column + 0`): without statistics it
    otherwise walks every row of the sweep in run id order (~150 ms for 500,000 epochs) instead of finding the
    few new ones through the change_seq index (~0.1 ms). PostgreSQL's planner has statistics: the plain column."""
    return column + literal_column("0") if session.get_bind().dialect.name == "sqlite" else column


def changed_sweeps(session: Session, since: int) -> tuple[int, tuple[int, ...]]:
    """(cursor, ids of the sweeps changed since `since`: created, cancelled or extended, or having a member run
    changed or linked, or an epoch of one written), ids ascending: what a sweeps list refreshes (its counts
    include epoch times)."""
    cursor = change_cursor(session)
    changed_runs = select(Run.id).where(Run.change_seq >= since)
    written_epochs = select(EpochMetric.run_id).where(EpochMetric.change_seq >= since)
    by_runs = select(SweepRun.sweep_id).where(SweepRun.run_id.in_(changed_runs.union(written_epochs)))
    by_rows = select(Sweep.id).where(Sweep.change_seq >= since)
    statement = by_runs.union(by_rows).order_by("sweep_id")
    return cursor, tuple(session.execute(statement).scalars())


def completed_state(session: Session, sweep_id: int) -> tuple[int, int]:
    """(how many, the newest change stamp) of sweep `sweep_id`'s completed runs. What is computed over them
    alone (hyperparameter effects, engine pairs) is the same while this is: a run completing, completing
    again or leaving `completed` changes one of the two."""
    count, newest = session.execute(
        select(func.count(), func.coalesce(func.max(Run.change_seq), 0))
        .join(SweepRun, SweepRun.run_id == Run.id)
        .where(SweepRun.sweep_id == sweep_id, Run.status == COMPLETED)
    ).one()
    return int(count), int(newest)
