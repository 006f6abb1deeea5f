"""Adaptive sweeps through the queue for real: Redis, PostgreSQL and two Celery worker processes, nothing
mocked. Runs of one sweep are judged at their rungs by whichever worker trains them, against what the other
worker recorded there, and every run ends completed or pruned with its decisions in order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from db import open_store, session_scope
from db.queries import rung_summaries, sweep_decisions

from .helpers import adaptive_spec, check_adaptive_sweep, mnistq, mnistq_json
from .test_celery_integration import queue_env, two_workers  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

# learning rates over four orders of magnitude: after one epoch the smallest have barely moved and the largest
# are far ahead, so the rungs have something to prune; none is large enough to diverge
SPREAD = "learning_rate = [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]\nseed = [0, 1]"
EPOCHS = 9  # ASHA with eta 3: rungs at epochs 1 and 3


def test_asha_sweep_on_two_workers(queue_env: dict[str, str], two_workers: list[Path], tmp_path: Path) -> None:  # noqa: F811
    spec = adaptive_spec(tmp_path, "asha", SPREAD, epochs=EPOCHS, search='strategy = "asha"\nmin_epochs = 1\neta = 3')
    done = mnistq("submit", str(spec), "--wait", "--json", env=queue_env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert "rungs at epochs 1, 3 of 9" in done.stderr
    sweep_id = out["sweep_id"]
    url = queue_env["MNISTQ_DATABASE_URL"]

    runs = check_adaptive_sweep(url, sweep_id)
    pruned = sorted(run_id for run_id, run in runs.items() if run.status == "pruned")
    assert len(runs) == 16 and 1 <= len(pruned) < 16, [(r.id, r.status) for r in runs.values()]
    assert len({r.worker for r in runs.values()}) == 2  # both worker processes ("host:pid") judged runs
    assert out["counts"]["pruned"] == len(pruned) and out["counts"]["completed"] == 16 - len(pruned)

    with session_scope(open_store(url, create=True)) as session:
        decisions = sweep_decisions(session, sweep_id)
        expected = rung_summaries(decisions)
    assert [s.rung for s in expected] == [1, 3] and expected[0].arrived == 16
    assert len({(d.run_id, d.rung) for d in decisions}) == len(decisions)  # one decision per run and rung

    (entry,) = mnistq_json("status", str(sweep_id), "--json", env=queue_env)
    assert entry["search"] == {"strategy": "asha", "metric": "val_loss", "min_epochs": 1, "eta": 3}
    assert [(r["rung"], r["arrived"], r["continued"], r["pruned"], r["diverged"]) for r in entry["rungs"]] == [
        (s.rung, s.arrived, s.kept, s.pruned, s.diverged) for s in expected
    ]
    for rung in entry["rungs"]:
        assert rung["arrived"] == rung["continued"] + rung["pruned"] + rung["diverged"], rung
    text = mnistq("status", str(sweep_id), env=queue_env)
    assert text.returncode == 0, text.stderr
    table = text.stdout.split("rung epoch", 1)[1].splitlines()[1:]
    shown = [[int(cell) for cell in line.split()[:5]] for line in table if line.strip()]
    assert shown == [[r["rung"], r["arrived"], r["continued"], r["pruned"], r["diverged"]] for r in entry["rungs"]]

    listed = mnistq(
        "runs", "--sweep", str(sweep_id), "--where", "status = 'pruned'", "--format", "json", env=queue_env
    )
    assert listed.returncode == 0, listed.stderr
    assert sorted(row["id"] for row in json.loads(listed.stdout)) == pruned


def test_median_stopping_sweep_through_the_queue(
    queue_env: dict[str, str], two_workers: list[Path], tmp_path: Path  # noqa: F811
) -> None:
    spec = adaptive_spec(tmp_path, "median", SPREAD, epochs=6, search='strategy = "median"\nmin_epochs = 1')
    done = mnistq("submit", str(spec), "--wait", "--json", env=queue_env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    runs = check_adaptive_sweep(queue_env["MNISTQ_DATABASE_URL"], out["sweep_id"])
    assert len(runs) == 16 and {r.status for r in runs.values()} <= {"completed", "pruned"}
    (entry,) = mnistq_json("status", str(out["sweep_id"]), "--json", env=queue_env)
    assert [r["rung"] for r in entry["rungs"]] == [2, 3, 4, 5]  # judged after epochs 2 to 5 of 6
    assert entry["rungs"][0]["arrived"] == 16
