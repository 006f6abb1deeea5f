"""Turning a validated spec into stored runs: create (or extend) the sweep, deduplicated by config hash."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from db import NewRun
from db.queries import add_runs, create_sweep
from model.config import DATASET_PREFIXES
from scheduler.spec import SweepSpec
from scheduler.spec_errors import SpecError


@dataclass(frozen=True)
class Submitted:
    """What a submission stored. `to_train` pairs each run that needs training with its engine (queue)."""

    sweep_id: int
    runs: int  # runs the spec asked for
    new: int  # will train (new configs, or failed/cancelled ones requeued)
    reused: int  # already stored (completed, or queued/running for another sweep)
    to_train: tuple[tuple[int, str], ...]


def check_dataset_paths(spec: SweepSpec) -> None:
    """idx:DIR and csv:PATH datasets must exist on this machine before anything is stored."""
    for dataset in sorted({c.dataset for c in spec.configs}):
        for prefix in DATASET_PREFIXES:
            if dataset.startswith(prefix):
                path = Path(dataset[len(prefix) :].strip()).expanduser()
                if not path.exists():
                    raise SpecError(f"{spec.source}: dataset = {dataset!r}: {path} does not exist")


def store_sweep(session: Session, spec: SweepSpec, *, extend: int | None = None) -> Submitted:
    """Create a sweep for `spec` (or add its missing configs to sweep `extend`). Configs already stored
    are linked, not trained again; failed or cancelled ones are queued again."""
    new_runs = [NewRun(engine=c.engine, config=c.to_dict(), config_hash=c.config_hash()) for c in spec.configs]
    if extend is None:
        created = create_sweep(session, spec.name, spec.spec, new_runs)
    else:
        created = add_runs(session, extend, new_runs)
    # run_ids follow the request's order, and the spec holds no duplicate hashes: pair them up
    engine_of = dict(zip(created.run_ids, (c.engine for c in spec.configs), strict=True))
    to_train = tuple((run_id, engine_of[run_id]) for run_id in created.new_ids)
    return Submitted(
        sweep_id=created.sweep.id,
        runs=len(created.run_ids),
        new=len(created.new_ids),
        reused=len(created.reused_ids),
        to_train=to_train,
    )
