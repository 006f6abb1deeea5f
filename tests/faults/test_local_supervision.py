"""Local mode supervises its worker processes: a process that dies gives its run back at once and a replacement
resumes it; a config that kills its process every time ends failed; processes that cannot start end the
command with exit 4 instead of a loop. Real `mnistq submit` processes, real worker processes, real stores."""

from __future__ import annotations

import os
import re
import signal
from contextlib import suppress
from pathlib import Path

import pytest

from db.errors import NotFoundError

from ..queue.helpers import mnistq, wait_until
from .crashy_worker import POISON_LEARNING_RATE
from .helpers import WIDE, Store, spec_file
from .local_helpers import assert_same_weights, curve, final_weights, finish, local_env, mnistq_front, start

pytestmark = pytest.mark.slow

EPOCHS = 14


def test_a_killed_local_worker_is_replaced_and_its_run_resumes_bitwise_equal(pg_url: str, tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "local-kill9", "seed = [7, 8]", epochs=EPOCHS, hidden=WIDE)
    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    store = Store(pg_url)  # the schema, before the command and the test's reads race to create it
    reference = start(["submit", str(spec), "--workers", "2", "--json"], local_env(reference_url))
    submit = start(["submit", str(spec), "--workers", "2", "--json"], local_env(pg_url))

    def trained_past_a_checkpoint() -> list:
        with suppress(NotFoundError):  # no sweep 1 yet
            return [r for r in store.runs(1, ["running"]) if r.worker and store.has_checkpoint(r.id)]
        return []

    wait_until(lambda: bool(trained_past_a_checkpoint()), 120, "a run past its first checkpoint", every=0.05)
    victim = trained_past_a_checkpoint()[0]
    before = store.epochs(victim.id)
    assert victim.attempts == 1 and 2 <= len(before) < EPOCHS
    pid = int(victim.worker.rsplit(":", 1)[1])
    os.kill(pid, signal.SIGKILL)
    code, out, err = finish(submit)
    reference_code, reference_out, reference_err = finish(reference)

    assert code == 0, err
    line = (
        f"local worker {pid} was killed by SIGKILL while training run {victim.id}; "
        "the run goes back to the queue (attempt 1 of 3 used)"
    )
    assert err.count(line) == 1, err
    assert reference_code == 0, reference_err
    runs = store.runs(1)
    assert [(r.status, r.error) for r in runs] == [("completed", None)] * 2
    resumed = store.run(victim.id)
    assert resumed.attempts == 2 and resumed.worker != victim.worker
    after = store.epochs(victim.id)
    assert [h.epoch for h in after] == list(range(1, EPOCHS + 1))  # no gap, no duplicate, no stale tail
    assert after[:2] == before[:2]  # the epochs up to the first checkpoint were not trained again

    expected = Store(reference_url)
    by_seed = {r.config["seed"]: r.id for r in expected.runs(1)}
    for run in runs:
        reference_id = by_seed[run.config["seed"]]
        assert curve(store, run.id) == curve(expected, reference_id)
        assert_same_weights(final_weights(store, run.id), final_weights(expected, reference_id))


def test_a_config_that_kills_its_local_worker_every_time_fails_and_submit_exits_3(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "local-poison", f"learning_rate = [0.05, {POISON_LEARNING_RATE}, 0.1]", epochs=3)
    url = f"sqlite:///{tmp_path / 'poison.db'}"
    done = mnistq_front(
        "tests.faults.crashy_local_worker", "submit", str(spec), "--workers", "2",
        env=local_env(url, MNISTQ_MAX_ATTEMPTS="3", MNISTQ_WORKER_HOST="node-7"),  # names are "node-7:PID"
    )
    assert done.returncode == 3, done.stderr
    runs = {r.learning_rate: r for r in Store(url).runs(1)}
    assert all(r.worker.startswith("node-7:") for r in runs.values())
    poison = runs.pop(POISON_LEARNING_RATE)
    assert (poison.status, poison.attempts) == ("failed", 3)
    assert poison.error == "worker process died while training on each of 3 attempts"
    assert [(r.status, r.attempts) for r in runs.values()] == [("completed", 1)] * 2
    # each death is reported; the supervisor gives the run back, unless a sibling process took it over first
    assert len(re.findall(r"local worker \d+ was killed by SIGKILL", done.stderr)) == 3, done.stderr
    given_back = re.findall(rf"while training run {poison.id}; the run (goes back to the queue|failed)", done.stderr)
    taken_over = re.findall(rf"run {poison.id}: its holder node-7:\d+ died(; taking it over| on attempt 3 of 3)", done.stderr)
    assert len(given_back) + len(taken_over) == 3, done.stderr
    assert "failed: that was attempt 3 of 3" in done.stderr or "died on attempt 3 of 3; the run is failed" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "sweep 1 finished with failed runs: 1 failed, 2 completed of 3 runs; queue them again with `mnistq retry 1`"
    )


