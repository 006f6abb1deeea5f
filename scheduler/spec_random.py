"""The optional `[random]` section of a grid spec: per-key distributions sampled reproducibly from a seed.

    [random]
    samples = 4                                   # draws per grid point
    seed = 7                                      # the sampler's seed, so the draws never change
    draws = "per-point"                           # (the default) or "shared"
    learning_rate = {loguniform = [0.001, 0.1]}
    momentum = {uniform = [0.8, 0.99]}
    batch_size = {choice = [32, 64, 128]}
    epochs = {int = [5, 15]}                      # inclusive bounds

Draw modes. "per-point" (random search): every grid point draws its own `samples` values, from a
`random.Random` seeded by a hash of `seed` and the point's canonical config, so 36 grid points x 4 samples are
144 distinct draws, and the same point draws the same values in any spec (`submit --extend` with a wider grid
keeps the draws, and so the runs, of the points it shares). "shared" (a paired design): one
`random.Random(seed)` draws `samples` values once and every grid point reuses them. A spec stored before draw
modes existed has no `draws` key and means "shared"; `load_spec` writes the mode into every spec it reads, so
a stored spec always re-expands to the same runs.

Keys are drawn in sorted order, sample by sample; uniform and loguniform draws are rounded to six significant
digits. `seed` here is the sampler's seed, so the training `seed` cannot be drawn (put it in [grid]).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.text import did_you_mean
from model.config import config_keys
from scheduler.spec_errors import SpecError, show

KINDS = ("uniform", "loguniform", "choice", "int")
SETTINGS = ("samples", "seed", "draws")
PER_POINT = "per-point"
SHARED = "shared"
DRAW_MODES = (PER_POINT, SHARED)
STORED_DEFAULT_MODE = SHARED  # a stored spec without `draws` predates the modes: it shared its draws
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
    """`samples` draws of every distribution, reproducible from `seed` (and the grid point, per point)."""

    samples: int
    seed: int
    distributions: tuple[Distribution, ...]  # sorted by key
    mode: str = PER_POINT  # PER_POINT or SHARED

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.distributions)

    def draw(self, point: str = "") -> list[dict[str, Any]]:
        """The `samples` draws for the grid point whose canonical config JSON is `point`, each a {key: value}
        dict: the same list for the same seed and point, every time (shared mode ignores `point`)."""
        rng = random.Random(self.seed if self.mode == SHARED else point_seed(self.seed, point))
        return [{d.key: d.draw(rng) for d in self.distributions} for _ in range(self.samples)]


def point_seed(seed: int, point: str) -> int:
    """A 64-bit seed from the sampler's `seed` and a point's canonical JSON (SHA-256: stable across runs and
    Python versions, unlike hash())."""
    digest = hashlib.sha256(f"{seed}\n{point}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _round(value: float) -> float:
    """Six significant digits: readable in reports, and still inside the closed bounds."""
    return float(f"{value:.6g}")


def parse_random(table: Any, source: str) -> RandomSpace:
    """Validate a `[random]` table. `source` is the spec file's name, used in every error message.

    A table without `draws` is a stored spec from before draw modes (shared); `load_spec` fills in the mode
    of a spec file before it gets here."""
    if not isinstance(table, Mapping):
        raise SpecError(f"{source}: random = {show(table)}: expected a [random] table")
    samples = _setting(table, "samples", source, minimum=1, default=None)
    seed = _setting(table, "seed", source, minimum=0, default=0)
    mode = table.get("draws", STORED_DEFAULT_MODE)
    if mode not in DRAW_MODES:
        raise SpecError(
            f"{source}: [random] draws = {show(mode)}: expected {PER_POINT!r} (each grid point draws its own "
            f"values) or {SHARED!r} (every grid point reuses the same draws){_did_you_mean_mode(mode)}"
        )
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
    return RandomSpace(samples=samples, seed=seed, distributions=tuple(distributions), mode=mode)


def _did_you_mean_mode(mode: Any) -> str:
    return did_you_mean(mode, DRAW_MODES) if isinstance(mode, str) else ""


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
