"""Grid specs: a TOML or JSON file that expands into the validated `TrainConfig`s of one sweep.

    name = "seed-replication"
    [fixed]
    dataset = "mnist-5k"
    [grid]
    engine = ["numpy", "sklearn"]
    learning_rate = [0.01, 0.05]

Expansion (like scikit-learn's ParameterGrid): the `[grid]` lists form a cartesian product over their SORTED
keys, the last key varying fastest. An optional `[random]` section draws `samples` points for every grid point
(its own draws per point by default, or the same draws for all with draws = "shared": see
scheduler.spec_random), in draw order. Each point is `[fixed]` + grid point + draw, over the `TrainConfig`
defaults, and goes through `TrainConfig.from_dict`. Points with the same `config_hash` (e.g. momentum values
under optimizer = "sgd", which canonicalise away) are dropped after the first; but an option that applies in
none of the sweep's configs (momentum when every run uses "sgd") is an error, not silently dropped.

An optional `[search]` section (see adaptive.plan) says how runs are pruned; it expands nothing, but its
min_epochs must not exceed any config's epochs.

The whole spec is checked before anything runs; each problem is one SpecError line naming the file, section,
key and value. A spec file must set at least one config key.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adaptive import SearchPlan
from core import settings
from core.errors import ConfigError
from model.config import Limits, TrainConfig, canonical_json_of, check_options_apply
from scheduler.spec_errors import SpecError, show
from scheduler.spec_file import read_spec_file
from scheduler.spec_random import PER_POINT, SHARED
from scheduler.spec_sections import SECTIONS, Sections, check_name, parse_sections

MAX_RUNS_ENV = "MNISTQ_MAX_GRID"
DEFAULT_MAX_RUNS: int = settings.BY_NAME[MAX_RUNS_ENV].default


@dataclass(frozen=True)
class SweepSpec:
    """A loaded, fully validated spec.

    `spec` is the parsed file as a JSON-able dict (with `name`, and a [random] section's `draws` mode, filled
    in; a [search] section is stored as `plan.to_dict()`, so `SearchPlan.from_dict(spec.get("search"))` is
    `plan`), for storage; expanding it again gives the same `configs`. `duplicates` counts the expanded points
    dropped as repeats of an earlier config. `plan` is the [search] section's (the grid plan without one).
    """

    name: str
    source: str
    spec: dict[str, Any]
    configs: tuple[TrainConfig, ...]
    duplicates: int = 0
    plan: SearchPlan = SearchPlan()


@dataclass(frozen=True)
class Expansion:
    """The distinct configs of a spec, in expansion order, how many repeated points were dropped, and the
    spec's search plan."""

    configs: tuple[TrainConfig, ...]
    duplicates: int
    plan: SearchPlan = SearchPlan()


def load_spec(path: str | Path, *, max_runs: int | None = None) -> SweepSpec:
    """Read, validate and expand the spec at `path` (.toml or .json). Raises SpecError on any problem.

    `max_runs` caps the expansion (before deduplication); None means $MNISTQ_MAX_GRID, else 10,000.
    """
    path = Path(path)
    source = str(path)
    spec = with_draw_mode(read_spec_file(path))
    expansion = expand_counted(spec, source, max_runs)
    if not any(spec.get(section) for section in SECTIONS):  # a stored spec may be empty: only files are refused
        raise SpecError(
            f"{source}: the spec sets no config key: expected a [fixed], [grid] or [random] section, e.g. "
            "[fixed] epochs = 10 (an empty spec would train the defaults by accident)"
        )
    name = spec["name"] if "name" in spec else _name_from_stem(path, source)
    stored = {**spec, "name": name}
    if "search" in spec:  # normalised: the worker reads the plan back with SearchPlan.from_dict
        stored["search"] = expansion.plan.to_dict()
    return SweepSpec(
        name=name,
        source=source,
        spec=stored,
        configs=expansion.configs,
        duplicates=expansion.duplicates,
        plan=expansion.plan,
    )


