"""The search plan of a sweep: the `[search]` section of a grid spec, validated.

    [search]
    strategy = "asha"        # "grid" (default: every run trains all its epochs), "asha" or "median"
    metric = "val_loss"      # or "val_acc"; the mode follows (min for a loss, max for an accuracy)
    min_epochs = 1           # the grace period: the first rung (asha), the last epoch never judged (median)
    eta = 3                  # asha keeps the best 1/eta of the results at each rung

A sweep stores its plan as `SearchPlan.to_dict()`; `SearchPlan.from_dict` reads it back (None for a sweep
stored before plans existed: the grid plan).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import ConfigError
from core.text import did_you_mean, show

STRATEGIES = ("grid", "asha", "median")
METRICS = {"val_loss": "min", "val_acc": "max"}  # metric -> mode: lower or higher is better
KEYS = ("strategy", "metric", "min_epochs", "eta")
STORED_SOURCE = "stored search plan"  # the source named by errors in a plan read back from the store
_RUNG_DIGITS = 9  # min_epochs * eta**k is rounded to this many decimals before ceil: 10 * 1.1 is rung 11, not 12


@dataclass(frozen=True)
class SearchPlan:
    """How a sweep spends its epochs. `eta` may be any finite number > 1 (2.5 is fine)."""

    strategy: str = "grid"
    metric: str = "val_loss"
    min_epochs: int = 1
    eta: float = 3.0

    @property
    def adaptive(self) -> bool:
        """True when runs may be pruned before their last epoch."""
        return self.strategy != "grid"

    @property
    def mode(self) -> str:
        """'min' when a lower metric is better (a loss), 'max' when higher is (an accuracy)."""
        return METRICS[self.metric]

    def decision_epochs(self, epochs: int) -> tuple[int, ...]:
        """The 1-based epochs, ascending, after which a run of `epochs` epochs is judged.

        asha: the rungs ceil(min_epochs * eta**k), k = 0, 1, ..., deduplicated, strictly below `epochs` (the
        last epoch ends the run anyway). median: min_epochs + 1 .. epochs - 1. grid: none.
        """
        if self.strategy == "median":
            return tuple(range(self.min_epochs + 1, epochs))
        if self.strategy != "asha":
            return ()
        rungs: list[int] = []
        k = 0
        while (value := round(self.min_epochs * self.eta**k, _RUNG_DIGITS)) < epochs:
            rung = math.ceil(value)
            if rung < epochs and (not rungs or rung > rungs[-1]):
                rungs.append(rung)
            # eta just above 1 repeats each rung for many k: jump near the first k past it (the log estimate
            # may be one off either way, hence the -1 and the deduplication above)
            k = max(k + 1, int(math.log(rung / self.min_epochs) / math.log(self.eta)) - 1)
        return tuple(rungs)

    def describe(self, epochs: int) -> str:
        """One line for `submit`: the strategy, its settings and the epochs at which a run of `epochs` epochs
        (the sweep's longest) is judged, e.g. 'search: asha on val_loss, min_epochs 1, eta 3 (rungs at epochs
        1, 3, 9 of 27)'."""
        if not self.adaptive:
            return "search: grid (every run trains all its epochs)"
        at = self.decision_epochs(epochs)
        if self.strategy == "asha":
            settings = f"min_epochs {self.min_epochs}, eta {self.eta_text}"
            judged = f"rungs at epochs {', '.join(map(str, at))}" if at else "no rung"
        else:
            settings = f"min_epochs {self.min_epochs}"
            judged = f"judged at epochs {at[0]} to {at[-1]}" if at else "never judged"
        return f"search: {self.strategy} on {self.metric}, {settings} ({judged} of {epochs})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able; the grid plan is {"strategy": "grid"}. `from_dict` and `parse_search` read it back."""
        if not self.adaptive:
            return {"strategy": self.strategy}
        return {"strategy": self.strategy, "metric": self.metric, "min_epochs": self.min_epochs, "eta": _number(self.eta)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> SearchPlan:
        """The plan `to_dict` gave (validated again); None or {} is the grid plan."""
        return parse_search(dict(data) if data else None, STORED_SOURCE)

    @classmethod
    def of_spec(cls, spec: Mapping[str, Any]) -> SearchPlan:
        """The plan a stored sweep spec holds (the grid plan for a spec without [search])."""
        return cls.from_dict(spec.get("search"))

    @property
    def eta_text(self) -> str:
        """eta as the user most likely wrote it: '3', '2.5'."""
        return str(_number(self.eta))


def parse_search(table: Any, source: str) -> SearchPlan:
    """The plan of a spec's [search] table (None when the spec has none: the grid plan).

    Raises ConfigError with key "search.<name>", the value and what was expected; `source` is the spec file.
    """
    if table is None:
        return SearchPlan()
    if not isinstance(table, Mapping):
        raise ConfigError("search", table, "a [search] table, e.g. strategy = \"asha\"", source=source)
    for key in table:
        if key not in KEYS:
            raise ConfigError(
                f"search.{key}", table[key], f"one of {', '.join(KEYS)}", source=source,
                problem=f"unknown key search.{key}", hint=did_you_mean(str(key), KEYS),
            )
    strategy = table.get("strategy", SearchPlan.strategy)
    if not isinstance(strategy, str) or strategy not in STRATEGIES:
        hint = did_you_mean(strategy, STRATEGIES) if isinstance(strategy, str) else ""
        raise ConfigError("search.strategy", strategy, f"one of {', '.join(STRATEGIES)}", source=source, hint=hint)
    if strategy == "grid":
        for key in KEYS[1:]:
            if key in table:  # the grid trains every epoch: the setting would be silently ignored
                raise ConfigError(
                    f"search.{key}", table[key], f'strategy = "asha" or "median" to use search.{key}',
                    source=source, problem=f"search.{key} = {show(table[key])} has no effect with strategy = \"grid\"",
                )
        return SearchPlan()
    return SearchPlan(
        strategy=strategy,
        metric=_metric(table.get("metric", SearchPlan.metric), source),
        min_epochs=_min_epochs(table.get("min_epochs", SearchPlan.min_epochs), source),
        eta=_eta(table.get("eta", SearchPlan.eta), source),
    )


def _metric(value: Any, source: str) -> str:
    if not isinstance(value, str) or value not in METRICS:  # a list is no dict key: check the type first
        hint = did_you_mean(value, METRICS) if isinstance(value, str) else ""
        raise ConfigError("search.metric", value, f"one of {', '.join(METRICS)}", source=source, hint=hint)
    return value


def _min_epochs(value: Any, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError("search.min_epochs", value, "an integer of at least 1 (epochs)", source=source)
    return value


def _eta(value: Any, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 1:
        raise ConfigError("search.eta", value, "a finite number greater than 1, e.g. 3", source=source)
    return float(value)


def _number(value: float) -> int | float:
    """3.0 as 3 (as the user most likely wrote it), 2.5 as 2.5."""
    return int(value) if float(value).is_integer() else float(value)

