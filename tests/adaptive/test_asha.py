"""ASHA's stopping rule on hand-made rungs: keep the best max(1, floor(n / eta)) of the n results at a rung."""

from __future__ import annotations

import math

import pytest

from adaptive import Decision, asha_decision

NAN = math.nan


def test_below_eta_every_run_is_kept_unjudged() -> None:
    assert asha_decision(9.0, [0.1], eta=3, mode="min") == Decision(keep=True, cutoff=None, compared=2)


def test_a_single_result_is_kept() -> None:
    assert asha_decision(5.0, [], eta=3, mode="min") == Decision(keep=True, cutoff=None, compared=1)
    assert asha_decision(None, [], eta=3, mode="min") == Decision(keep=True, cutoff=None, compared=1)


def test_at_eta_only_the_best_is_kept() -> None:
    assert asha_decision(0.3, [0.1, 0.2], eta=3, mode="min") == Decision(keep=False, cutoff=0.1, compared=3)
    assert asha_decision(0.1, [0.2, 0.3], eta=3, mode="min") == Decision(keep=True, cutoff=0.1, compared=3)


def test_the_best_fraction_grows_with_the_results() -> None:
    others = [0.1, 0.2, 0.3, 0.4, 0.5]  # n = 6: the best 2 stay
    assert asha_decision(0.15, others, eta=3, mode="min") == Decision(keep=True, cutoff=0.15, compared=6)
    assert asha_decision(0.25, others, eta=3, mode="min") == Decision(keep=False, cutoff=0.2, compared=6)


def test_ties_at_the_cutoff_are_kept() -> None:
    assert asha_decision(0.2, [0.2, 0.2], eta=3, mode="min") == Decision(keep=True, cutoff=0.2, compared=3)
    # n = 6 keeps 2, but the second place is shared: both stay
    assert asha_decision(0.7, [0.7, 0.9, 0.1, 0.3, 0.5], eta=3, mode="max") == Decision(True, 0.7, 6)


def test_mode_max_keeps_the_highest() -> None:
    assert asha_decision(0.9, [0.5, 0.7], eta=3, mode="max") == Decision(keep=True, cutoff=0.9, compared=3)
    assert asha_decision(0.7, [0.5, 0.9], eta=3, mode="max") == Decision(keep=False, cutoff=0.9, compared=3)


@pytest.mark.parametrize("bad", [None, NAN, math.inf, -math.inf])
def test_a_missing_or_non_finite_result_is_the_worst_in_both_modes(bad: float | None) -> None:
    for mode in ("min", "max"):
        assert asha_decision(bad, [0.5, 0.6], eta=3, mode=mode).keep is False
        assert asha_decision(0.6, [bad, 0.5], eta=3, mode=mode) == Decision(
            keep=mode == "max", cutoff=0.6 if mode == "max" else 0.5, compared=3
        )


def test_with_fewer_finite_results_than_places_every_finite_result_passes() -> None:
    # n = 6, 2 places, 1 finite result: the cutoff would be a NaN, so there is none
    assert asha_decision(0.9, [NAN, None, NAN, None, NAN], eta=3, mode="min") == Decision(True, None, 6)
    assert asha_decision(NAN, [0.9, None, NAN, None, NAN], eta=3, mode="min") == Decision(False, None, 6)


def test_non_integer_eta() -> None:
    # eta 2.5: 2 results are below it, 3 keep 1, 5 keep 2
    assert asha_decision(0.9, [0.1], eta=2.5, mode="min") == Decision(keep=True, cutoff=None, compared=2)
    assert asha_decision(0.2, [0.1, 0.3], eta=2.5, mode="min") == Decision(keep=False, cutoff=0.1, compared=3)
    assert asha_decision(0.2, [0.1, 0.3, 0.4, 0.5], eta=2.5, mode="min") == Decision(True, 0.2, 5)


def test_floor_of_n_over_eta_is_exact() -> None:
    # 33 / 1.1 is 30, but 29.999999999999996 in floats: the 30th best result (29.0) is the cutoff
    others = [float(i) for i in range(33) if i != 29]
    assert asha_decision(29.0, others, eta=1.1, mode="min") == Decision(keep=True, cutoff=29.0, compared=33)
    assert asha_decision(30.5, others, eta=1.1, mode="min") == Decision(keep=False, cutoff=30.0, compared=33)


def test_an_unknown_mode_is_a_bug() -> None:
    with pytest.raises(ValueError, match="mode"):
        asha_decision(None, [], eta=3, mode="minimum")
