"""Adaptive sweeps end to end in local mode on SQLite: `mnistq submit` trains, prunes, records every rung
decision once, and a pruned run that a later sweep wants resumes from its checkpoint to the very weights a
plain grid run reaches."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from db import open_store, session_scope
from db.queries import get_artifact, get_run, load_artifact, run_decisions, run_history, sweep_run_ids
from model.weights_io import weights_from_npz_bytes

from ..queue.helpers import mnistq, mnistq_json

RATES = "[0.0001, 0.001, 0.01, 0.05, 0.2, 10.0]"  # hopeless, slow, good, and one that diverges


def _spec(tmp_path: Path, name: str, search: str = "", *, engine: str = "numpy", rates: str = RATES) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\n[fixed]\ndataset = "digits"\nengine = "{engine}"\nhidden = [16]\nepochs = 9\n'
        f"[grid]\nlearning_rate = {rates}\nbatch_size = [32, 128]\n{search}"
    )
    return path


ASHA = '[search]\nstrategy = "asha"\neta = 3\n'
MEDIAN = '[search]\nstrategy = "median"\nmetric = "val_acc"\nmin_epochs = 2\n'


def _env(tmp_path: Path, store: str) -> dict[str, str]:
    return {"MNISTQ_DATABASE_URL": f"sqlite:///{tmp_path / store}", "MNISTQ_BROKER_URL": ""}


def _runs(url: str, sweep_id: int) -> dict[int, tuple]:
    """run id -> (record, history epochs, decisions of this sweep)."""
    with session_scope(open_store(url)) as session:
        out = {}
        for run_id in sweep_run_ids(session, sweep_id):
            decisions = [d for d in run_decisions(session, run_id) if d.sweep_id == sweep_id]
            out[run_id] = (get_run(session, run_id), [h.epoch for h in run_history(session, run_id)], decisions)
    return out


def _weights(url: str) -> dict[str, dict[str, np.ndarray]]:
    """config hash -> final weights of every run that has them."""
    with session_scope(open_store(url)) as session:
        out = {}
        for sweep_id in (1,):
            for run_id in sweep_run_ids(session, sweep_id):
                run = get_run(session, run_id)
                if get_artifact(session, run_id, "final") is not None:
                    out[run.config_hash] = weights_from_npz_bytes(load_artifact(session, run_id, "final"))
    return out


def test_an_asha_sweep_prunes_at_its_rungs_and_records_each_decision_once(tmp_path: Path) -> None:
    env = _env(tmp_path, "asha.db")
    submitted = mnistq("submit", str(_spec(tmp_path, "asha", ASHA)), "--workers", "2", "--json", env=env)
    assert submitted.returncode == 0, submitted.stderr
    assert "search: asha on val_loss, min_epochs 1, eta 3 (rungs at epochs 1, 3 of 9)" in submitted.stderr

    runs = _runs(env["MNISTQ_DATABASE_URL"], 1)
    statuses = {run.status for run, _, _ in runs.values()}
    assert statuses <= {"completed", "pruned", "diverged"} and {"completed", "pruned"} <= statuses
    for run_id, (run, epochs, decisions) in runs.items():
        rungs = [d.rung for d in decisions]
        assert rungs == [1, 3][: len(rungs)], (run_id, rungs)  # contiguous, each rung once
        assert epochs == list(range(1, len(epochs) + 1))
        if run.status == "pruned":
            assert decisions[-1].verdict == "pruned" and epochs[-1] == decisions[-1].rung
            assert all(d.verdict == "kept" for d in decisions[:-1])
            assert decisions[-1].cutoff is not None and decisions[-1].compared >= 3
            assert run.error.startswith(f"pruned after epoch {decisions[-1].rung} of 9 by sweep 1 (asha: val_loss")
            with session_scope(open_store(env["MNISTQ_DATABASE_URL"])) as session:
                assert get_artifact(session, run_id, "checkpoint") is not None  # a later sweep resumes there
                assert get_artifact(session, run_id, "final") is not None
        elif run.status == "completed":
            assert epochs[-1] == 9 and [d.verdict for d in decisions] == ["kept", "kept"]
        else:  # diverged during an epoch it never reported: the worst result at the next rung
            assert run.config["learning_rate"] == 10.0
            following = [rung for rung in (1, 3) if rung > len(epochs)]
            if following:
                assert decisions[-1].rung == following[0] and decisions[-1].verdict == "diverged"
                assert decisions[-1].value is None

    status = mnistq_json("status", "1", "--json", env=env)[0]
    assert status["search"] == {"strategy": "asha", "metric": "val_loss", "min_epochs": 1, "eta": 3}
    for rung in status["rungs"]:
        assert rung["arrived"] == rung["continued"] + rung["pruned"] + rung["diverged"]
    by_rung = {rung["rung"]: rung for rung in status["rungs"]}
    assert by_rung[1]["arrived"] + sum(run.status == "diverged" and not epochs for run, epochs, _ in runs.values()) >= 12
    assert by_rung[3]["arrived"] == sum(1 for _, epochs, _ in runs.values() if len(epochs) >= 3)
    text = mnistq("status", "1", env=env).stdout
    assert "rung epoch" in text and "cutoff" in text

    pruned = mnistq_json("runs", "--where", "status = 'pruned'", "--format", "json", env=env)
    assert sorted(row["id"] for row in pruned) == sorted(i for i, (r, _, _) in runs.items() if r.status == "pruned")
    shown = mnistq_json("show", str(pruned[0]["id"]), "--json", env=env)
    assert shown["status"] == "pruned" and shown["rung_decisions"][-1]["verdict"] == "pruned"
    retried = mnistq("retry", "--run", str(pruned[0]["id"]), env=env)  # its sweep's decision stands
    assert retried.returncode == 2 and "submit a spec without [search]" in retried.stderr


def test_survivors_and_resumed_pruned_runs_end_bitwise_equal_to_plain_grid_runs(tmp_path: Path) -> None:
    """Two stores, since in one store the same config is one row. A survivor of every rung ends as the grid
    run does; a pruned run that a later grid sweep wants resumes from its checkpoint and ends the same too."""
    rates = "[0.0005, 0.01, 0.1]"
    adaptive, grid = _env(tmp_path, "adaptive.db"), _env(tmp_path, "grid.db")
    asha_spec, grid_spec = _spec(tmp_path, "asha", ASHA, rates=rates), _spec(tmp_path, "grid", rates=rates)
    assert mnistq("submit", str(asha_spec), "--workers", "2", env=adaptive).returncode == 0
    assert mnistq("submit", str(grid_spec), "--workers", "2", env=grid).returncode == 0
    reference = _weights(grid["MNISTQ_DATABASE_URL"])
    runs = _runs(adaptive["MNISTQ_DATABASE_URL"], 1)
    pruned = [run.config_hash for run, _, _ in runs.values() if run.status == "pruned"]
    survivors = [run.config_hash for run, _, _ in runs.values() if run.status == "completed"]
    assert pruned and survivors
    first = _weights(adaptive["MNISTQ_DATABASE_URL"])
    for config_hash in survivors:
        for name, array in reference[config_hash].items():
            assert np.array_equal(first[config_hash][name], array), (config_hash, name)

    again = mnistq_json("submit", str(grid_spec), "--json", env=adaptive)  # the grid wants every epoch
    assert (again["new"], again["reused"]) == (len(pruned), len(survivors))
    assert again["counts"]["completed"] == len(runs)
    resumed = _weights(adaptive["MNISTQ_DATABASE_URL"])
    for config_hash in pruned:
        for name, array in reference[config_hash].items():
            assert np.array_equal(resumed[config_hash][name], array), (config_hash, name)
    for _run, epochs, decisions in _runs(adaptive["MNISTQ_DATABASE_URL"], 1).values():
        assert epochs == list(range(1, 10))  # resumed where it stopped: one row per epoch, none lost
        assert decisions[-1].verdict in ("kept", "pruned")  # the first sweep's decisions stay as they were


def test_an_extension_leaves_its_own_pruned_runs_alone_and_must_share_the_plan(tmp_path: Path) -> None:
    env = _env(tmp_path, "extend.db")
    spec = _spec(tmp_path, "asha", ASHA, rates="[0.0001, 0.01, 0.1, 0.3]")
    assert mnistq("submit", str(spec), "--workers", "2", env=env).returncode == 0
    more = tmp_path / "more.toml"
    more.write_text(spec.read_text().replace("batch_size = [32, 128]", "batch_size = [32, 128, 64]"))
    extended = mnistq_json("submit", str(more), "--extend", "1", "--json", env=env)
    assert (extended["new"], extended["reused"]) == (4, 8)  # the sweep's pruned runs stay pruned

    other = tmp_path / "other.toml"
    other.write_text(more.read_text().replace("eta = 3", "eta = 2"))
    refused = mnistq("submit", str(other), "--extend", "1", env=env)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "other.toml: search = asha on val_loss, min_epochs 1, eta 2: expected sweep 1's own plan" in refused.stderr


def test_median_stopping_judges_every_epoch_past_its_grace_period(tmp_path: Path) -> None:
    env = _env(tmp_path, "median.db")
    done = mnistq("submit", str(_spec(tmp_path, "median", MEDIAN, rates="[0.0001, 0.001, 0.05, 0.2]")),
                  "--workers", "2", env=env)
    assert done.returncode == 0, done.stderr
    runs = _runs(env["MNISTQ_DATABASE_URL"], 1)
    assert {run.status for run, _, _ in runs.values()} <= {"completed", "pruned"}
    assert any(run.status == "pruned" for run, _, _ in runs.values())
    for run, epochs, decisions in runs.values():
        assert [d.rung for d in decisions] == list(range(3, 3 + len(decisions)))  # epochs past min_epochs = 2
        assert all(d.rule == "median" and d.metric == "val_acc" for d in decisions)
        if run.status == "pruned":
            last = decisions[-1]
            assert last.verdict == "pruned" and last.compared >= 3 and epochs[-1] == last.rung
            assert last.value < last.cutoff  # accuracy: higher is better, and its best was below the median


def test_the_sklearn_engine_is_pruned_the_same_way(tmp_path: Path) -> None:
    env = _env(tmp_path, "sklearn.db")
    spec = _spec(tmp_path, "sk", ASHA, engine="sklearn", rates="[0.00001, 0.0001, 0.01, 0.1]")
    done = mnistq("submit", str(spec), "--workers", "2", env=env)
    assert done.returncode == 0, done.stderr
    runs = _runs(env["MNISTQ_DATABASE_URL"], 1)
    assert any(run.status == "pruned" for run, _, _ in runs.values())
    for run, epochs, decisions in runs.values():
        if run.status == "pruned":
            assert epochs[-1] == decisions[-1].rung
