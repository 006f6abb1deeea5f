"""Grid specs: a TOML or JSON file that expands into the validated `TrainConfig`s of one sweep.

    name = "seed-replication"
    [fixed]
    dataset = "mnist-5k"
    [grid]
    engine = ["numpy", "sklearn"]
    learning_rate = [0.01, 0.05]

Expansion (like scikit-learn's ParameterGrid): the `[grid]` lists form a cartesian product over their SORTED
keys, the last key varying fastest. An optional `[random]` section draws `samples` points once, from its seed;
every grid point is combined with each of those draws, in draw order (so every grid point sees the same random
values: a paired design). Each point is `[fixed]` + grid point + draw, over the `TrainConfig` defaults, and goes
through `TrainConfig.from_dict`. Points with the same `config_hash` (e.g. momentum values under optimizer =
"sgd", which canonicalise away) are dropped after the first.

The whole spec is checked before anything runs; each problem is one SpecError line naming the file, section,
key and value.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import settings
from core.errors import ConfigError
from model.config import Limits, TrainConfig
from scheduler.spec_errors import SpecError, show
from scheduler.spec_file import read_spec_file
from scheduler.spec_sections import Sections, parse_sections

MAX_RUNS_ENV = "MNISTQ_MAX_GRID"
DEFAULT_MAX_RUNS: int = settings.BY_NAME[MAX_RUNS_ENV].default


@dataclass(frozen=True)
class SweepSpec:
    """A loaded, fully validated spec.

    `spec` is the parsed file as a JSON-able dict (with `name` filled in), for storage; expanding it again
    gives the same `configs`. `duplicates` counts the expanded points dropped as repeats of an earlier config.
    """

    name: str
    source: str
    spec: dict[str, Any]
    configs: tuple[TrainConfig, ...]
    duplicates: int = 0


@dataclass(frozen=True)
class Expansion:
    """The distinct configs of a spec, in expansion order, and how many repeated points were dropped."""

    configs: tuple[TrainConfig, ...]
    duplicates: int


def load_spec(path: str | Path, *, max_runs: int | None = None) -> SweepSpec:
    """Read, validate and expand the spec at `path` (.toml or .json). Raises SpecError on any problem.

    `max_runs` caps the expansion (before deduplication); None means $MNISTQ_MAX_GRID, else 10,000.
    """
    path = Path(path)
    source = str(path)
    spec = read_spec_file(path)
    expansion = expand_counted(spec, source, max_runs)
    name = spec.get("name", path.stem)
    return SweepSpec(
        name=name,
        source=source,
        spec={**spec, "name": name},
        configs=expansion.configs,
        duplicates=expansion.duplicates,
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
    return Expansion(configs=tuple(configs), duplicates=sections.size - len(configs))


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
    draws = sections.random.draw() if sections.random is not None else [{}]
    for combo in itertools.product(*(sections.grid[key] for key in keys)):
        grid_point = {**sections.fixed, **dict(zip(keys, combo, strict=True))}
        if sections.random is not None:
            _check_random_extremes(sections, grid_point, source, limits)
        for draw in draws:
            yield {**grid_point, **draw}


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
        section = sections.section_of(exc.key)
        if section is not None:
            raise SpecError(f"{source}: [{section}]: {exc.detail}") from None
        varying = {k: v for k, v in point.items() if k not in sections.fixed}
        context = ", ".join(f"{k} = {show(v)}" for k, v in varying.items())
        raise SpecError(f"{source}: with {context or 'the defaults'}: {exc.detail}") from None
