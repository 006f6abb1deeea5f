"""How numbers, durations and config values read in every section (the same in HTML and Markdown)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

DASH = "—"  # a value that was not measured (None) or does not apply


def fmt_acc(value: float | None) -> str:
    """An accuracy fraction as a percentage with two decimals: 0.91234 -> '91.23%'."""
    if value is None:
        return DASH
    if not math.isfinite(value):
        return str(value)
    return f"{100 * value:.2f}%"


def fmt_loss(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:.4f}" if math.isfinite(value) else str(value)


def fmt_seconds(seconds: float | None) -> str:
    """A duration: '0.84 s', '12.3 s', '4 min 05 s', '2 h 03 min'."""
    if seconds is None or not math.isfinite(seconds):
        return DASH
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def fmt_mean_std(mean: float | None, std: float | None, n: int, fmt: Any = fmt_acc) -> str:
    """'91.20% ± 0.35% (n=3)'; the ± part is left out for a single value."""
    if mean is None:
        return DASH
    spread = "" if std is None else f" ± {fmt(std)}"
    return f"{fmt(mean)}{spread} (n={n})"


def fmt_value(value: Any) -> str:
    """A config value: lists as '256,128', floats in shortest form, None as '—'."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ",".join(fmt_value(v) for v in value)
    return str(value)


def fmt_params(config: Mapping[str, Any], keys: Sequence[str]) -> str:
    """'hidden=16 learning_rate=0.05' for the given keys (those a sweep varies)."""
    return " ".join(f"{key}={fmt_value(config.get(key))}" for key in keys)


def value_key(value: Any) -> tuple[int, Any]:
    """A sort key that orders config values of mixed types deterministically (numbers numerically,
    layer lists element-wise, everything else by its text)."""
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return (2, tuple(value_key(v) for v in value))
    return (3, fmt_value(value))
