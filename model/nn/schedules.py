"""Learning-rate schedules: the step size for each 0-based epoch, fixed for the whole epoch."""

from __future__ import annotations

import math
from collections.abc import Callable

Schedule = Callable[[int], float]


def constant(lr: float) -> Schedule:
    """lr every epoch."""
    return lambda epoch: lr


def step(lr: float, every: int, gamma: float) -> Schedule:
    """lr * gamma ** (epoch // every): multiplied by `gamma` every `every` epochs."""
    return lambda epoch: lr * gamma ** (epoch // every)


def cosine(lr: float, epochs: int) -> Schedule:
    """Half a cosine from lr at epoch 0 down to 0 at epoch `epochs` (one past the last epoch, which stays > 0)."""
    return lambda epoch: lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


def make_schedule(name: str, lr: float, *, epochs: int, step_epochs: int = 10, gamma: float = 0.1) -> Schedule:
    """The schedule called `name` ("constant", "step" or "cosine")."""
    if name == "constant":
        return constant(lr)
    if name == "step":
        return step(lr, step_epochs, gamma)
    if name == "cosine":
        return cosine(lr, epochs)
    raise ValueError(f"lr_schedule {name!r}: expected constant, step or cosine")