def with_draw_mode(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` with its [random] section's draw mode spelled out: per-point unless the file asks for shared.

    Stored with the sweep, the mode keeps re-expansion exact; a stored spec without it predates the modes.
    """
    table = spec.get("random")
    if not isinstance(table, Mapping) or "draws" in table:
        return spec  # no [random], or the file chose (a malformed table is reported by the expansion)
    return {**spec, "random": {**table, "draws": PER_POINT}}


def _name_from_stem(path: Path, source: str) -> str:
    """A spec without `name` is named after its file, which must then make a valid name."""
    return check_name(
        path.stem, source, what=f"the file name {show(path.stem)} (the sweep's name when the spec sets none)",
        hint=' (or set name = "..." in the spec)',
    )


def expand(spec: Mapping[str, Any], source: str, max_runs: int | None = None) -> tuple[TrainConfig, ...]:
    """The distinct configs of a parsed spec, in expansion order. `source` names the spec in error messages."""
    return expand_counted(spec, source, max_runs).configs


def expand_counted(spec: Mapping[str, Any], source: str, max_runs: int | None = None) -> Expansion:
    """`expand`, also counting the dropped duplicates."""
    sections = parse_sections(spec, source)
    limit = resolve_max_runs(max_runs)
    if sections.size > limit:
        raise SpecError(
            f"{source}: [grid] and [random] expand to {sections.size:,} runs: expected at most {limit:,} "
            f"(raise it with --max-runs or {MAX_RUNS_ENV})"
        )
    limits = Limits.from_env()
    seen: set[str] = set()
    configs: list[TrainConfig] = []
    for point in _points(sections, source, limits):
        config = _config(sections, point, source, limits)
        digest = config.config_hash()
        if digest not in seen:
            seen.add(digest)
            configs.append(config)
    _check_options_apply(sections, configs, source)
    _check_grace_period(sections.plan, configs, source)
    return Expansion(configs=tuple(configs), duplicates=sections.size - len(configs), plan=sections.plan)


def _check_grace_period(plan: SearchPlan, configs: list[TrainConfig], source: str) -> None:
    """search.min_epochs beyond a config's epochs would judge runs that ended before their grace period did;
    and the rules need a validation split in every run."""
    if not plan.adaptive or not configs:
        return
    without_val = [config for config in configs if config.val_fraction <= 0]
    if without_val:  # the rules judge the validation metric: without that split every run would score worst
        raise SpecError(
            f"{source}: val_fraction = {without_val[0].val_fraction} in {len(without_val)} of the spec's runs: "
            f"expected a validation split (val_fraction > 0) for search.metric = {plan.metric!r}"
        )
    fewest = min(config.epochs for config in configs)
    if plan.min_epochs > fewest:
        raise SpecError(
            f"{source}: search.min_epochs = {plan.min_epochs}: expected at most the fewest epochs of the spec's "
            f"runs ({fewest})"
        )


def resolve_max_runs(max_runs: int | None, env: Mapping[str, str] = os.environ) -> int:
    """The expansion cap: `max_runs` if given, else $MNISTQ_MAX_GRID, else DEFAULT_MAX_RUNS."""
    if max_runs is not None:
        if isinstance(max_runs, bool) or not isinstance(max_runs, int) or max_runs < 1:
            raise SpecError(f"max_runs = {max_runs!r}: expected a positive integer")
        return max_runs
    return settings.read(MAX_RUNS_ENV, env)


def _points(sections: Sections, source: str, limits: Limits) -> Iterator[dict[str, Any]]:
    """Each run's spec-set values: [fixed] + grid point + random draw, in expansion order."""
    keys = list(sections.grid)
    space = sections.random
    shared = space.draw() if space is not None and space.mode == SHARED else None
    for combo in itertools.product(*(sections.grid[key] for key in keys)):
        grid_point = {**sections.fixed, **dict(zip(keys, combo, strict=True))}
        if space is None:
            yield grid_point
            continue
        _check_random_extremes(sections, grid_point, source, limits)
        draws = shared if shared is not None else space.draw(_identity(sections, grid_point, source))
        for draw in draws:
            yield {**grid_point, **draw}


def _identity(sections: Sections, grid_point: dict[str, Any], source: str) -> str:
    """The grid point's canonical config JSON, which seeds its own draws."""
    try:
        return canonical_json_of(grid_point, source=source)
    except ConfigError as exc:  # a wrongly typed grid value: report it where it was set
        raise _located(sections, grid_point, source, exc) from None


def _check_options_apply(sections: Sections, configs: list[TrainConfig], source: str) -> None:
    """An option the spec sets that none of its configs uses (momentum when every run is "sgd") is an error."""
    given: dict[str, Any] = {**sections.fixed, **sections.grid}
    if sections.random is not None:
        given.update({d.key: {d.kind: list(d.bounds)} for d in sections.random.distributions})
    try:
        check_options_apply(given, configs, source=source)
    except ConfigError as exc:
        raise SpecError(f"{source}: [{sections.section_of(exc.key)}]: {exc.detail}") from None


def _check_random_extremes(
    sections: Sections, grid_point: dict[str, Any], source: str, limits: Limits
) -> None:
    """Validate each distribution's bounds (or options) on this grid point, so no rare draw can be invalid.

    Only errors about the distribution's own key count here; any other error shows up on the drawn points.
    """
    assert sections.random is not None
    for dist in sections.random.distributions:
        for value in dist.extremes():
            try:
                TrainConfig.from_dict({**grid_point, dist.key: value}, source=source, limits=limits)
            except ConfigError as exc:
                if exc.key == dist.key:
                    spec = show({dist.kind: list(dist.bounds)})
                    raise SpecError(f"{source}: [random] {dist.key} = {spec}: {exc.detail}") from None


def _config(sections: Sections, point: dict[str, Any], source: str, limits: Limits) -> TrainConfig:
    """Validate one point, re-labelling TrainConfig's error with the section that set the failing key."""
    try:
        return TrainConfig.from_dict(point, source=source, limits=limits)
    except ConfigError as exc:
        raise _located(sections, point, source, exc) from None


def _located(sections: Sections, point: dict[str, Any], source: str, exc: ConfigError) -> SpecError:
    """TrainConfig's error on `point`, naming the section that set the failing key (or the point's values)."""
    section = sections.section_of(exc.key)
    if section is not None:
        return SpecError(f"{source}: [{section}]: {exc.detail}")
    varying = {k: v for k, v in point.items() if k not in sections.fixed}
    context = ", ".join(f"{k} = {show(v)}" for k, v in varying.items())
    return SpecError(f"{source}: with {context or 'the defaults'}: {exc.detail}")
