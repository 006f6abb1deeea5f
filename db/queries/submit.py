"""Submitting configs: create a sweep, or extend one, deduplicating runs by config hash.

A config hash is UNIQUE across the store. A config that already exists is linked to the sweep instead of being
inserted again ("reused"); if that run had failed or been cancelled it is queued again and counts as new, and
so is a pruned run that this sweep did not prune itself (it resumes from its checkpoint).
Inserts use ON CONFLICT DO NOTHING, so two submissions racing on the same config both end up linked to a
single run. 10,000 runs go in a few batched statements, in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db.models import Run, RungDecision, Sweep, SweepExtension, SweepRun
from db.queries.bulk import insert_rows, match_any
from db.queries.rows import RUN_TABLE, SWEEP_TABLE, get_sweep, requeue_values
from db.records import NewRun, SweepCreated, SweepExtensionRecord
from db.status import KEPT, PRUNED, QUEUED, REQUEUEABLE
from db.types import utcnow

_HASH = re.compile(r"[0-9a-f]{64}")
COPIED_KEYS = (
    "dataset",
    "learning_rate",
    "batch_size",
    "epochs",
    "optimizer",
    "activation",
    "l2",
    "momentum",
    "seed",
    "dropout",
    "lr_schedule",
    "lr_step_epochs",
    "lr_gamma",
    "patience",
    "augment_shift",
    "dtype",
    "val_fraction",
    "test_fraction",
    "label_column",
)


def create_sweep(
    session: Session, name: str, spec: Mapping[str, Any], runs: Sequence[NewRun]
) -> SweepCreated:
    """Insert a sweep named `name` holding `runs` (its `spec` stored as submitted)."""
    now = utcnow()
    sweep_id = session.execute(
        insert(SWEEP_TABLE)
        .values(name=name, spec=dict(spec), created_at=now, cancelled=False)
        .returning(Sweep.id)
    ).scalar_one()
    return _link_runs(session, sweep_id, runs, now)


def add_runs(
    session: Session, sweep_id: int, runs: Sequence[NewRun], *, spec: Mapping[str, Any] | None = None
) -> SweepCreated:
    """Extend sweep `sweep_id` with `runs` (`submit --extend`): only hashes not yet in the store are inserted.

    Every extension is recorded with its `spec` as submitted (see `sweep_extensions`); the sweep keeps its
    name and first spec. Extending a cancelled sweep reopens it. NotFoundError if the sweep does not exist.
    """
    get_sweep(session, sweep_id)
    now = utcnow()
    session.execute(update(SWEEP_TABLE).where(Sweep.id == sweep_id).values(cancelled=False))
    session.execute(
        insert(SweepExtension.__table__).values(sweep_id=sweep_id, spec=dict(spec or {}), submitted_at=now)
    )
    return _link_runs(session, sweep_id, runs, now)


def sweep_extensions(session: Session, sweep_id: int) -> list[SweepExtensionRecord]:
    """The specs added to sweep `sweep_id` by `submit --extend`, oldest first (empty if it was never extended)."""
    table = SweepExtension.__table__
    rows = session.execute(select(table).where(table.c.sweep_id == sweep_id).order_by(table.c.id)).mappings()
    return [SweepExtensionRecord(**row) for row in rows]


def config_columns(config: Mapping[str, Any]) -> dict[str, Any]:
    """The typed filter columns copied out of a config dict (None for keys it lacks): hidden as "256,128,64"
    and its depth, plus the keys in COPIED_KEYS as they are."""
    widths = _widths(config.get("hidden"))
    nesterov = config.get("nesterov")
    return {
        **{key: config.get(key) for key in COPIED_KEYS},
        "nesterov": None if nesterov is None else int(bool(nesterov)),
        "hidden": None if widths is None else ",".join(str(width) for width in widths),
        "depth": None if widths is None else len(widths),
    }


def _widths(hidden: Any) -> list[int] | None:
    if hidden is None:
        return None
    if isinstance(hidden, str):
        return [int(part) for part in hidden.split(",") if part.strip()]
    return [int(width) for width in hidden]


def _link_runs(session: Session, sweep_id: int, runs: Sequence[NewRun], now: datetime) -> SweepCreated:
    wanted = _unique_by_hash(runs)
    existing = _existing(session, list(wanted))
    inserted = _insert_missing(session, sweep_id, [r for h, r in wanted.items() if h not in existing], now)
    raced = [h for h in wanted if h not in existing and h not in inserted]
    existing.update(_existing(session, raced))  # inserted by a concurrent submission meanwhile
    again = [run_id for run_id, status in existing.values() if status in REQUEUEABLE]
    again += _pruned_by_others(session, sweep_id, [run_id for run_id, status in existing.values() if status == PRUNED])
    requeued = _requeue(session, again)
    run_ids = [inserted[h] if h in inserted else existing[h][0] for h in wanted]
    _insert_membership(session, sweep_id, run_ids)
    new = set(inserted.values()) | set(requeued)
    return SweepCreated(
        sweep=get_sweep(session, sweep_id),
        run_ids=tuple(run_ids),
        new_ids=tuple(i for i in run_ids if i in new),
        reused_ids=tuple(i for i in run_ids if i not in new),
    )


def _unique_by_hash(runs: Sequence[NewRun]) -> dict[str, NewRun]:
    wanted: dict[str, NewRun] = {}
    for run in runs:
        if not _HASH.fullmatch(run.config_hash):
            raise ValueError(f"config_hash {run.config_hash!r} is not a lowercase SHA-256 hex digest")
        wanted.setdefault(run.config_hash, run)
    return wanted


def _existing(session: Session, hashes: Sequence[str]) -> dict[str, tuple[int, str]]:
    """config hash -> (run id, status) for the hashes already stored."""
    found: dict[str, tuple[int, str]] = {}
    for condition in match_any(session, Run.config_hash, hashes):
        rows = session.execute(select(Run.config_hash, Run.id, Run.status).where(condition))
        found.update({h: (run_id, status) for h, run_id, status in rows})
    return found


def _insert_missing(session: Session, sweep_id: int, runs: Sequence[NewRun], now: datetime) -> dict[str, int]:
    """Insert `runs` as queued; config hash -> new id (a hash inserted concurrently elsewhere is skipped)."""
    rows = [_run_row(sweep_id, run, now) for run in runs]
    returned = insert_rows(
        session, RUN_TABLE, rows, skip_conflicts_on=["config_hash"], returning=[Run.config_hash, Run.id]
    )
    return {config_hash: run_id for config_hash, run_id in returned}


def _run_row(sweep_id: int, run: NewRun, now: datetime) -> dict[str, Any]:
    return {
        "sweep_id": sweep_id,
        "engine": run.engine,
        "config": dict(run.config),
        "config_hash": run.config_hash,
        "created_at": now,
        **config_columns(run.config),
        "status": QUEUED,
        "cancel_requested": False,
        "attempts": 0,
        "nan_mask": 0,
    }


def _pruned_by_others(session: Session, sweep_id: int, run_ids: Sequence[int]) -> list[int]:
    """The pruned runs among `run_ids` that sweep `sweep_id` has not stopped itself: it wants them further, so
    they resume from their checkpoints (an extension of the sweep that pruned a run leaves it pruned)."""
    stopped: set[int] = set()
    for condition in match_any(session, RungDecision.run_id, run_ids):
        rows = session.execute(
            select(RungDecision.run_id).where(
                condition, RungDecision.sweep_id == sweep_id, RungDecision.verdict != KEPT
            )
        )
        stopped.update(rows.scalars())
    return [run_id for run_id in run_ids if run_id not in stopped]


def _requeue(session: Session, run_ids: Sequence[int]) -> list[int]:
    """Put failed/cancelled runs, and pruned runs another sweep wants further, back on the queue with a fresh
    attempt budget; returns the ids changed."""
    changed: list[int] = []
    for condition in match_any(session, Run.id, run_ids):
        statement = (
            update(RUN_TABLE)
            .where(condition, Run.status.in_((*REQUEUEABLE, PRUNED)))
            .values(requeue_values())
            .returning(Run.id)
        )
        changed.extend(session.execute(statement).scalars())
    return changed


def _insert_membership(session: Session, sweep_id: int, run_ids: Sequence[int]) -> None:
    rows = [{"sweep_id": sweep_id, "run_id": run_id} for run_id in run_ids]
    insert_rows(session, SweepRun.__table__, rows, skip_conflicts_on=["sweep_id", "run_id"])
