"""Running `mnistq` and Celery workers as real subprocesses for the queue tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from adaptive import SearchPlan
from db import open_store, session_scope
from db.queries import (
    get_artifact,
    get_run,
    get_sweep,
    run_history,
    rung_summaries,
    sweep_decisions,
    sweep_run_ids,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def mnistq(
    *args: str, env: Mapping[str, str], cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args],
        env={**os.environ, **env},
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def mnistq_json(*args: str, env: Mapping[str, str], cwd: Path | None = None) -> object:
    done = mnistq(*args, env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def start_worker(name: str, env: Mapping[str, str], log: Path, concurrency: int = 1) -> subprocess.Popen[bytes]:
    """A real Celery worker process (`mnistq worker`), logging to `log`."""
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "worker", "-c", str(concurrency), "-n", f"{name}@%h", "-l", "INFO"],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Warm shutdown (SIGTERM), then kill if it lingers; the whole process group goes."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def wait_until(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def adaptive_spec(tmp_path: Path, name: str, grid: str, *, epochs: int, search: str, hidden: str = "[32]") -> Path:
    """A sweep of `digits` numpy runs with a [search] section; `grid` and `search` are the TOML bodies of
    [grid] and [search], e.g. 'learning_rate = [0.01, 0.1]' and 'strategy = "asha"'."""
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\n[fixed]\nengine = "numpy"\ndataset = "digits"\nepochs = {epochs}\nhidden = {hidden}\n'
        f"[grid]\n{grid}\n[search]\n{search}\n"
    )
    return path


def check_adaptive_sweep(
    url: str, sweep_id: int, *, max_attempts: int = 1
) -> dict[int, Any]:
    """Assert what a finished adaptive sweep (one sweep holding each of its runs, all of the same epochs) must
    hold, and return its runs (RunRecord) by id:

    - every run ended completed or pruned, trained at most `max_attempts` times, with history 1..n, no gap;
    - a run's decisions are its plan's decision epochs in order, up to the first that stopped it, each
      recorded once: a pruned run stopped at its last decision, its history ends exactly at that epoch and
      it keeps a checkpoint and a final artifact; a completed run was kept at every decision epoch and
      trained all its epochs;
    - the rung summaries say the same: arrived = continued + pruned + diverged, and every run continued at
      a rung arrived at the next one.
    """
    with session_scope(open_store(url, create=True)) as session:
        plan = SearchPlan.of_spec(get_sweep(session, sweep_id).spec)
        decisions = sweep_decisions(session, sweep_id)
        runs: dict[int, Any] = {}
        for run_id in sweep_run_ids(session, sweep_id):
            run = get_run(session, run_id)
            runs[run_id] = run
            epochs = [h.epoch for h in run_history(session, run_id)]
            mine = [d for d in decisions if d.run_id == run_id]  # by rung: sweep_decisions orders so
            where = f"run {run_id} ({run.status}, attempts {run.attempts}, epochs {epochs}, decisions " \
                    f"{[(d.rung, d.verdict) for d in mine]})"
            assert run.status in ("completed", "pruned"), f"{where}: {run.error}"
            assert 1 <= run.attempts <= max_attempts, where
            assert epochs == list(range(1, len(epochs) + 1)), where
            planned = plan.decision_epochs(run.config["epochs"])
            assert [d.rung for d in mine] == list(planned[: len(mine)]), where  # in order, none skipped or twice
            assert all(d.verdict == "kept" for d in mine[:-1]), where  # nothing decided after a stop
            if run.status == "pruned":
                assert mine and mine[-1].verdict == "pruned", where
                assert epochs[-1] == mine[-1].rung, where
                assert get_artifact(session, run_id, "checkpoint") is not None, where
                assert get_artifact(session, run_id, "final") is not None, where
            else:
                assert len(mine) == len(planned) and all(d.verdict == "kept" for d in mine), where
                assert epochs[-1] == run.config["epochs"], where
        assert {d.run_id for d in decisions} <= set(runs)
        summaries = rung_summaries(decisions)
    for summary in summaries:
        assert summary.arrived == summary.kept + summary.pruned + summary.diverged, summary
    for lower, upper in zip(summaries, summaries[1:], strict=False):
        assert upper.arrived == lower.kept, (lower, upper)  # every run continued reached the next rung
    return runs
