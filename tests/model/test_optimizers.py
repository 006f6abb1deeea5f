"""Every optimiser lowers the training loss, and its state round-trips exactly."""

from __future__ import annotations

import numpy as np
import pytest

from model.nn.init import init_network
from model.nn.network import MLP
from model.nn.optimizers import Adam, Momentum, make_optimizer

from .conftest import blobs

CASES = [("sgd", {}, 0.1), ("momentum", {}, 0.05), ("momentum", {"nesterov": True}, 0.05), ("adam", {}, 0.01)]


def network(seed: int = 0) -> MLP:
    weights, biases = init_network([16, 12, 3], "relu", np.random.default_rng(seed), np.dtype(np.float64))
    return MLP(weights, biases, "relu", max_batch=240)


@pytest.mark.parametrize(("name", "options", "lr"), CASES)
def test_full_batch_steps_decrease_the_loss(name: str, options: dict, lr: float) -> None:
    train = blobs(spread=2.0).train
    x, y = train.x.astype(np.float64), train.y
    net = network()
    optimizer = make_optimizer(name, net.params, **options)
    losses = []
    for _ in range(30):
        loss, _ = net.train_batch(x, y)
        losses.append(loss / len(y))
        optimizer.update(net.params, net.grads, lr)
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("make", [lambda p: Momentum(p, 0.9, nesterov=True), lambda p: Adam(p)])
def test_state_round_trip_gives_identical_updates(make) -> None:
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    grads = [[rng.normal(size=p.shape) for p in params] for _ in range(4)]
    first = make(params)
    for g in grads[:2]:
        first.update(params, [a.copy() for a in g], 0.1)
    second = make([p.copy() for p in params])
    second.load_state(first.state())
    twin = [p.copy() for p in params]
    for g in grads[2:]:
        first.update(params, [a.copy() for a in g], 0.1)
        second.update(twin, [a.copy() for a in g], 0.1)
    for a, b in zip(params, twin, strict=True):
        np.testing.assert_array_equal(a, b)


def test_state_is_a_copy() -> None:
    params = [np.ones(3)]
    optimizer = Momentum(params, 0.9)
    optimizer.update(params, [np.ones(3)], 0.1)
    state = optimizer.state()
    optimizer.update(params, [np.ones(3)], 0.1)
    np.testing.assert_array_equal(state["velocity.0"], [-0.1, -0.1, -0.1])


def test_adam_first_step_moves_each_parameter_by_lr() -> None:
    params = [np.zeros(3)]
    Adam(params).update(params, [np.array([2.0, -0.5, 0.1])], 0.01)
    np.testing.assert_allclose(params[0], [-0.01, 0.01, -0.01], rtol=1e-4)


@pytest.mark.parametrize("make", [lambda p: Momentum(p, 0.9), lambda p: Adam(p)])
def test_flat_and_per_array_optimisers_take_identical_steps_and_share_state(make) -> None:
    """The engine updates one flat buffer; a checkpoint written per array (before it did) loads into it."""
    net, twin = network(1), network(1)
    per_array = make(net.params)
    flat = make([twin.flat_params])
    rng = np.random.default_rng(2)
    for _ in range(2):
        grads = [rng.normal(size=p.shape) for p in net.params]
        for g, view in zip(grads, twin.grads, strict=True):
            view[...] = g
        per_array.update(net.params, grads, 0.1)
        flat.update([twin.flat_params], [twin.flat_grads], 0.1)
    np.testing.assert_array_equal(net.flat_params, twin.flat_params)
    resumed = make([network(1).flat_params])
    resumed.load_state(per_array.state())  # per-array names and shapes into the flat layout
    for name, array in resumed.state().items():
        np.testing.assert_array_equal(array, flat.state()[name])
    with pytest.raises(ValueError, match="values stored"):
        make([np.zeros(3)]).load_state(per_array.state())


def test_the_network_parameters_are_views_of_one_flat_buffer() -> None:
    net = network()
    assert net.flat_params.size == sum(p.size for p in net.params) == 16 * 12 + 12 * 3 + 12 + 3
    net.flat_params[:] = 0.5
    assert all(np.all(p == 0.5) for p in (*net.weights, *net.biases))
    assert net.n_weight_values == 16 * 12 + 12 * 3  # the weights come first: the L2 term covers exactly them
