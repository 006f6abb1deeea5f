"""Reproducibility: a seed repeats bitwise across processes, and a resumed run equals an uninterrupted one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError
from model.config import TrainConfig
from model.result import CANCELLED, EpochProgress, TrainResult
from model.train import train
from model.weights_io import weights_from_npz_bytes, weights_to_npz_bytes

from .conftest import small_config

EVERYTHING_ON = {
    "dropout": 0.2,
    "augment_shift": 1,
    "lr_schedule": "step",
    "lr_step_epochs": 2,
    "lr_gamma": 0.5,
    "epochs": 6,
}


def curve(result: TrainResult) -> list[tuple]:
    """The history without the wall-clock seconds, which no two runs share."""
    return [(m.epoch, m.train_loss, m.train_acc, m.val_loss, m.val_acc) for m in result.history]


def assert_same_run(a: TrainResult, b: TrainResult) -> None:
    assert a.status == b.status and a.best_epoch == b.best_epoch
    assert curve(a) == curve(b)
    assert a.weights.keys() == b.weights.keys()
    for name in a.weights:
        np.testing.assert_array_equal(a.weights[name], b.weights[name], err_msg=name)


def interrupted_after(config: TrainConfig, data, epoch: int) -> dict[str, np.ndarray]:
    """Run until `epoch`, take the snapshot there and stop, as a worker that is shut down would."""
    taken: dict[str, np.ndarray] = {}

    def stop(progress: EpochProgress) -> bool:
        if progress.metrics.epoch < epoch:
            return True
        taken.update(progress.snapshot())
        return False

    assert train(config, data, on_epoch=stop).status == CANCELLED
    return weights_from_npz_bytes(weights_to_npz_bytes(taken))  # as the store would keep it


@pytest.mark.parametrize(
    "options",
    [
        {"optimizer": "momentum", "nesterov": True},
        {"optimizer": "adam", "learning_rate": 0.01},
        {"optimizer": "momentum", "patience": 2},
    ],
    ids=["nesterov", "adam", "early-stopping"],
)
def test_resume_after_an_interruption_is_bitwise_identical(data, options: dict) -> None:
    config = small_config(**EVERYTHING_ON, **options)
    straight = train(config, data)
    snapshot = interrupted_after(config, data, epoch=3)
    resumed = train(config, data, resume_from=snapshot)
    assert_same_run(straight, resumed)
    assert [m.seconds for m in resumed.history[:3]] == pytest.approx(snapshot["loop.history"][:, 5].tolist())


def test_resume_refuses_a_snapshot_of_another_config(data) -> None:
    config = small_config(**EVERYTHING_ON)
    snapshot = interrupted_after(config, data, epoch=2)
    with pytest.raises(ConfigError, match="config hash"):
        train(config.replace(learning_rate=0.2), data, resume_from=snapshot)
    with pytest.raises(ConfigError, match="not a training snapshot"):
        train(config, data, resume_from={"W1": np.zeros(2)})


SCRIPT = """
import sys
from threadpoolctl import threadpool_limits
sys.path.insert(0, {tests!r})
from conftest import blobs, small_config
from model.train import train
from model.weights_io import weights_to_npz_bytes
import numpy as np
with threadpool_limits(limits=1):
    r = train(small_config(**{options!r}), blobs())
rows = np.array([[m.train_loss, m.train_acc, m.val_loss, m.val_acc] for m in r.history])
sys.stdout.buffer.write(weights_to_npz_bytes({{**r.weights, "history": rows}}))
"""


def test_same_config_and_seed_give_identical_runs_in_separate_processes() -> None:
    code = SCRIPT.format(tests=str(Path(__file__).parent), options={**EVERYTHING_ON, "optimizer": "adam"})
    outputs = [subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout for _ in "ab"]
    first, second = (weights_from_npz_bytes(out) for out in outputs)
    assert first.keys() == second.keys() and "history" in first
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def test_a_different_seed_gives_a_different_run(data) -> None:
    a = train(small_config(epochs=1), data)
    b = train(small_config(epochs=1, seed=1), data)
    assert not np.array_equal(a.weights["W1"], b.weights["W1"])


def test_stop_after_ends_a_run_there_and_keeps_the_configs_horizon(data) -> None:
    """`stop_after` stops the loop without touching the schedule: the epochs before it are those of the full
    run, and a run resumed right at that epoch trains nothing and returns its snapshot's weights."""
    config = small_config(**EVERYTHING_ON)  # a step schedule: its horizon must stay config.epochs
    full = train(config, data)
    stopped = train(config, data, stop_after=3)
    assert stopped.status == CANCELLED and stopped.message == "stopped after epoch 3"
    assert curve(stopped) == curve(full)[:3]

    snapshot = interrupted_after(config, data, 3)
    again = train(config, data, resume_from=snapshot, stop_after=3)
    assert again.status == CANCELLED and curve(again) == curve(stopped)
    for name in stopped.weights:
        np.testing.assert_array_equal(again.weights[name], stopped.weights[name], err_msg=name)
