"""The from-scratch NumPy engine: `NumpyRunner`, mini-batch gradient descent on `model.nn.MLP` (run by `model.train`).

One `np.random.Generator(PCG64(config.seed))` drives, in this order, the initial weights, then per epoch the
shuffle, the augmentation shifts and the dropout masks, so a config and seed always give the same run. The engine
never touches disk or a database; BLAS threads are the caller's business (threadpoolctl).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from model.config import TrainConfig
from model.data.types import PreparedData
from model.nn.augment import random_shift
from model.nn.init import init_network
from model.nn.network import MLP
from model.nn.optimizers import make_optimizer
from model.nn.schedules import make_schedule

_U64 = (1 << 64) - 1


class NumpyRunner:
    """`model.loop.EpochRunner` for the NumPy MLP."""

    def __init__(self, config: TrainConfig, data: PreparedData) -> None:
        self.config = config
        self.data = data
        dtype = np.dtype(config.dtype)
        self.x = np.ascontiguousarray(data.train.x, dtype=dtype)  # (n, n_features)
        self.y = np.ascontiguousarray(data.train.y, dtype=np.int64)  # (n,)
        self.rng = np.random.Generator(np.random.PCG64(config.seed))
        sizes = [data.n_features, *config.hidden, data.n_classes]
        weights, biases = init_network(sizes, config.activation, self.rng, dtype)
        self.net = MLP(weights, biases, config.activation, max_batch=min(config.batch_size, len(self.y)))
        self._params, self._grads = [self.net.flat_params], [self.net.flat_grads]  # every parameter at once
        self.optimizer = make_optimizer(
            config.optimizer, self._params, momentum=config.momentum, nesterov=config.nesterov
        )
        self.schedule = make_schedule(
            config.lr_schedule,
            config.learning_rate,
            epochs=config.epochs,
            step_epochs=config.lr_step_epochs,
            gamma=config.lr_gamma,
        )
        self._x_epoch = np.empty_like(self.x)  # this epoch's shuffled copy: contiguous batches
        self._y_epoch = np.empty_like(self.y)

    def run_epoch(self, epoch: int) -> tuple[float, float]:
        """One shuffled pass in mini-batches; returns the epoch's (mean cross-entropy, accuracy), or a non-finite
        loss as soon as a batch diverges."""
        config, n = self.config, len(self.y)
        lr = self.schedule(epoch)
        order = self.rng.permutation(n)
        np.take(self.x, order, axis=0, out=self._x_epoch, mode="clip")  # one gather per epoch
        np.take(self.y, order, out=self._y_epoch, mode="clip")
        x = self._x_epoch
        if config.augment_shift > 0:
            d = self.data
            x = random_shift(x, d.image_shape, config.augment_shift, self.rng, d.norm_mean, d.norm_std)
        # sgd and momentum only use lr * gradient: fold lr into the output delta, saving a pass per step
        scale = lr if self.optimizer.folds_lr and lr > 0.0 else 1.0
        total_loss, correct = 0.0, 0
        for start in range(0, n, config.batch_size):
            stop = start + config.batch_size
            loss, right = self.net.train_batch(
                x[start:stop],
                self._y_epoch[start:stop],
                l2=config.l2,
                dropout=config.dropout,
                rng=self.rng,
                grad_scale=scale,
            )
            if not math.isfinite(loss):
                return loss, correct / n
            self.optimizer.update(self._params, self._grads, lr / scale)
            total_loss += loss
            correct += right
        return total_loss / n, correct / n

    def weights(self) -> dict[str, np.ndarray]:
        """Live "W1".."WL" and "b1".."bL"."""
        net = self.net
        return {
            **{f"W{i}": w for i, w in enumerate(net.weights, 1)},
            **{f"b{i}": b for i, b in enumerate(net.biases, 1)},
        }

    def snapshot_state(self) -> dict[str, np.ndarray]:
        state = {name: array.copy() for name, array in self.weights().items()}
        state.update({f"opt.{name}": array for name, array in self.optimizer.state().items()})
        state["rng"] = rng_state_to_array(self.rng)
        return state

    def restore_state(self, state: Mapping[str, np.ndarray]) -> None:
        for name, array in self.weights().items():
            np.copyto(array, state[name])
        self.optimizer.load_state({name[4:]: a for name, a in state.items() if name.startswith("opt.")})
        self.rng.bit_generator.state = rng_state_from_array(state["rng"])


def rng_state_to_array(rng: np.random.Generator) -> np.ndarray:
    """A PCG64 generator's full state as six uint64: state (hi, lo), increment (hi, lo), has_uint32, uinteger."""
    state = rng.bit_generator.state
    if state["bit_generator"] != "PCG64":
        raise ValueError(f"expected a PCG64 generator, got {state['bit_generator']}")
    s, inc = state["state"]["state"], state["state"]["inc"]
    words = [s >> 64, s & _U64, inc >> 64, inc & _U64, state["has_uint32"], state["uinteger"]]
    return np.array(words, dtype=np.uint64)


def rng_state_from_array(words: np.ndarray) -> dict[str, object]:
    """The inverse of `rng_state_to_array`: a dict for `bit_generator.state`."""
    s_hi, s_lo, inc_hi, inc_lo, has_uint32, uinteger = (int(w) for w in words)
    return {
        "bit_generator": "PCG64",
        "state": {"state": (s_hi << 64) | s_lo, "inc": (inc_hi << 64) | inc_lo},
        "has_uint32": has_uint32,
        "uinteger": uinteger,
    }
