"""Plain-text tables and JSON/CSV rows for run listings (stable, script-friendly output)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import click

from core.text import printable
from db import RunRecord

TABLE_FIELDS = (
    "id", "sweep_id", "engine", "status", "hidden", "learning_rate", "batch_size", "seed", "val_acc",
    "test_acc", "train_seconds",
)


def format_cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"
    return printable(str(value))  # a stored name never sends escape sequences to the terminal


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    cells = [[format_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], (int, float)) or row[i] is None for row in rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        padded = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(padded).rstrip()

    return "\n".join([line(list(headers)), *(line(r) for r in cells)])


def runs_table(runs: Sequence[RunRecord]) -> str:
    if not runs:
        return "(no runs)"
    return format_table(TABLE_FIELDS, [[getattr(r, f) for f in TABLE_FIELDS] for r in runs])


def output_format(help_json: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--format table|csv|json`, with `--json` kept as its alias: the command receives `fmt`, resolved."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def resolved(*args: Any, fmt: str, as_json: bool, **kwargs: Any) -> Any:
            return command(*args, fmt="json" if as_json else fmt, **kwargs)

        resolved = click.option("--json", "as_json", is_flag=True, help=f"Same as --format json: {help_json}")(resolved)
        return click.option(
            "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
            help="A table for people, CSV for spreadsheets, JSON for scripts and pandas.",
        )(resolved)

    return decorate
