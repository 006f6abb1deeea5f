"""The optional `[random]` section of a grid spec: per-key distributions sampled reproducibly from a seed.

    [random]
    samples = 4                                   # draws, each combined with every grid point
    seed = 7                                      # seeds random.Random, so the draws never change
    learning_rate = {loguniform = [0.001, 0.1]}
    momentum = {uniform = [0.8, 0.99]}
    batch_size = {choice = [32, 64, 128]}
    epochs = {int = [5, 15]}                      # inclusive bounds

Keys are drawn in sorted order, sample by sample, from one `random.Random(seed)`; uniform and loguniform draws
are rounded to six significant digits. `seed` here is the sampler's seed, so the training `seed` cannot be drawn
(put it in [grid]).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.text import did_you_mean
from model.config import config_keys
from scheduler.spec_errors import SpecError, show

KINDS = ("uniform", "loguniform", "choice", "int")
SETTINGS = ("samples", "seed")
_EXAMPLE = "{uniform = [lo, hi]}, {loguniform = [lo, hi]}, {choice = [...]} or {int = [lo, hi]}"


@dataclass(frozen=True)
class Distribution:
    """One key's distribution: `bounds` is (lo, hi) for uniform/loguniform/int, the options for choice."""

    key: str
    kind: str
    bounds: tuple[Any, ...]

    def draw(self, rng: random.Random) -> Any:
        """One value: a float for uniform/loguniform, an int for int, one of the options for choice."""
        if self.kind == "choice":
            return rng.choice(self.bounds)
        lo, hi = self.bounds
        if self.kind == "int":
            return rng.randint(lo, hi)
        if self.kind == "loguniform":
            return _round(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        return _round(rng.uniform(lo, hi))

    def extremes(self) -> tuple[Any, ...]:
        """Values that bound every draw (checked up front so a rare bad draw cannot hide)."""
        if self.kind in ("uniform", "loguniform"):
            return tuple(float(b) for b in self.bounds)
        return self.bounds


@dataclass(frozen=True)
class RandomSpace:
    """`samples` draws of every distribution, reproducible from `seed`."""

    samples: int
    seed: int
    distributions: tuple[Distribution, ...]  # sorted by key

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.distributions)

    def draw(self) -> list[dict[str, Any]]:
        """The `samples` points, each a {key: value} dict; the same list for the same seed, every time."""
        rng = random.Random(self.seed)
        return [{d.key: d.draw(rng) for d in self.distributions} for _ in range(self.samples)]


def _round(value: float) -> float:
    """Six significant digits: readable in reports, and still inside the closed bounds."""
    return float(f"{value:.6g}")


def parse_random(table: Any, source: str) -> RandomSpace:
    """Validate a `[random]` table. `source` is the spec file's name, used in every error message."""
    if not isinstance(table, Mapping):
        raise SpecError(f"{source}: random = {show(table)}: expected a [random] table")
    samples = _setting(table, "samples", source, minimum=1, default=None)
    seed = _setting(table, "seed", source, minimum=0, default=0)
    keys = config_keys()
    distributions = []
    for key in sorted(k for k in table if k not in SETTINGS):
        if key not in keys:
            hint = did_you_mean(key, keys + SETTINGS)
            raise SpecError(f"{source}: [random] unknown key {key!r}{hint}")
        distributions.append(_distribution(key, table[key], source))
    if not distributions:
        raise SpecError(
            f"{source}: [random] has no distributions: expected keys such as learning_rate = {_EXAMPLE}"
        )
    return RandomSpace(samples=samples, seed=seed, distributions=tuple(distributions))


def _setting(table: Mapping[str, Any], name: str, source: str, minimum: int, default: int | None) -> int:
    if name not in table:
        if default is None:
            raise SpecError(f"{source}: [random] has no {name}: expected {name} = N (the number of draws)")
        return default
    value = table[name]
    if name == "seed" and isinstance(value, Mapping):
        raise SpecError(
            f"{source}: [random] seed = {show(value)}: expected an integer, the sampler's seed "
            "(training seeds go in [grid], e.g. seed = [0, 1, 2])"
        )
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(f"{source}: [random] {name} = {show(value)}: expected an integer >= {minimum}")
    return value


def _distribution(key: str, spec: Any, source: str) -> Distribution:
    where = f"{source}: [random] {key} = {show(spec)}"
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise SpecError(f"{where}: expected one distribution: {_EXAMPLE} (constants go in [fixed])")
    ((kind, args),) = spec.items()
    if kind not in KINDS:
        raise SpecError(
            f"{where}: unknown distribution {kind!r}{did_you_mean(kind, KINDS)}: expected {_EXAMPLE}"
        )
    if kind == "choice":
        if not isinstance(args, list) or not args:
            raise SpecError(f"{where}: expected a non-empty list of options")
        return Distribution(key, kind, tuple(args))
    return Distribution(key, kind, _bounds(kind, args, where))


def _bounds(kind: str, args: Any, where: str) -> tuple[Any, Any]:
    is_int = kind == "int"
    number = (int,) if is_int else (int, float)
    if (
        not isinstance(args, list)
        or len(args) != 2
        or not all(isinstance(a, number) and not isinstance(a, bool) for a in args)
    ):
        raise SpecError(f"{where}: expected [lo, hi] with {'integer' if is_int else 'number'} bounds")
    lo, hi = args
    if not all(math.isfinite(a) for a in args):
        raise SpecError(f"{where}: expected finite bounds")
    if lo > hi or (lo == hi and not is_int):
        raise SpecError(f"{where}: expected lo {'<=' if is_int else '<'} hi")
    if kind == "loguniform" and lo <= 0:
        raise SpecError(f"{where}: expected 0 < lo (loguniform samples the logarithm)")
    return lo, hi
