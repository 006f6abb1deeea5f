"""Median stopping on hand-made running averages: prune a run whose best is strictly worse than the median."""

from __future__ import annotations

import math

import pytest

from adaptive import Decision, median_decision

NAN = math.nan


def test_the_rule_waits_for_three_other_runs() -> None:
    assert median_decision(9.0, [0.1, 0.2], mode="min") == Decision(keep=True, cutoff=None, compared=2)
    assert median_decision(9.0, [0.1, 0.2, 0.3], mode="min") == Decision(keep=False, cutoff=0.2, compared=3)


def test_min_runs_is_a_parameter() -> None:
    assert median_decision(9.0, [0.1], mode="min", min_runs=1) == Decision(keep=False, cutoff=0.1, compared=1)


def test_at_the_median_is_kept_and_an_even_count_averages_the_middle_two() -> None:
    assert median_decision(0.2, [0.1, 0.2, 0.3], mode="min") == Decision(keep=True, cutoff=0.2, compared=3)
    assert median_decision(0.25, [0.1, 0.2, 0.3, 0.4], mode="min").keep is True  # median 0.25
    assert median_decision(0.26, [0.1, 0.2, 0.3, 0.4], mode="min").keep is False


def test_mode_max() -> None:
    assert median_decision(0.8, [0.7, 0.8, 0.9], mode="max") == Decision(keep=True, cutoff=0.8, compared=3)
    assert median_decision(0.75, [0.7, 0.8, 0.9], mode="max") == Decision(keep=False, cutoff=0.8, compared=3)


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("best", [None, NAN])
def test_a_missing_best_is_worse_than_any_finite_median(best: float | None, mode: str) -> None:
    assert median_decision(best, [0.7, 0.8, 0.9], mode=mode) == Decision(keep=False, cutoff=0.8, compared=3)


def test_non_finite_others_count_as_the_worst() -> None:
    # min: [0.1, 0.2, nan] -> median 0.2; max: the nan is below 0.1 -> median 0.1
    assert median_decision(0.3, [NAN, 0.1, 0.2], mode="min") == Decision(keep=False, cutoff=0.2, compared=3)
    assert median_decision(0.1, [NAN, 0.1, 0.2], mode="max") == Decision(keep=True, cutoff=0.1, compared=3)
    assert median_decision(0.05, [None, 0.1, 0.2], mode="max") == Decision(keep=False, cutoff=0.1, compared=3)


def test_a_non_finite_median_prunes_nothing() -> None:
    assert median_decision(5.0, [NAN, None, 0.1], mode="min") == Decision(keep=True, cutoff=None, compared=3)
    assert median_decision(None, [NAN, None, 0.1], mode="min") == Decision(keep=True, cutoff=None, compared=3)