@pytest.mark.parametrize("exit_code", [1, 0, -signal.SIGKILL], ids=["code-1", "code-0", "sigkill"])
def test_local_workers_that_cannot_start_end_submit_with_4_and_the_resume_command(
    tmp_path: Path, exit_code: int
) -> None:
    spec = spec_file(tmp_path, "stillborn", "seed = [0, 1]", epochs=3)
    url = f"sqlite:///{tmp_path / 'stillborn.db'}"
    env = local_env(url, MNISTQ_TEST_DEAD_WORKER_EXIT=str(exit_code))
    done = mnistq_front("tests.faults.dead_local_worker", "submit", str(spec), "--workers", "2", env=env, timeout=120)

    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == "sweep 1 is not finished: 2 queued of 2 runs; resume them with `mnistq retry 1`"
    gave_up = [line for line in lines if "exited without claiming a run; not starting another" in line]
    assert len(gave_up) == 1, done.stderr
    started = int(re.search(r"local workers: (\d+) processes in a row", gave_up[0]).group(1))
    assert 4 <= started <= 6  # 2 processes, replaced until 2 + 2 in a row never held a run (a few more may exit after)
    if exit_code != 0:  # a process that ends normally is not reported as dead
        assert sum("no run was held in its name" in line for line in lines) >= started
    assert [(r.status, r.attempts) for r in Store(url).runs(1)] == [("queued", 0)] * 2  # untouched: resumable



def test_retry_takes_over_the_runs_of_a_submit_killed_with_its_workers(tmp_path: Path) -> None:
    """The whole `submit` killed (its process group: the command and its workers, as a reboot or `kill -9 -PGID`
    would): nobody is left to give the runs back, so they stay `running`. `retry` in local mode takes over the
    runs whose holder is a dead process of this host and resumes them from their checkpoints."""
    spec = spec_file(tmp_path, "orphaned", "seed = [1, 2]", epochs=EPOCHS, hidden=WIDE)
    url = f"sqlite:///{tmp_path / 'orphaned.db'}"
    env = local_env(url)
    store = Store(url)
    submit = start(["submit", str(spec), "--workers", "2"], env)

    def checkpointed() -> list:
        with suppress(NotFoundError):
            return [r for r in store.runs(1, ["running"]) if store.has_checkpoint(r.id)]
        return []

    wait_until(lambda: bool(checkpointed()), 120, "a run past its first checkpoint", every=0.05)
    os.killpg(submit.pid, signal.SIGKILL)
    finish(submit)
    orphans = store.runs(1, ["running"])
    resumable = {r.id: store.epochs(r.id) for r in orphans if store.has_checkpoint(r.id)}
    assert resumable

    done = mnistq("retry", "1", env=env)
    assert done.returncode == 0, done.stderr
    runs = {r.id: r for r in store.runs(1)}
    assert [r.status for r in runs.values()] == ["completed", "completed"]
    for orphan in orphans:
        assert runs[orphan.id].attempts == orphan.attempts + 1  # taken over: one more attempt, not a fresh start
        assert [h.epoch for h in store.epochs(orphan.id)] == list(range(1, EPOCHS + 1))
    for run_id, before in resumable.items():
        assert store.epochs(run_id)[:2] == before[:2]  # resumed from the checkpoint, not trained again
