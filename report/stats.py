"""Mean ± standard deviation over repeated runs (seeds, or every other hyperparameter)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """Mean and sample standard deviation (ddof = 1; None for fewer than two values) of `n` finite values."""

    mean: float | None
    std: float | None
    n: int


def summarize(values: Iterable[float | None]) -> Summary:
    """Summary of the finite values (None, NaN and inf are left out)."""
    kept = [float(v) for v in values if v is not None and math.isfinite(v)]
    n = len(kept)
    if n == 0:
        return Summary(None, None, 0)
    mean = math.fsum(kept) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in kept) / (n - 1)) if n > 1 else None
    return Summary(mean, std, n)
