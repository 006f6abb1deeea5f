"""`mnistq data`: describe a dataset (the seed's Part 1 analysis) and fetch the downloadable ones ahead of time.

Errors are DataError (a UserError): the `mnistq` front door prints them on one line and exits with code 2.
"""

from __future__ import annotations

import json
from typing import Any

import click

from core import settings
from model.data.describe import describe
from model.data.download import REMOTE, data_root, ensure_files
from model.data.specs import EXPECTED, load_raw


@click.group()
def data() -> None:
    """Describe datasets: size, class balance, constant pixels, pixel/label correlations."""


@data.command("describe")
@click.option("--dataset", "-d", default="mnist-5k", show_default=True, help=f"Dataset spec: {EXPECTED}.")
@click.option("--label-column", default=None, help="csv:PATH only: the header name of the label column.")
@click.option("--top-k", type=click.IntRange(min=0), default=10, show_default=True, help="Pixels to list by |r|.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object (undefined values are null).")
@settings.uses(settings.DATA)
def describe_command(dataset: str, label_column: str | None, top_k: int, as_json: bool) -> None:
    """Summarise a dataset as the seed report's data analysis did."""
    summary = describe(load_raw(dataset, label_column), top_k=top_k)
    if as_json:
        click.echo(json.dumps(summary, allow_nan=False))
    else:
        click.echo(render_text(summary))


@data.command("fetch")
@click.argument("name", type=click.Choice(sorted(REMOTE)))
@settings.uses(settings.DATA)
def fetch_command(name: str) -> None:
    """Download NAME once into $MNISTQ_DATA_DIR (default ~/.cache/mnistq), verifying every SHA-256."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bars:
        tasks: dict[str, Any] = {}

        def report(file_name: str, done: int, total: int | None) -> None:
            if file_name not in tasks:
                tasks[file_name] = bars.add_task(file_name, total=total)
            bars.update(tasks[file_name], completed=done)

        files = ensure_files(REMOTE[name], data_root() / name, progress=report)
    for file_name, path in files.items():
        click.echo(f"{name}: {file_name} verified at {path}")


def render_text(summary: dict[str, Any]) -> str:
    """The human-readable form of `describe()`'s dict."""
    rows, cols = summary["image_shape"]
    low, high = summary["value_range"]
    splits = summary["splits"]
    samples = str(summary["samples"])
    if splits["official_test"] is not None:
        samples += f" (train pool {splits['train_pool']} + official test {splits['official_test']})"
    constant = summary["constant_pixels"]
    lines = [
        f"dataset          {summary['dataset']}",
        f"samples          {samples}",
        f"image            {rows}x{cols} = {summary['features']} pixels, values {low}..{high}",
        f"classes          {len(summary['classes'])}: {' '.join(str(c) for c in summary['classes'])}",
        *_class_balance_lines(summary["class_balance"]),
        f"constant pixels  {constant['count']} of {summary['features']} ({constant['share']:.1%}): "
        "their correlation with the label is undefined (NaN)",
    ]
    top = summary["correlation"]["top"]
    if top:
        lines.append(f"top {len(top)} pixels by |r| with the label (Pearson, pixel RxC = row x column, 1-based):")
        lines.extend(f"  {item['pixel']:>6}  {item['r']:+.4f}" for item in top)
    return "\n".join(lines)


def _class_balance_lines(balance: list[dict[str, Any]], per_line: int = 5) -> list[str]:
    cells = [f"{c['label']}: {c['count']} ({c['share']:.1%})" for c in balance]
    chunks = ["   ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]
    return [("class balance    " if i == 0 else " " * 17) + chunk for i, chunk in enumerate(chunks)]
