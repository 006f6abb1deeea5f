"""The [search] section of grid specs: the plan on SweepSpec, its stored form, and its mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adaptive import SearchPlan
from scheduler.spec import expand, load_spec

from .test_spec_validation import error_for

BASE = '[fixed]\ndataset = "digits"\nepochs = 27\n[grid]\nseed = [0, 1, 2]\n'


def _load(tmp_path: Path, text: str, name: str = "search.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_spec(path)


def test_without_search_the_plan_is_the_grid_and_the_spec_is_stored_as_written(tmp_path: Path) -> None:
    spec = _load(tmp_path, BASE)
    assert spec.plan == SearchPlan() and not spec.plan.adaptive
    assert "search" not in spec.spec


def test_asha_with_defaults_is_stored_in_full(tmp_path: Path) -> None:
    spec = _load(tmp_path, BASE + '[search]\nstrategy = "asha"\n')
    assert spec.plan == SearchPlan("asha", "val_loss", 1, 3.0)
    assert spec.spec["search"] == {"strategy": "asha", "metric": "val_loss", "min_epochs": 1, "eta": 3}
    assert SearchPlan.from_dict(json.loads(json.dumps(spec.spec))["search"]) == spec.plan
    assert spec.plan.describe(27) == "search: asha on val_loss, min_epochs 1, eta 3 (rungs at epochs 1, 3, 9 of 27)"


def test_median_on_accuracy(tmp_path: Path) -> None:
    spec = _load(tmp_path, BASE + '[search]\nstrategy = "median"\nmetric = "val_acc"\nmin_epochs = 5\n')
    assert spec.plan == SearchPlan("median", "val_acc", 5, 3.0) and spec.plan.mode == "max"
    assert SearchPlan.from_dict(spec.spec["search"]) == spec.plan


def test_an_explicit_grid_strategy_is_the_grid_plan(tmp_path: Path) -> None:
    spec = _load(tmp_path, BASE + '[search]\nstrategy = "grid"\n')
    assert spec.plan == SearchPlan() and spec.spec["search"] == {"strategy": "grid"}


def test_the_plan_does_not_change_the_configs(tmp_path: Path) -> None:
    plain = _load(tmp_path, BASE, "plain.toml")
    asha = _load(tmp_path, BASE + '[search]\nstrategy = "asha"\neta = 2.5\n', "asha.toml")
    assert asha.configs == plain.configs


def test_a_stored_spec_re_expands_with_its_plan(tmp_path: Path) -> None:
    spec = _load(tmp_path, BASE + '[search]\nstrategy = "asha"\neta = 2.5\nmin_epochs = 2\n')
    assert expand(json.loads(json.dumps(spec.spec)), "stored") == spec.configs


def test_the_same_spec_in_json(tmp_path: Path) -> None:
    text = {"fixed": {"dataset": "digits", "epochs": 27}, "search": {"strategy": "asha", "eta": 4}}
    spec = _load(tmp_path, json.dumps(text), "search.json")
    assert spec.plan == SearchPlan("asha", eta=4.0)


def test_min_epochs_may_equal_the_fewest_epochs(tmp_path: Path) -> None:
    spec = _load(tmp_path, '[grid]\nepochs = [4, 9]\n[search]\nstrategy = "asha"\nmin_epochs = 4\n')
    assert spec.plan.min_epochs == 4


# spec text -> the message after "path: "
CASES = {
    "unknown strategy": (
        '[search]\nstrategy = "hyperband"',
        'search.strategy = "hyperband": expected one of grid, asha, median',
    ),
    "unknown metric": (
        '[search]\nstrategy = "asha"\nmetric = "val_accuracy"',
        "search.metric = \"val_accuracy\": expected one of val_loss, val_acc (did you mean 'val_acc'?)",
    ),
    "eta of one": ('[search]\nstrategy = "asha"\neta = 1', "search.eta = 1: expected a finite number greater than 1, e.g. 3"),
    "eta as a bool": ('[search]\nstrategy = "asha"\neta = true', "search.eta = true: expected a finite number greater than 1, e.g. 3"),
    "eta infinite": ('[search]\nstrategy = "asha"\neta = inf', "search.eta = inf: expected a finite number greater than 1, e.g. 3"),
    "min_epochs zero": (
        '[search]\nstrategy = "median"\nmin_epochs = 0',
        "search.min_epochs = 0: expected an integer of at least 1 (epochs)",
    ),
    "min_epochs beyond the fewest epochs": (
        '[search]\nstrategy = "asha"\nmin_epochs = 5\n[grid]\nepochs = [9, 4, 6]',
        "search.min_epochs = 5: expected at most the fewest epochs of the spec's runs (4)",
    ),
    "a setting the grid ignores": (
        "[search]\neta = 3",
        'search.eta = 3 has no effect with strategy = "grid": expected strategy = "asha" or "median" to use search.eta',
    ),
    "unknown key": (
        '[search]\nstrategy = "asha"\ngrace_period = 1',
        "unknown key search.grace_period: expected one of strategy, metric, min_epochs, eta",
    ),
    "not a table": ('search = "asha"', 'search = "asha": expected a [search] table, e.g. strategy = "asha"'),
    "a search key at the top level": ("eta = 3", "top-level key eta = 3: expected it inside [search]"),
    "a search key in fixed": ("[fixed]\nmin_epochs = 1", "[fixed] unknown key 'min_epochs': expected it inside [search]"),
}


@pytest.mark.parametrize("text, expected", CASES.values(), ids=CASES.keys())
def test_search_mistakes(tmp_path: Path, text: str, expected: str) -> None:
    body = text if "[fixed]" in text or "[grid]" in text else f"{text}\n[fixed]\nepochs = 2"
    assert error_for(tmp_path, body) == expected
