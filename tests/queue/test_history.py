"""`mnistq history SWEEP`: every run's curve in long format, streamed from the store."""

from __future__ import annotations

import csv
import inspect
import io
import json
from pathlib import Path

from db import open_store, session_scope
from db.queries.history import CONFIG_FIELDS, HISTORY_FIELDS, sweep_history
from model.config import config_keys

from .helpers import EXAMPLES, mnistq, mnistq_json


def test_history_has_a_row_per_run_and_epoch_with_every_config_key(tmp_path: Path) -> None:
    env = {"MNISTQ_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "MNISTQ_BROKER_URL": ""}
    sweep_id = mnistq_json("submit", str(EXAMPLES / "tiny.toml"), "--json", env=env)["sweep_id"]
    assert config_keys() == CONFIG_FIELDS

    done = mnistq("history", str(sweep_id), "--format", "csv", env=env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert tuple(rows[0]) == HISTORY_FIELDS
    assert len(rows) == 12 * 3  # 12 runs of 3 epochs
    assert [(r["run_id"], r["epoch"]) for r in rows[:4]] == [("1", "1"), ("1", "2"), ("1", "3"), ("2", "1")]
    assert {r["engine"] for r in rows} == {"numpy", "sklearn"} and {r["hidden"] for r in rows} == {"16", "32,16"}
    shown = mnistq_json("show", "1", "--json", env=env)
    assert [float(r["val_loss"]) for r in rows[:3]] == [h["val_loss"] for h in shown["history"]]

    listed = mnistq_json("history", str(sweep_id), "--format", "json", env=env)
    assert len(listed) == 36 and listed[0]["learning_rate"] == 0.05 and listed[0]["nesterov"] == 0
    assert mnistq("history", "99", env=env).returncode == 2


def test_history_streams_from_the_store(tmp_path: Path) -> None:
    """A generator over a yield_per query: rows reach the writer while the cursor is still open."""
    with session_scope(open_store(f"sqlite:///{tmp_path / 'e.db'}", create=True)) as session:
        rows = sweep_history(session, 1)
        assert inspect.isgenerator(rows) and list(rows) == []


def test_json_history_has_no_nan(tmp_path: Path) -> None:
    env = {"MNISTQ_DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}", "MNISTQ_BROKER_URL": ""}
    spec = tmp_path / "nan.toml"  # a huge learning rate: losses of inf before the run is found diverged
    spec.write_text('[fixed]\ndataset = "digits"\nhidden = [16]\nepochs = 3\n[grid]\nlearning_rate = [10.0, 0.05]\n')
    sweep_id = mnistq_json("submit", str(spec), "--json", env=env)["sweep_id"]
    done = mnistq("history", str(sweep_id), "--format", "json", env=env)
    json.loads(done.stdout, parse_constant=lambda name: (_ for _ in ()).throw(AssertionError(name)))
