"""The numpy engine's optimisers take the very steps scikit-learn's MLP optimisers take.

The README compares the numpy engine with `MLPClassifier`; these tests pin the update rules to scikit-learn's
`SGDOptimizer` (plain, heavy-ball and Nesterov momentum) and `AdamOptimizer`, step by step. The mnistq side is
driven the way `NumpyRunner.run_epoch` drives it: one optimiser over the network's flat parameter buffer, and for
optimisers that fold lr, gradients pre-multiplied by lr and a step with lr = 1. L2 is not part of any optimiser
in either library (both add it to the gradient), so the L2 case compares the gradient the network hands over.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from model.nn.init import init_network
from model.nn.network import MLP
from model.nn.optimizers import Optimizer, make_optimizer

SIZES = [5, 4, 3]  # two small weight matrices and two bias vectors
STEPS = 8
LRS = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01]  # a step schedule: lr changes between steps
CASES = {
    "sgd": ({}, lambda params: SGDOptimizer(params, momentum=0.0, nesterov=False)),
    "momentum": ({}, lambda params: SGDOptimizer(params, momentum=0.9, nesterov=False)),
    "nesterov": ({"nesterov": True}, lambda params: SGDOptimizer(params, momentum=0.9, nesterov=True)),
    "adam": ({}, lambda params: AdamOptimizer(params)),
}
TOLERANCE = {np.float64: {"rtol": 1e-12, "atol": 1e-14}, np.float32: {"rtol": 1e-5, "atol": 1e-6}}


def network(dtype: type, seed: int = 0) -> MLP:
    weights, biases = init_network(SIZES, "tanh", np.random.default_rng(seed), np.dtype(dtype))
    return MLP(weights, biases, "tanh", max_batch=16)


def mnistq_optimizer(case: str, net: MLP) -> Optimizer:
    options, _ = CASES[case]
    name = "momentum" if case == "nesterov" else case
    return make_optimizer(name, [net.flat_params], momentum=0.9, **options)


def sklearn_step(optimizer: SGDOptimizer | AdamOptimizer, params: list[np.ndarray], grads: list[np.ndarray],
                 lr: float) -> None:
    """One scikit-learn step at learning rate `lr` (Adam recomputes `learning_rate` from `learning_rate_init`)."""
    optimizer.learning_rate_init = optimizer.learning_rate = lr
    optimizer.update_params(params, grads)


def mnistq_step(optimizer: Optimizer, net: MLP, lr: float) -> None:
    """One step on the flat buffer as the engine takes it: `net.flat_grads` already hold `scale` * gradient."""
    scale = lr if optimizer.folds_lr else 1.0
    optimizer.update([net.flat_params], [net.flat_grads], lr / scale)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(CASES))
def test_random_gradient_steps_equal_scikit_learns(case: str, dtype: type) -> None:
    net = network(dtype)
    ours = mnistq_optimizer(case, net)
    params = [p.copy() for p in net.params]  # scikit-learn's order too: coefs_ then intercepts_
    theirs = CASES[case][1](params)
    rng = np.random.default_rng(1)
    for lr in LRS:
        grads = [rng.normal(size=p.shape).astype(dtype) for p in params]
        scale = lr if ours.folds_lr else 1.0
        for view, g in zip(net.grads, grads, strict=True):
            np.multiply(g, scale, out=view)
        mnistq_step(ours, net, lr)
        sklearn_step(theirs, params, grads, lr)
    moved = [np.abs(p - q).max() for p, q in zip(params, network(dtype).params, strict=True)]
    assert min(moved) > 1e-3  # the steps did something
    for ours_p, theirs_p in zip(net.params, params, strict=True):
        np.testing.assert_allclose(ours_p, theirs_p, **TOLERANCE[dtype])


@pytest.mark.parametrize("case", list(CASES))
def test_l2_steps_equal_scikit_learns_with_the_penalty_in_the_gradient(case: str) -> None:
    """The engine passes l2 * lr into `train_batch` (the penalty's gradient l2 * W is folded like the rest);
    scikit-learn's MLP adds its penalty's gradient to the coefficient gradients before the optimiser step."""
    l2, rng = 0.3, np.random.default_rng(2)
    net, twin = network(np.float64), network(np.float64)  # twin computes plain gradients for scikit-learn
    ours = mnistq_optimizer(case, net)
    params = [p.copy() for p in twin.params]
    theirs = CASES[case][1](params)
    n_weights = len(twin.weights)
    for lr in LRS:
        x, y = rng.normal(size=(16, SIZES[0])), rng.integers(0, SIZES[-1], size=16)
        scale = lr if ours.folds_lr else 1.0
        net.train_batch(x, y, l2=l2, grad_scale=scale)
        mnistq_step(ours, net, lr)
        for view, p in zip(twin.params, params, strict=True):
            view[...] = p
        twin.train_batch(x, y)
        grads = [g.copy() for g in twin.grads]
        for i in range(n_weights):
            grads[i] += l2 * params[i]
        sklearn_step(theirs, params, grads, lr)
    for ours_p, theirs_p in zip(net.params, params, strict=True):
        np.testing.assert_allclose(ours_p, theirs_p, **TOLERANCE[np.float64])
