"""Turning a validated spec into stored runs: check its data files, create (or extend) the sweep, deduplicated
by config hash."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from adaptive import SearchPlan, shuffled, spec_seed
from core.errors import DataError
from core.text import printable
from db import NewRun
from db.queries import add_runs, create_sweep, get_sweep
from model.config import DATASET_PREFIXES, TrainConfig
from scheduler.rungs_view import plan_text
from scheduler.spec import SweepSpec
from scheduler.spec_errors import SpecError

if TYPE_CHECKING:  # model.data (NumPy) is imported only by the dataset check: `mnistq status` stays fast
    from model.data.raw import RawDataset


@dataclass(frozen=True)
class Submitted:
    """What a submission stored. `to_train` pairs each run that needs training with its engine (queue)."""

    sweep_id: int
    sweep_name: str  # the stored sweep's name (an extended sweep keeps its own)
    runs: int  # runs the spec asked for
    new: int  # will train (new configs, or failed/cancelled ones requeued)
    reused: int  # already stored (completed, or queued/running for another sweep)
    to_train: tuple[tuple[int, str], ...]


def check_datasets(spec: SweepSpec, *, queue: bool) -> list[str]:
    """Read every idx:/csv: dataset of `spec` (each with its label_column) with the loaders training uses, so
    a malformed file fails here, before anything is stored, with the one line `mnistq train` would print.
    Returns warnings (one line each); raises SpecError.

    In queue mode the workers read the path on their own hosts: a path missing here is only a warning, and
    so is a relative one (each worker resolves it in its own working directory). A path that exists here is
    checked either way. Locally, a missing path is an error.
    """
    groups: dict[tuple[str, str], list[TrainConfig]] = {}
    for config in spec.configs:
        if config.dataset.startswith(DATASET_PREFIXES):
            groups.setdefault((config.dataset, config.label_column or ""), []).append(config)
    if not groups:
        return []
    from model.data.specs import parse_spec  # the data package (NumPy) only when there is a file to check

    warnings: list[str] = []
    for (dataset, _), configs in sorted(groups.items()):
        where = f"{spec.source}: dataset = {dataset!r}"
        path = parse_spec(dataset).path
        relative = queue and not path.is_absolute()
        if not path.exists():
            if not queue:
                raise SpecError(f"{where}: {path} does not exist")
            note = "; a relative path, resolved in each worker's working directory" if relative else ""
            warnings.append(f"{where}: {path} does not exist here: workers read it on their own host{note}")
            continue
        if relative:
            warnings.append(f"{where}: a relative path: each worker resolves it in its own working directory")
        try:
            _check_dataset(dataset, configs)
        except DataError as exc:
            raise SpecError(f"{spec.source}: {exc}") from None
    return [printable(w) for w in dict.fromkeys(warnings)]


def _check_dataset(dataset: str, configs: Sequence[TrainConfig]) -> None:
    """Load `dataset` as `prepare` does and split it as each config would (every class must reach the
    training split). DataError naming the file, line or class."""
    from model.data.specs import load_raw
    from model.data.splits import split

    raw = load_raw(dataset, configs[0].label_column)
    labels = _labels_only(raw)
    for seed, val_fraction, test_fraction in sorted({(c.seed, c.val_fraction, c.test_fraction) for c in configs}):
        split(labels, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)


def _labels_only(raw: RawDataset) -> RawDataset:
    """`raw` with one zero pixel per image: `split` chooses its indices from the labels alone, so checking
    many seeds costs no copies of the images."""
    import numpy as np

    from model.data.raw import RawDataset

    def blank(y: np.ndarray) -> np.ndarray:
        return np.zeros((len(y), 1), dtype=np.uint8)

    test_x = None if raw.test_y is None else blank(raw.test_y)
    return RawDataset(name=raw.name, x=blank(raw.y), y=raw.y, image_shape=(1, 1), test_x=test_x, test_y=raw.test_y)


def store_sweep(session: Session, spec: SweepSpec, *, extend: int | None = None) -> Submitted:
    """Create a sweep for `spec` (or add its missing configs to sweep `extend`). Configs already stored
    are linked, not trained again; failed or cancelled ones are queued again."""
    new_runs = [NewRun(engine=c.engine, config=c.to_dict(), config_hash=c.config_hash()) for c in spec.configs]
    if extend is not None:
        _check_same_plan(spec, extend, SearchPlan.of_spec(get_sweep(session, extend).spec))
    if extend is None:
        created = create_sweep(session, spec.name, spec.spec, new_runs)
    else:
        created = add_runs(session, extend, new_runs, spec=spec.spec)  # recorded as one of the sweep's extensions
    # run_ids follow the request's order, and the spec holds no duplicate hashes: pair them up
    engine_of = dict(zip(created.run_ids, (c.engine for c in spec.configs), strict=True))
    to_train = tuple((run_id, engine_of[run_id]) for run_id in created.new_ids)
    if spec.plan.adaptive:
        # in sorted grid order the first runs to reach a rung would be near-identical configs, judged against
        # each other; a shuffle seeded from the spec spreads them, and submitting the spec again repeats it
        to_train = tuple(shuffled(to_train, spec_seed(spec.spec)))
    return Submitted(
        sweep_id=created.sweep.id,
        sweep_name=created.sweep.name,
        runs=len(created.run_ids),
        new=len(created.new_ids),
        reused=len(created.reused_ids),
        to_train=to_train,
    )


def _check_same_plan(spec: SweepSpec, sweep_id: int, plan: SearchPlan) -> None:
    """An extension follows its sweep's [search] plan; a spec asking for another one would be ignored."""
    if spec.plan != plan:
        raise SpecError(
            f"{spec.source}: search = {plan_text(spec.plan)}: expected sweep {sweep_id}'s own plan, "
            f"{plan_text(plan)} (an extension is judged by its sweep's plan)"
        )


def extension_notice(spec: SweepSpec, submitted: Submitted) -> str | None:
    """One line when `submit --extend` adds a spec of another name to a sweep (the sweep keeps its name; the
    report lists the spec among the sweep's extensions). None when the names agree."""
    if spec.name == submitted.sweep_name:
        return None
    return printable(
        f"mnistq: note: spec {spec.name!r} ({spec.source}) extends sweep {submitted.sweep_id} "
        f"{submitted.sweep_name!r}, which keeps its name; the report lists every extension"
    )
