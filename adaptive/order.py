"""A sweep's run order: shuffled with a seed taken from its spec, so that the first runs to reach an ASHA rung
are not always the first configs of the grid (the first `eta` results at a rung are kept unjudged), and the
same spec gives the same order in every process and on every Python version."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def spec_seed(spec: Mapping[str, Any]) -> int:
    """The first 8 bytes (big-endian) of the SHA-256 of the spec's canonical JSON (sorted keys, compact)."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return int.from_bytes(hashlib.sha256(canonical.encode("utf-8")).digest()[:8], "big")


def shuffled(items: Sequence[T], seed: int) -> list[T]:
    """A copy of `items` in the order `random.Random(seed).shuffle` gives (stable across Python versions)."""
    copy = list(items)
    random.Random(seed).shuffle(copy)
    return copy
