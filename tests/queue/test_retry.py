"""`mnistq retry` in local mode, end to end: a cancelled run resumes from its checkpoint (`--cancelled`), one
failed or completed run is trained again (`--run`), exit codes say what is left, and `status` stops claiming
that stopped runs are being asked to stop. Real `mnistq` processes and local worker processes on SQLite."""

from __future__ import annotations

import json
from contextlib import suppress
from pathlib import Path

import pytest
from sqlalchemy import update

from db import session_scope
from db.errors import NotFoundError
from db.models import Artifact
from db.queries import cancel_sweep

from ..faults.crashy_worker import POISON_LEARNING_RATE
from ..faults.helpers import WIDE, Store, spec_file
from ..faults.local_helpers import (
    assert_same_weights,
    curve,
    final_weights,
    finish,
    local_env,
    mnistq_front,
    start,
)
from .helpers import mnistq, mnistq_json, wait_until

pytestmark = pytest.mark.slow

EPOCHS = 24


def test_retry_cancelled_resumes_a_cancelled_run_from_its_checkpoint(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "resume", "seed = [3]", epochs=EPOCHS, hidden=WIDE)
    url, reference_url = (f"sqlite:///{tmp_path / name}" for name in ("resume.db", "reference.db"))
    env = local_env(url, MNISTQ_CHECKPOINT_EVERY="100")  # no periodic checkpoint: only the one taken on cancel
    store = Store(url)
    reference = start(["submit", str(spec), "--json"], local_env(reference_url))
    submit = start(["submit", str(spec), "--json"], env)

    def epochs_stored() -> int:
        with suppress(NotFoundError):  # no sweep yet
            return max((len(store.epochs(r.id)) for r in store.runs(1)), default=0)
        return 0

    wait_until(lambda: epochs_stored() >= 3, 120, "three epochs", every=0.05)
    with session_scope(store.engine) as session:  # what `mnistq cancel 1` does, without its start-up time
        assert cancel_sweep(session, 1).cancel_requested_ids == (1,)
    code, out, err = finish(submit)
    assert code == 4, err
    assert err.strip().splitlines()[-1] == (
        "sweep 1 is not finished: 1 cancelled of 1 runs; resume them with `mnistq retry 1 --cancelled`"
    )
    assert json.loads(out)["counts"]["cancelled"] == 1
    (run,) = store.runs(1)
    before = store.epochs(run.id)
    assert (run.status, run.attempts) == ("cancelled", 1) and 3 <= len(before) < EPOCHS
    assert [h.epoch for h in before] == list(range(1, len(before) + 1))
    assert store.has_checkpoint(run.id)  # taken at the epoch it stopped after, and kept, to resume from

    status = mnistq("status", "1", env=env)
    assert status.returncode == 0 and "1 cancelled" in status.stdout
    assert "asked to stop" not in status.stdout, status.stdout  # it has stopped

    plain = mnistq("retry", "1", env=env)  # failed runs only: the cancelled one stays, and says how to resume it
    assert plain.returncode == 4 and plain.stderr.strip().splitlines()[-1].endswith("`mnistq retry 1 --cancelled`")
    assert store.run(run.id).status == "cancelled"

    resumed = mnistq_json("retry", "1", "--cancelled", "--json", env=env)
    assert resumed["retried"] == {"failed": [], "cancelled": [run.id]}
    assert resumed["counts"]["completed"] == 1
    done = store.run(run.id)
    assert (done.status, done.attempts, done.error) == ("completed", 1, None)
    after = store.epochs(run.id)
    assert [h.epoch for h in after] == list(range(1, EPOCHS + 1))
    assert after[: len(before)] == before  # every epoch before the cancel kept, wall times included: not retrained
    assert not store.has_checkpoint(run.id)
    assert mnistq_json("sweeps", "--json", env=env)[0]["cancelled"] is False  # the sweep is open again

    reference_code, _, reference_err = finish(reference)
    assert reference_code == 0, reference_err
    expected = Store(reference_url)
    (reference_id,) = [r.id for r in expected.runs(1)]
    assert curve(store, run.id) == curve(expected, reference_id)  # as if it had never been cancelled
    assert_same_weights(final_weights(store, run.id), final_weights(expected, reference_id))


def test_retry_run_trains_a_failed_run_and_a_completed_run_with_corrupt_weights(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "one", f"learning_rate = [0.05, {POISON_LEARNING_RATE}]", epochs=3)
    url = f"sqlite:///{tmp_path / 'one.db'}"
    env = local_env(url, MNISTQ_MAX_ATTEMPTS="1")
    first = mnistq_front("tests.faults.crashy_local_worker", "submit", str(spec), env=env)
    assert first.returncode == 3, first.stderr
    store = Store(url)
    good, poison = sorted(store.runs(1), key=lambda r: r.learning_rate != 0.05)
    assert (good.status, poison.status, poison.attempts) == ("completed", "failed", 1)

    retried = mnistq_json("retry", "--run", str(poison.id), "--json", env=env)  # now with the real worker
    assert (retried["run_id"], retried["retried"]) == (poison.id, {"failed": [poison.id]})
    assert retried["counts"] == {**dict.fromkeys(retried["counts"], 0), "completed": 1}
    again = store.run(poison.id)
    assert (again.status, again.attempts, again.error) == ("completed", 1, None)
    assert [h.epoch for h in store.epochs(poison.id)] == [1, 2, 3]
    assert store.run(good.id) == good  # the other run of the sweep was left alone

    original = final_weights(store, good.id)
    with session_scope(store.engine) as session:
        session.execute(
            update(Artifact).where(Artifact.run_id == good.id, Artifact.kind == "final").values(data=b"not weights")
        )
    refused = mnistq("export", str(good.id), "-o", str(tmp_path / "w.npz"), env=env)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert f"`mnistq retry --run {good.id}`" in refused.stderr
    retrained = mnistq("retry", "--run", str(good.id), env=env)
    assert retrained.returncode == 0, retrained.stderr
    assert f"run {good.id}: completed, queued again" in retrained.stderr
    assert (store.run(good.id).status, store.run(good.id).attempts) == ("completed", 1)
    assert_same_weights(final_weights(store, good.id), original)  # deterministic: the same weights, intact
    assert mnistq("export", str(good.id), "-o", str(tmp_path / "w.npz"), env=env).returncode == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("retry", "1", "--run", "1"), "mnistq: error: give either a SWEEP or --run RUN, not both\n"),
        (("retry",), "mnistq: error: give a SWEEP or --run RUN\n"),
        (("retry", "--cancelled"), "mnistq: error: give a SWEEP or --run RUN\n"),
    ],
    ids=["both", "neither", "neither-with-flag"],
)
def test_retry_takes_exactly_one_of_sweep_and_run(tmp_path: Path, argv: tuple[str, ...], message: str) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = local_env(url)
    spec = spec_file(tmp_path, "failing", "seed = [0]", epochs=2)
    assert mnistq_front("tests.faults.dead_local_worker", "submit", str(spec), env={
        **env, "MNISTQ_TEST_DEAD_WORKER_EXIT": "1"
    }).returncode == 4
    before = Store(url).runs(1)
    done = mnistq(*argv, env=env)
    assert (done.returncode, done.stderr) == (2, message)
    assert Store(url).runs(1) == before  # nothing changed, nothing trained
