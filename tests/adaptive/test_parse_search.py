"""A spec's [search] table: every mistake is one ConfigError naming search.<key>, the value and the file."""

from __future__ import annotations

import math
from typing import Any

import pytest

from adaptive import SearchPlan, parse_search
from core.errors import ConfigError


def test_absent_or_empty_is_the_grid_plan() -> None:
    assert parse_search(None, "s.toml") == parse_search({}, "s.toml") == SearchPlan()
    assert parse_search({"strategy": "grid"}, "s.toml") == SearchPlan()


def test_defaults_and_full_tables() -> None:
    assert parse_search({"strategy": "asha"}, "s.toml") == SearchPlan("asha", "val_loss", 1, 3.0)
    table = {"strategy": "median", "metric": "val_acc", "min_epochs": 4}
    assert parse_search(table, "s.toml") == SearchPlan("median", "val_acc", 4, 3.0)
    assert parse_search({"strategy": "asha", "eta": 2.5, "min_epochs": 2}, "s.toml") == SearchPlan("asha", "val_loss", 2, 2.5)


# table -> (the error's key, the value, a piece of the message)
BAD: dict[str, tuple[Any, str, Any, str]] = {
    "not a table": ("asha", "search", "asha", 'search = "asha": expected a [search] table'),
    "unknown strategy": ({"strategy": "hyperband"}, "search.strategy", "hyperband", "expected one of grid, asha, median"),
    "misspelt strategy": ({"strategy": "ashaa"}, "search.strategy", "ashaa", "(did you mean 'asha'?)"),
    "strategy of the wrong type": ({"strategy": ["asha"]}, "search.strategy", ["asha"], 'search.strategy = ["asha"]'),
    "unknown metric": ({"strategy": "asha", "metric": "loss"}, "search.metric", "loss", "expected one of val_loss, val_acc"),
    "metric of the wrong type": ({"strategy": "asha", "metric": ["val_loss"]}, "search.metric", ["val_loss"], "expected one of"),
    "eta of one": ({"strategy": "asha", "eta": 1}, "search.eta", 1, "search.eta = 1: expected a finite number greater than 1"),
    "eta below one": ({"strategy": "asha", "eta": 0.5}, "search.eta", 0.5, "search.eta = 0.5"),
    "eta as text": ({"strategy": "asha", "eta": "3"}, "search.eta", "3", 'search.eta = "3"'),
    "eta as a bool": ({"strategy": "asha", "eta": True}, "search.eta", True, "search.eta = true"),
    "eta infinite": ({"strategy": "asha", "eta": math.inf}, "search.eta", math.inf, "search.eta = inf"),
    "eta nan": ({"strategy": "asha", "eta": math.nan}, "search.eta", math.nan, "search.eta = nan"),
    "min_epochs zero": ({"strategy": "asha", "min_epochs": 0}, "search.min_epochs", 0, "search.min_epochs = 0: expected an integer of at least 1"),
    "min_epochs fractional": ({"strategy": "median", "min_epochs": 1.5}, "search.min_epochs", 1.5, "search.min_epochs = 1.5"),
    "min_epochs as a bool": ({"strategy": "asha", "min_epochs": True}, "search.min_epochs", True, "search.min_epochs = true"),
    "eta with the grid": ({"eta": 3}, "search.eta", 3, 'expected strategy = "asha" or "median" to use search.eta'),
    "metric with an explicit grid": ({"strategy": "grid", "metric": "val_acc"}, "search.metric", "val_acc", 'has no effect with strategy = "grid"'),
    "unknown key": ({"strategy": "asha", "etta": 3}, "search.etta", 3, "unknown key search.etta: expected one of strategy, metric, min_epochs, eta (did you mean 'eta'?)"),
    "unknown key with the grid": ({"grace": 1}, "search.grace", 1, "unknown key search.grace"),
}


@pytest.mark.parametrize("table, key, value, message", BAD.values(), ids=BAD.keys())
def test_bad_tables(table: Any, key: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_search(table, "specs/s.toml")
    error = caught.value
    assert (error.key, error.source) == (key, "specs/s.toml")
    assert error.value == value or (isinstance(value, float) and math.isnan(error.value))
    assert str(error).startswith(f"specs/s.toml: {key}") or str(error).startswith("specs/s.toml: unknown key " + key)
    assert message in str(error) and "\n" not in str(error), str(error)


def test_a_stored_plan_is_validated_again() -> None:
    with pytest.raises(ConfigError, match="search.eta"):
        SearchPlan.from_dict({"strategy": "asha", "eta": 0})
