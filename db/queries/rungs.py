"""Adaptive sweeps' rung tables: the decisions of ASHA and median stopping, one per (sweep, run, rung).

A worker judging run R at rung epoch E for sweep S reads the results other runs recorded at (S, E) and writes
its own decision in the same transaction as the epoch itself, so a worker killed at any moment leaves no
state that only it knew. A decision is written once: a second writer (a redelivered task) gets the first one
back, and the run follows it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import RungDecision, Sweep, SweepRun
from db.queries.rows import dialect_insert
from db.records import Membership, RungDecisionRecord, RungSummary
from db.status import DIVERGED_VERDICT, KEPT, PRUNED_VERDICT
from db.types import utcnow

_TABLE = RungDecision.__table__
_FIELDS = tuple(RungDecisionRecord.__dataclass_fields__)


def run_memberships(session: Session, run_id: int) -> list[Membership]:
    """Every sweep holding run `run_id`, oldest first, with its spec's [search] table (None if it has none)."""
    rows = session.execute(
        select(Sweep.id, Sweep.spec)
        .join(SweepRun, SweepRun.sweep_id == Sweep.id)
        .where(SweepRun.run_id == run_id)
        .order_by(Sweep.id)
    )
    return [Membership(sweep_id=sweep_id, search=(spec or {}).get("search")) for sweep_id, spec in rows]


def run_decisions(session: Session, run_id: int) -> list[RungDecisionRecord]:
    """Every rung decision taken on run `run_id`, by sweep then rung."""
    rows = session.execute(
        select(_TABLE).where(_TABLE.c.run_id == run_id).order_by(_TABLE.c.sweep_id, _TABLE.c.rung)
    ).mappings()
    return [_record(row) for row in rows]


def sweep_decisions(session: Session, sweep_id: int) -> list[RungDecisionRecord]:
    """Every rung decision of sweep `sweep_id`, by rung then decision time."""
    rows = session.execute(
        select(_TABLE)
        .where(_TABLE.c.sweep_id == sweep_id)
        .order_by(_TABLE.c.rung, _TABLE.c.decided_at, _TABLE.c.run_id)
    ).mappings()
    return [_record(row) for row in rows]


def rung_results(session: Session, sweep_id: int, rung: int, *, other_than: int) -> list[float | None]:
    """What the other runs of sweep `sweep_id` reported at `rung` (None: a non-finite result)."""
    rows = session.execute(
        select(_TABLE.c.reported).where(
            _TABLE.c.sweep_id == sweep_id, _TABLE.c.rung == rung, _TABLE.c.run_id != other_than
        )
    )
    return [value for (value,) in rows]


def record_decision(session: Session, decision: RungDecisionRecord) -> RungDecisionRecord:
    """Store `decision` unless (sweep, run, rung) already holds one; return the decision that stands."""
    values = {name: getattr(decision, name) for name in _FIELDS}
    values.update(value=_finite(decision.value), reported=_finite(decision.reported), cutoff=_finite(decision.cutoff))
    values["decided_at"] = decision.decided_at or utcnow()
    insert = dialect_insert(session, _TABLE).values(**values)
    session.execute(insert.on_conflict_do_nothing(index_elements=["sweep_id", "run_id", "rung"]))
    row = session.execute(
        select(_TABLE).where(
            _TABLE.c.sweep_id == decision.sweep_id,
            _TABLE.c.run_id == decision.run_id,
            _TABLE.c.rung == decision.rung,
        )
    ).mappings().one()
    return _record(row)


def rung_summaries(decisions: Sequence[RungDecisionRecord]) -> list[RungSummary]:
    """Per rung, ascending: runs arrived, kept, pruned and diverged, and the latest decision's cutoff."""
    by_rung: dict[int, list[RungDecisionRecord]] = {}
    for decision in decisions:
        by_rung.setdefault(decision.rung, []).append(decision)
    summaries = []
    for rung in sorted(by_rung):
        rows = by_rung[rung]
        latest = max(rows, key=lambda d: (d.decided_at is not None, d.decided_at, d.run_id))
        summaries.append(
            RungSummary(
                rung=rung,
                arrived=len(rows),
                kept=sum(d.verdict == KEPT for d in rows),
                pruned=sum(d.verdict == PRUNED_VERDICT for d in rows),
                diverged=sum(d.verdict == DIVERGED_VERDICT for d in rows),
                cutoff=latest.cutoff,
            )
        )
    return summaries


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _record(row: object) -> RungDecisionRecord:
    return RungDecisionRecord(**{name: row[name] for name in _FIELDS})  # type: ignore[index]
