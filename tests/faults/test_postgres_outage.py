"""Fault 4: PostgreSQL unreachable for 10 s in the middle of a run. A proxy between the worker and the server
cuts every connection and refuses new ones; the epoch writes retry with backoff, the heartbeat rides it out,
the pool reconnects, and the run completes in its first attempt without a duplicated row."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from db import session_scope
from db.queries import get_artifact

from ..queue.helpers import mnistq_json, wait_until
from .helpers import (
    FAST_LEASES,
    WIDE,
    OutageProxy,
    Store,
    count_in,
    running,
    spec_file,
    start_celery,
    wait_ready,
)

pytestmark = pytest.mark.slow

# long enough that the cut lands mid-run however slowly this test process is scheduled once it saw epoch 2
# (at 10 epochs, a busy machine let the run finish before the cut)
EPOCHS = 80
OUTAGE_SECONDS = 10


@pytest.fixture
def proxy(pg_url: str) -> Iterator[OutageProxy]:
    server = make_url(pg_url)
    proxy = OutageProxy((server.host or "127.0.0.1", server.port or 5432))
    try:
        yield proxy
    finally:
        proxy.close()


def test_run_completes_through_a_ten_second_database_outage(
    redis_url: str, pg_url: str, proxy: OutageProxy, tmp_path: Path
) -> None:
    through_proxy = make_url(pg_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    env = {"MNISTQ_BROKER_URL": redis_url, "MNISTQ_DATABASE_URL": pg_url, **FAST_LEASES}
    env["MNISTQ_LEASE_SECONDS"] = "60"  # nobody may take the run over while everyone's database is down
    store = Store(pg_url)
    log = tmp_path / "worker.log"
    worker = start_celery("pg", {**env, "MNISTQ_DATABASE_URL": through_proxy}, log)
    with running(worker):
        wait_ready(log)
        out = mnistq_json("submit", str(spec_file(tmp_path, "outage", "seed = [5]", epochs=EPOCHS, hidden=WIDE)), "--json", env=env)
        (run_id,) = [r.id for r in store.runs(out["sweep_id"])]
        wait_until(lambda: len(store.epochs(run_id)) >= 2, 60, "two epochs", every=0.05)

        proxy.outage()
        time.sleep(1)  # a write already at the server when the connections were cut may still commit
        stalled = len(store.epochs(run_id))
        time.sleep(OUTAGE_SECONDS - 1)  # the fault itself: the worker cannot reach the database meanwhile
        assert len(store.epochs(run_id)) == stalled < EPOCHS and store.run(run_id).status == "running"
        proxy.restore()
        wait_until(lambda: store.run(run_id).status == "completed", 120, "the run to complete")

    run = store.run(run_id)
    assert run.attempts == 1 and run.error is None
    assert [h.epoch for h in store.epochs(run_id)] == list(range(1, EPOCHS + 1))
    with session_scope(store.engine) as session:
        assert get_artifact(session, run_id, "final") is not None
        assert get_artifact(session, run_id, "checkpoint") is None
    assert count_in(log, f"run {run_id} epoch {stalled + 1}: database unavailable") >= 2  # retried with backoff
    assert count_in(log, f"run {run_id}: heartbeat failed") == count_in(log, f"run {run_id}: heartbeat restored") == 1
