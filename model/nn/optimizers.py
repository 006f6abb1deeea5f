"""Gradient-descent optimisers that update parameters in place (after scikit-learn's `_stochastic_optimizers.py`).

Each optimiser is built for a list of parameter arrays, then `update(params, grads, lr)` applies one step to them
in place. The numpy engine passes one flat buffer holding every parameter (`MLP.flat_params`), so a step is a
few passes over it rather than a few per layer. `grads` is scratch: an update may overwrite it. `state()` exposes everything the optimiser remembers as
named arrays (for snapshots) and `load_state()` puts it back, so a resumed run continues bitwise identically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

Arrays = Sequence[np.ndarray]


class Optimizer(Protocol):
    # True when the step depends on lr and the gradient only through lr * g: the caller may then fold lr
    # into the gradient it computes and pass lr = 1, which saves one pass over every gradient array.
    folds_lr: bool

    def update(self, params: Arrays, grads: Arrays, lr: float) -> None: ...
    def state(self) -> dict[str, np.ndarray]: ...
    def load_state(self, state: Mapping[str, np.ndarray]) -> None: ...


def _named(prefix: str, arrays: Arrays) -> dict[str, np.ndarray]:
    return {f"{prefix}.{i}": a.copy() for i, a in enumerate(arrays)}


def _load(prefix: str, arrays: Arrays, state: Mapping[str, np.ndarray]) -> None:
    """Copy `prefix.0`, `prefix.1`, ... into `arrays`, matching them up value by value in order, so a state
    saved per parameter array loads into one flat buffer of the same parameters, and the other way round."""
    count = sum(1 for name in state if name.startswith(f"{prefix}.") and name[len(prefix) + 1 :].isdigit())
    stored = np.concatenate([np.ravel(state[f"{prefix}.{i}"]) for i in range(count)]) if count else np.empty(0)
    needed = sum(a.size for a in arrays)
    if stored.size != needed:
        raise ValueError(f"optimizer state {prefix!r}: {stored.size} values stored, {needed} parameters to fill")
    offset = 0
    for a in arrays:
        np.copyto(a, stored[offset : offset + a.size].reshape(a.shape))
        offset += a.size


class SGD:
    """Plain stochastic gradient descent: p -= lr * g. Stateless."""

    folds_lr = True

    def __init__(self, params: Arrays) -> None:
        del params

    def update(self, params: Arrays, grads: Arrays, lr: float) -> None:
        for p, g in zip(params, grads, strict=True):
            if lr != 1.0:
                g *= lr
            p -= g

    def state(self) -> dict[str, np.ndarray]:
        return {}

    def load_state(self, state: Mapping[str, np.ndarray]) -> None:
        pass


class Momentum:
    """Heavy ball: v = mu*v - lr*g; p += v. Nesterov (Sutskever et al. 2013): p += mu*v - lr*g with the new v."""

    folds_lr = True

    def __init__(self, params: Arrays, momentum: float = 0.9, nesterov: bool = False) -> None:
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = [np.zeros_like(p) for p in params]

    def update(self, params: Arrays, grads: Arrays, lr: float) -> None:
        for p, g, v in zip(params, grads, self.velocity, strict=True):
            if lr != 1.0:
                g *= lr
            v *= self.momentum
            v -= g
            if self.nesterov:
                p -= g
                p += self.momentum * v
            else:
                p += v

    def state(self) -> dict[str, np.ndarray]:
        return _named("velocity", self.velocity)

    def load_state(self, state: Mapping[str, np.ndarray]) -> None:
        _load("velocity", self.velocity, state)


class Adam:
    """Adam (Kingma & Ba 2015) with the bias correction folded into the step size, as scikit-learn does."""

    folds_lr = False  # the step normalises g by its running RMS, so lr cannot be pre-multiplied

    def __init__(self, params: Arrays, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.step = np.zeros((), dtype=np.int64)
        self.m = [np.zeros_like(p) for p in params]  # first-moment estimates
        self.v = [np.zeros_like(p) for p in params]  # second-moment estimates
        self._scratch = [np.empty_like(p) for p in params]

    def update(self, params: Arrays, grads: Arrays, lr: float) -> None:
        self.step += 1
        t = int(self.step)
        step_size = lr * np.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
        for p, g, m, v, s in zip(params, grads, self.m, self.v, self._scratch, strict=True):
            np.multiply(g, g, out=s)
            s *= 1.0 - self.beta2
            v *= self.beta2
            v += s  # v = beta2*v + (1 - beta2)*g**2
            g *= 1.0 - self.beta1
            m *= self.beta1
            m += g  # m = beta1*m + (1 - beta1)*g
            np.sqrt(v, out=s)
            s += self.eps
            np.divide(m, s, out=s)
            s *= step_size
            p -= s

    def state(self) -> dict[str, np.ndarray]:
        return {"step": self.step.copy(), **_named("m", self.m), **_named("v", self.v)}

    def load_state(self, state: Mapping[str, np.ndarray]) -> None:
        self.step[...] = state["step"]
        _load("m", self.m, state)
        _load("v", self.v, state)


def make_optimizer(name: str, params: Arrays, *, momentum: float = 0.9, nesterov: bool = False) -> Optimizer:
    """The optimiser called `name` ("sgd", "momentum" or "adam") for `params`."""
    if name == "sgd":
        return SGD(params)
    if name == "momentum":
        return Momentum(params, momentum, nesterov)
    if name == "adam":
        return Adam(params)
    raise ValueError(f"optimizer {name!r}: expected sgd, momentum or adam")
