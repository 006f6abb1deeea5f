"""`mnistq train`: one config, trained inline, summarised for a human or as one JSON object."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import click

from core import settings
from model.config import (
    ACTIVATIONS,
    DTYPES,
    ENGINES,
    LR_SCHEDULES,
    OPTIMIZERS,
    TrainConfig,
    check_options_apply,
)
from model.result import EpochProgress, TrainResult


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--dataset", help="Dataset spec: mnist-5k (default), digits, mnist, fashion-mnist, idx:DIR, csv:PATH.")
@click.option("--label-column", help="csv:PATH only: the label column's name (default: 'label', else the first).")
@click.option("--engine", type=click.Choice(ENGINES), help="numpy (from scratch, default) or sklearn (MLPClassifier).")
@click.option("--hidden", help="Hidden layer widths, input to output. Default 256,128,64,32,16 (the seed's).")
@click.option("--activation", type=click.Choice(ACTIVATIONS), help="Hidden activation. Default relu.")
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), help="sgd (default), momentum or adam.")
@click.option("--learning-rate", "--lr", "learning_rate", type=float, help="Initial step size. Default 0.05.")
@click.option(
    "--momentum",
    type=float,
    help="Momentum coefficient, with --optimizer momentum only: default 0.9 there "
    "(other optimizers store 0).",
)
@click.option(
    "--nesterov/--no-nesterov",
    default=None,
    help="Nesterov momentum, with --optimizer momentum only. Default off.",
)
@click.option("--batch-size", type=int, help="Samples per step. Default 64.")
@click.option("--epochs", type=int, help="Passes over the training split. Default 20.")
@click.option("--l2", type=float, help="Weight decay: loss += l2/2 * sum(W^2). Default 0.")
@click.option("--dropout", type=float, help="Dropout probability on hidden layers (numpy only). Default 0.")
@click.option("--lr-schedule", type=click.Choice(LR_SCHEDULES), help="constant (default), step or cosine.")
@click.option(
    "--lr-step-epochs",
    type=int,
    help="Epochs between decays, with --lr-schedule step only: default 10 there (other schedules store 0).",
)
@click.option(
    "--lr-gamma",
    type=float,
    help="Decay factor, with --lr-schedule step only: default 0.1 there (other schedules store 0).",
)
@click.option("--patience", type=int, help="Early stopping patience in epochs on val loss; 0 = off (default).")
@click.option("--augment-shift", type=int, help="Random shifts of up to N pixels (numpy only). Default 0.")
@click.option("--seed", type=int, help="Seed for the split, init, shuffling, dropout, augmentation. Default 0.")
@click.option("--val-fraction", type=float, help="Validation share of the training pool; 0 = none. Default 0.1.")
@click.option("--test-fraction", type=float, help="Test share for single-table datasets. Default 0.2.")
@click.option("--dtype", type=click.Choice(DTYPES), help="float32 (default) or float64.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object instead of the summary.")
@settings.uses(settings.LIMITS, settings.DATA)
def train(as_json: bool, **flags: Any) -> None:
    """Train one configuration inline and print a readable summary.

    Every config key is a flag of the same name with dashes (learning_rate is --learning-rate, or --lr);
    unset flags take the defaults (the seed's network). Options that do not apply to the chosen optimizer or
    schedule are stored as 0, so that equal training gives an equal config hash. Example:

    \b
      mnistq train --engine sklearn --epochs 10 --lr 0.01
      mnistq train --dataset digits --hidden 64,32 --optimizer adam --lr 0.001 --json
    """
    from model.data.prepare import prepare
    from model.train import train as run_training

    values = {key: value for key, value in flags.items() if value is not None}  # flags are named by their keys
    config = TrainConfig.from_dict(values, source="mnistq train")
    check_options_apply(values, [config], source="mnistq train")  # --momentum without --optimizer momentum
    data = prepare(config)
    with _EpochPrinter(config.epochs, enabled=not as_json and sys.stderr.isatty()) as printer:
        result = run_training(config, data, on_epoch=printer)
    if as_json:
        click.echo(json.dumps(result_json(config, result), allow_nan=False))
    else:
        click.echo(format_summary(config, data.spec, len(data.train), result))


def result_json(config: TrainConfig, result: TrainResult) -> dict[str, Any]:
    """The `--json` object: engine, config, status, history, final metrics, seconds and confusion.

    JSON has no NaN or infinity, so non-finite numbers (a diverged loss) appear as null.
    """
    out: dict[str, Any] = {"engine": config.engine, "config": config.to_dict(), "config_hash": config.config_hash()}
    out.update(result.summary_dict())
    return _finite_or_null(out)


def _finite_or_null(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_null(v) for v in value]
    return value


class _EpochPrinter:
    """A progress bar on stderr (only on a terminal) fed by the on_epoch callback."""

    def __init__(self, epochs: int, *, enabled: bool) -> None:
        self.epochs = epochs
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _EpochPrinter:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("epoch {task.completed}/{task.total}"),
                BarColumn(),
                TextColumn("{task.fields[status]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("train", total=self.epochs, status="")
        return self

    def __call__(self, progress: EpochProgress) -> None:
        if self._progress is not None:
            m = progress.metrics
            val = "" if m.val_acc is None else f" val_acc {m.val_acc:.4f}"
            self._progress.update(self._task, completed=m.epoch, status=f"loss {m.train_loss:.4f}{val}")

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def format_summary(config: TrainConfig, dataset: str, n_train: int, result: TrainResult) -> str:
    """A readable multi-line summary with a small text learning curve."""
    hidden = "-".join(str(w) for w in config.hidden)
    lines = [
        f"{config.engine} MLP {hidden} ({config.activation}, {config.optimizer}, lr {config.learning_rate:g}, "
        f"batch {config.batch_size}) on {dataset}: {n_train} training samples",
        f"status      {result.status}" + (f" ({result.message})" if result.message else ""),
        f"accuracy    train {_pct(result.train_acc)}   val {_pct(result.val_acc)}   test {_pct(result.test_acc)}",
        f"loss        train {_num(result.train_loss)}   val {_num(result.val_loss)}   test {_num(result.test_loss)}",
        f"time        {result.train_seconds:.1f} s for {len(result.history)} epochs"
        + (f", weights kept from epoch {result.best_epoch}" if result.best_epoch else ""),
        "",
        learning_curve_text(result),
    ]
    return "\n".join(lines).rstrip()


def learning_curve_text(result: TrainResult, max_rows: int = 12) -> str:
    """The seed's accuracy/loss curves as a compact table plus sparklines."""
    history = result.history
    if not history:
        return "(no epochs)"
    step = max(1, math.ceil(len(history) / max_rows))
    rows = [m for m in history[::step]]
    if rows[-1] is not history[-1]:
        rows.append(history[-1])
    out = ["epoch  train_loss  train_acc  val_loss  val_acc"]
    for m in rows:
        out.append(
            f"{m.epoch:5d}  {_num(m.train_loss):>10}  {_pct(m.train_acc):>9}  {_num(m.val_loss):>8}  {_pct(m.val_acc):>7}"
        )
    out.append("")
    out.append(f"train acc {sparkline([m.train_acc for m in history])}")
    if history[0].val_acc is not None:
        out.append(f"val acc   {sparkline([m.val_acc for m in history])}")
    out.append(f"train loss {sparkline([m.train_loss for m in history])}")
    return "\n".join(out)


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """One character per value, scaled between the finite minimum and maximum; '?' for non-finite."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return "?" * len(values)
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    chars = []
    for v in values:
        if v is None or not math.isfinite(v):
            chars.append("?")
        else:
            chars.append(_BARS[min(len(_BARS) - 1, int((v - low) / span * (len(_BARS) - 1) + 0.5))])
    return "".join(chars)


def _pct(value: float | None) -> str:
    return "-" if value is None else ("nan" if not math.isfinite(value) else f"{100 * value:.2f}%")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"
