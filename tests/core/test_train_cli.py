"""`mnistq train`: one config inline, as exactly one JSON object or a readable summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _train(*flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "train", "--dataset", "digits", "--hidden", "16", *flags],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )


def test_json_is_one_object_with_the_promised_keys() -> None:
    done = _train("--epochs", "3", "--engine", "sklearn", "--lr", "0.1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # the whole of stdout is one JSON object
    assert {"engine", "config", "status", "history", "train_acc", "val_acc", "test_acc", "test_loss",
            "train_seconds", "confusion"} <= set(result)
    assert result["engine"] == "sklearn" and result["status"] == "completed"
    assert result["config"]["learning_rate"] == 0.1 and result["config"]["hidden"] == [16]
    assert [h["epoch"] for h in result["history"]] == [1, 2, 3]
    assert set(result["history"][0]) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds"}
    confusion = result["confusion"]
    assert len(confusion) == 10 and all(len(row) == 10 for row in confusion)
    correct = sum(confusion[i][i] for i in range(10))
    assert abs(correct / sum(map(sum, confusion)) - result["test_acc"]) < 1e-12


def test_diverged_run_is_reported_as_such_in_valid_json() -> None:
    done = _train("--epochs", "2", "--lr", "10", "--hidden", "512,512", "--batch-size", "200", "--json")
    assert done.returncode == 0, done.stderr  # divergence is an outcome, not an error
    assert "NaN" not in done.stdout and "Infinity" not in done.stdout
    result = json.loads(done.stdout)
    assert result["status"] == "diverged" and "learning_rate" in result["message"]
    assert result["test_acc"] is None and result["history"] == []


def test_text_summary_has_accuracies_and_a_learning_curve() -> None:
    done = _train("--epochs", "4", "--optimizer", "momentum", "--val-fraction", "0")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("numpy MLP 16 (relu, momentum, lr 0.05, batch 64) on digits")
    assert "accuracy    train " in out and "val -" in out  # no validation split
    assert "epoch  train_loss  train_acc  val_loss  val_acc" in out
    assert "train acc " in out and "val acc" not in out.split("train acc", 1)[1]


def test_every_config_key_is_a_train_flag_of_its_own_name() -> None:
    """README: each config key is also a `mnistq train` flag, spelled with dashes."""
    import click

    from model.cli import train
    from model.config import config_keys

    flags = {
        opt: param.name
        for param in train.params
        if isinstance(param, click.Option)
        for opt in (*param.opts, *param.secondary_opts)
    }
    for key in config_keys():
        flag = "--" + key.replace("_", "-")
        assert flags.get(flag) == key, f"config key {key}: no {flag} flag that sets it"
    assert flags["--lr"] == "learning_rate"  # the short alias stays


def test_learning_rate_flag_and_its_lr_alias_set_the_same_key() -> None:
    long = _train("--epochs", "1", "--learning-rate", "0.2", "--json")
    assert long.returncode == 0, long.stderr
    short = _train("--epochs", "1", "--lr", "0.2", "--json")
    assert json.loads(long.stdout)["config"] == json.loads(short.stdout)["config"]
    assert json.loads(long.stdout)["config"]["learning_rate"] == 0.2


def test_help_says_when_the_conditional_defaults_apply() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "train", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    text = " ".join(done.stdout.split())
    assert "with --optimizer momentum only: default 0.9 there (other optimizers store 0)" in text
    assert "with --lr-schedule step only: default 0.1 there (other schedules store 0)" in text
    assert "with --lr-schedule step only: default 10 there (other schedules store 0)" in text
