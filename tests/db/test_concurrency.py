"""Two worker processes race over the same 100 queued runs: each run is claimed exactly once."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.engine import session_scope
from db.models import Run
from db.queries import create_sweep

CLAIMER = """
import json, pathlib, random, sys, time
from db.engine import session_scope
from db.queries import claim_run
from db.store import open_store

url, worker, barrier, ids = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), json.loads(sys.argv[4])
engine = open_store(url, create=True)
(barrier / worker).touch()
while len(list(barrier.iterdir())) < 2:  # start together, so the two really contend
    time.sleep(0.005)
random.Random(worker).shuffle(ids)  # different orders: the two collide all along, not just at the start
won = []
for run_id in ids:
    with session_scope(engine) as session:
        if claim_run(session, run_id, worker=worker, lease_seconds=3600, max_attempts=5) is not None:
            won.append(run_id)
print(json.dumps(won))
"""


@pytest.mark.slow
def test_two_processes_never_claim_the_same_run(store, db_url, new_run, run_together, tmp_path):
    with session_scope(store) as session:
        run_ids = list(create_sweep(session, "race", {}, [new_run(s) for s in range(100)]).run_ids)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    ids = json.dumps(run_ids)
    won_a, won_b = run_together(CLAIMER, [[db_url, "a", str(barrier), ids], [db_url, "b", str(barrier), ids]])

    assert not set(won_a) & set(won_b)
    assert sorted(won_a + won_b) == run_ids
    with session_scope(store) as session:
        rows = session.execute(select(Run.id, Run.worker, Run.attempts, Run.status)).all()
    owner = {run_id: "a" for run_id in won_a} | {run_id: "b" for run_id in won_b}
    assert all(
        attempts == 1 and status == "running" and owner[i] == worker for i, worker, attempts, status in rows
    )
