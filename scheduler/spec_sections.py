"""The structure of a grid spec: which top-level keys and sections exist, and what each may hold.

    name = "seed-replication"        # optional (one line, no control characters); defaults to the file's stem
    description = "..."              # optional, free text
    [fixed]   key = value            # the same in every run
    [grid]    key = [v1, v2, ...]    # cartesian product over sorted keys
    [random]  samples, seed, key = {distribution}   (see scheduler.spec_random)
    [search]  strategy, metric, min_epochs, eta     (optional: how runs are pruned; see adaptive.plan)

Values are not range-checked here: every expanded config goes through `TrainConfig.from_dict`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adaptive import SearchPlan, parse_search
from adaptive.plan import KEYS as SEARCH_KEYS
from core.errors import ConfigError
from core.text import control_characters, did_you_mean
from model.config import config_keys
from scheduler.spec_errors import SpecError, show
from scheduler.spec_random import RandomSpace, parse_random

TOP_LEVEL_KEYS = ("name", "description", "fixed", "grid", "random", "search")
SECTIONS = ("fixed", "grid", "random")  # the sections that set config keys
MAX_NAME_LENGTH = 200
_TEXT_LAYOUT = ("\\x0a", "\\x09")  # newline and tab, as control_characters names them: a description may use them


@dataclass(frozen=True)
class Sections:
    """A structurally valid spec. `grid` keys are sorted, so the product's order is reproducible. `plan` is the
    [search] section's (the grid plan when there is none)."""

    name: str | None
    fixed: dict[str, Any]
    grid: dict[str, list[Any]]
    random: RandomSpace | None
    plan: SearchPlan = SearchPlan()

    def section_of(self, key: str) -> str | None:
        """'fixed', 'grid' or 'random' for a key the spec sets; None for a key left at its default."""
        if key in self.fixed:
            return "fixed"
        if key in self.grid:
            return "grid"
        if self.random is not None and key in self.random.keys:
            return "random"
        return None

    @property
    def size(self) -> int:
        """Runs before deduplication: the product of the grid list lengths, times the random samples."""
        samples = self.random.samples if self.random is not None else 1
        return math.prod(len(values) for values in self.grid.values()) * samples


def parse_sections(spec: Any, source: str) -> Sections:
    """Check the spec's structure. `source` (the file name) starts every error message."""
    if not isinstance(spec, Mapping):
        raise SpecError(f"{source}: expected a table of spec keys, got {type(spec).__name__}")
    _check_top_level(spec, source)
    fixed = _config_table(spec, "fixed", source)
    grid = _config_table(spec, "grid", source)
    for key, values in grid.items():
        _check_grid_values(key, values, source)
    random = parse_random(spec["random"], source) if "random" in spec else None
    sections = Sections(
        name=_name(spec, source),
        fixed=dict(fixed),
        grid={key: list(grid[key]) for key in sorted(grid)},
        random=random,
        plan=_plan(spec, source),
    )
    _check_overlaps(sections, source)
    return sections


def _plan(spec: Mapping[str, Any], source: str) -> SearchPlan:
    """The [search] section's plan; its ConfigError (key search.<name>) becomes a SpecError like any other."""
    try:
        return parse_search(spec.get("search"), source)
    except ConfigError as exc:
        raise SpecError(f"{source}: {exc.detail}") from None


def _check_top_level(spec: Mapping[str, Any], source: str) -> None:
    keys = config_keys()
    for key in spec:
        if key in TOP_LEVEL_KEYS:
            continue
        if key in keys:
            raise SpecError(
                f"{source}: top-level key {key} = {show(spec[key])}: expected it inside [fixed] or [grid]"
            )
        if key in SEARCH_KEYS:
            raise SpecError(f"{source}: top-level key {key} = {show(spec[key])}: expected it inside [search]")
        raise SpecError(
            f"{source}: unknown top-level key {key!r}{did_you_mean(str(key), TOP_LEVEL_KEYS)}: "
            f"expected {', '.join(TOP_LEVEL_KEYS)}"
        )
    if "description" in spec:
        description = spec["description"]
        if not isinstance(description, str):
            raise SpecError(f"{source}: description = {show(description)}: expected a string")
        found = [c for c in control_characters(description) if c not in _TEXT_LAYOUT]
        if found:
            raise SpecError(
                f"{source}: description = {show(description)}: expected text without control characters "
                f"(found {', '.join(dict.fromkeys(found))})"
            )


def _name(spec: Mapping[str, Any], source: str) -> str | None:
    if "name" not in spec:
        return None
    return check_name(spec["name"], source, what=f"name = {show(spec['name'])}")


def check_name(name: Any, source: str, *, what: str, hint: str = "") -> str:
    """`name` if it can name a sweep: a non-empty string of at most MAX_NAME_LENGTH characters, on one line,
    without control characters (a name is printed by submit, sweeps and status: an escape sequence in it could
    retitle the terminal or write to its clipboard). SpecError otherwise; `what` names the value."""
    expected = f"expected a non-empty one-line string of at most {MAX_NAME_LENGTH} characters"
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise SpecError(f"{source}: {what}: {expected}{hint}")
    found = control_characters(name)
    if found:
        raise SpecError(
            f"{source}: {what}: {expected}, without control characters (found {', '.join(dict.fromkeys(found))})"
            f"{hint}"
        )
    return name


def _config_table(spec: Mapping[str, Any], section: str, source: str) -> Mapping[str, Any]:
    table = spec.get(section, {})
    if not isinstance(table, Mapping):
        raise SpecError(f"{source}: {section} = {show(table)}: expected a [{section}] table of config keys")
    keys = config_keys()
    for key in table:
        if key in SEARCH_KEYS:
            raise SpecError(f"{source}: [{section}] unknown key {key!r}: expected it inside [search]")
        if key not in keys:
            raise SpecError(f"{source}: [{section}] unknown key {key!r}{did_you_mean(str(key), keys)}")
    return table


def _check_grid_values(key: str, values: Any, source: str) -> None:
    where = f"{source}: [grid] {key} = {show(values)}"
    if not isinstance(values, list):
        hint = " (a constant goes in [fixed])"
        raise SpecError(f"{where}: expected a list of values, e.g. {key} = [{show(values)}]{hint}")
    if not values:
        raise SpecError(f"{where}: expected at least one value (an empty list gives no runs)")
    if key == "hidden" and not any(isinstance(v, (list, str)) for v in values):
        raise SpecError(
            f"{where}: expected a list of layer-width lists, e.g. hidden = [[256, 128], [128, 64]]"
        )


def _check_overlaps(sections: Sections, source: str) -> None:
    random_keys = sections.random.keys if sections.random is not None else ()
    tables = (("fixed", sections.fixed), ("grid", sections.grid), ("random", dict.fromkeys(random_keys)))
    for i, (first, first_keys) in enumerate(tables):
        for second, second_keys in tables[i + 1 :]:
            for key in sorted(set(first_keys) & set(second_keys)):
                raise SpecError(
                    f"{source}: {key} is set in both [{first}] and [{second}]: expected it in one section only"
                )
