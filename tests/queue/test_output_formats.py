"""`--format table|csv|json` on the listing and show commands, with `--json` as its alias."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .helpers import EXAMPLES, mnistq, mnistq_json


def _csv(*args: str, env: dict[str, str]) -> list[dict[str, str]]:
    done = mnistq(*args, "--format", "csv", env=env)
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout)))


def test_every_listing_speaks_table_csv_and_json(tmp_path: Path) -> None:
    env = {"MNISTQ_DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}", "MNISTQ_BROKER_URL": ""}
    sweep_id = mnistq_json("submit", str(EXAMPLES / "tiny.toml"), "--json", env=env)["sweep_id"]

    for command in (("sweeps",), ("status", str(sweep_id))):
        (row,) = _csv(*command, env=env)
        assert (row["sweep_id"], row["name"], row["total"], row["runs_completed"]) == (str(sweep_id), "tiny", "12", "12")
        assert mnistq_json(*command, "--format", "json", env=env) == mnistq_json(*command, "--json", env=env)
        assert "tiny" in mnistq(*command, env=env).stdout  # the table

    curve = _csv("show", "1", env=env)
    shown = mnistq_json("show", "1", "--format", "json", env=env)
    assert [float(r["val_acc"]) for r in curve] == [h["val_acc"] for h in shown["history"]]
    assert len(_csv("runs", "--sweep", str(sweep_id), env=env)) == 12
    assert json.loads(mnistq("show", "1", "--json", env=env).stdout) == shown
