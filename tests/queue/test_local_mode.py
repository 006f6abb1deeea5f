"""Local mode end to end on SQLite: `mnistq submit` with no broker trains in local worker processes."""

from __future__ import annotations

from pathlib import Path

from db import open_store, session_scope
from db.queries import get_artifact, get_run, run_history, sweep_run_ids

from .helpers import EXAMPLES, mnistq, mnistq_json


def test_local_sweep_runs_every_config_once_and_dedupes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'local.db'}"
    env = {"MNISTQ_DATABASE_URL": url, "MNISTQ_BROKER_URL": ""}
    first = mnistq_json("submit", str(EXAMPLES / "tiny.toml"), "--workers", "2", "--json", env=env)
    assert first["runs"] == 12 and first["new"] == 12 and first["reused"] == 0
    assert first["counts"]["completed"] == 12
    engine = open_store(url, create=True)
    with session_scope(engine) as session:
        run_ids = sweep_run_ids(session, first["sweep_id"])
        assert len(run_ids) == 12
        for run_id in run_ids:
            run = get_run(session, run_id)
            assert run.status == "completed" and run.attempts == 1, (run_id, run.status, run.error)
            assert [h.epoch for h in run_history(session, run_id)] == [1, 2, 3]
            assert get_artifact(session, run_id, "final") is not None
        workers = {get_run(session, run_id).worker for run_id in run_ids}
    assert len(workers) == 2  # both local processes took runs

    again = mnistq_json("submit", str(EXAMPLES / "tiny.toml"), "--json", env=env)
    assert (again["new"], again["reused"]) == (0, 12)

    listed = mnistq_json("runs", "--sweep", "latest", "--format", "json", "--order-by", "-val_acc", env=env)
    assert len(listed) == 12
    assert {"id", "sweep_id", "engine", "status", "attempts", "config", "train_acc", "val_acc", "test_acc",
            "train_seconds"} <= set(listed[0])
    accuracies = [row["val_acc"] for row in listed]
    assert accuracies == sorted(accuracies, reverse=True)


def test_bad_spec_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    spec = tmp_path / "bad.toml"
    spec.write_text('[grid]\nlearning_rate = [0.1, -0.5]\n')
    done = mnistq("submit", str(spec), env={"MNISTQ_DATABASE_URL": url, "MNISTQ_BROKER_URL": ""})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "learning_rate = -0.5" in done.stderr and "bad.toml" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "bad.db").exists()
