"""The pruning rules: pure functions from the results recorded so far to keep-or-prune.

Both rules compare exactly (no tolerance) and rank a missing or non-finite result (None, NaN, an infinity: a
diverged run) as the worst possible, whatever the mode. Mode "min": lower is better (a loss); "max": higher.

- ASHA, stopping variant (Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020; Ray
  Tune's AsyncHyperBandScheduler): at each rung a run is compared with the results already recorded there.
- Median stopping (Golovin et al., "Google Vizier", KDD 2017): a run whose best result so far is worse than the
  median of the other runs' running averages at the same epoch stops.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

MEDIAN_MIN_RUNS = 3  # other runs needed before the median means anything


@dataclass(frozen=True)
class Decision:
    """`keep`: the run trains on (False: pruned). `cutoff`: the value a result had to reach, in the metric's
    units; None while the rule does not apply yet, or when there is no finite cutoff (too few finite results:
    then every finite result passes). `compared`: how many results the rule compared."""

    keep: bool
    cutoff: float | None
    compared: int


def asha_decision(value: float | None, others: Sequence[float | None], *, eta: float, mode: str) -> Decision:
    """Keep or prune a run that reached a rung with result `value`; `others` are the results already recorded
    at this rung of this sweep by other runs.

    With n = len(others) + 1 results, the rule applies once n >= eta: the best max(1, floor(n / eta)) results
    are kept, ties at the cutoff included; a run without a finite result is pruned. Until then every run is
    kept (the first runs to reach a rung are judged on little: the price of not waiting, as in ASHA).
    """
    _check_mode(mode)
    results = [*others, value]
    n = len(results)
    if n < eta:
        return Decision(keep=True, cutoff=None, compared=n)
    keep_count = max(1, math.floor(Fraction(n) / Fraction(repr(float(eta)))))  # exact: 6 / 1.2 is 5, not 4.99..
    ranked = sorted(_badness(r, mode) for r in results)
    cutoff = ranked[keep_count - 1]
    if math.isinf(cutoff):  # fewer finite results than places: every finite result passes
        return Decision(keep=_finite(value), cutoff=None, compared=n)
    return Decision(keep=_finite(value) and _badness(value, mode) <= cutoff, cutoff=_value(cutoff, mode), compared=n)


def median_decision(
    best: float | None, others_means: Sequence[float | None], *, mode: str, min_runs: int = MEDIAN_MIN_RUNS
) -> Decision:
    """Keep or prune a run whose best result so far is `best`, at an epoch where `others_means` are the running
    averages (mean of the metric over epochs 1..e) of the other runs of the sweep that reached it.

    The rule applies once at least `min_runs` others are there: the run is pruned iff `best` is strictly worse
    than their median (a missing `best` is worse than any finite median; a median that is not finite, half the
    others having diverged, prunes nothing).
    """
    _check_mode(mode)
    compared = len(others_means)
    if compared < min_runs:
        return Decision(keep=True, cutoff=None, compared=compared)
    median = statistics.median(_badness(m, mode) for m in others_means)  # infinities stay infinite: no NaN
    keep = not _badness(best, mode) > median
    return Decision(keep=keep, cutoff=_value(median, mode) if math.isfinite(median) else None, compared=compared)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _badness(value: float | None, mode: str) -> float:
    """Lower is better, in both modes; a missing or non-finite result is +inf, the worst."""
    if not _finite(value):
        return math.inf
    assert value is not None
    return float(value) if mode == "min" else -float(value)


def _check_mode(mode: str) -> None:
    if mode not in ("min", "max"):  # a bug in the caller, not a user mistake: the plan's mode is validated
        raise ValueError(f"mode = {mode!r}: expected 'min' or 'max'")


def _value(badness: float, mode: str) -> float:
    """A badness back in the metric's units."""
    return badness if mode == "min" else -badness
