"""`mnistq history SWEEP`: every run's learning curve in long format (one row per run and epoch), for pandas.

    mnistq history latest --format csv > history.csv     # pandas.read_csv("history.csv")
    mnistq history 3 --format json > history.json         # pandas.read_json("history.json")

Rows are written as they come from the store, so a sweep of 10,000 runs is never held in memory.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from typing import Any

import click

from core import settings
from db import open_store, session_scope
from db.export import finite_or_none
from db.queries import resolve_sweep
from db.queries.history import HISTORY_FIELDS, sweep_history

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.command(context_settings=CONTEXT)
@click.argument("sweep")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="CSV with a header row, or one JSON list of objects (NaN and inf as null).")
@settings.uses(settings.STORE)
def history(sweep: str, fmt: str) -> None:
    """Print SWEEP's learning curves, one row per run and epoch: run_id, status, every config key, then epoch,
    train_loss, train_acc, val_loss, val_acc and seconds (losses in nats, accuracies in [0, 1]). Runs reused
    from earlier sweeps are included; a run without epochs (queued, or failed at once) has no rows."""
    with session_scope(open_store()) as session:
        rows = sweep_history(session, resolve_sweep(session, sweep))
        write = _write_csv if fmt == "csv" else _write_json
        write(rows)


def _write_csv(rows: Iterator[dict[str, Any]]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=HISTORY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})


def _write_json(rows: Iterator[dict[str, Any]]) -> None:
    """A JSON list written item by item: valid JSON for json.load and pandas, streamed all the same."""
    out = sys.stdout
    out.write("[")
    for i, row in enumerate(rows):
        out.write(("," if i else "") + "\n" + json.dumps({k: finite_or_none(v) for k, v in row.items()}, allow_nan=False))
    out.write("\n]\n")
