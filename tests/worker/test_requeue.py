"""A worker that cannot take runs never acknowledges their messages: a real worker whose store a newer mnistq
has upgraded puts the task back in Redis, again and again, until a healthy worker trains the run."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from db import open_store
from db.migrate import HEAD_REVISION

from ..faults.helpers import Store, count_in, running, start_celery, wait_ready
from ..queue.helpers import mnistq_json, wait_until
from .helpers import one_run_spec

pytestmark = pytest.mark.slow

def set_revision(url: str, revision: str) -> None:
    with open_store(url, create=True).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :revision"), {"revision": revision})


def test_a_worker_on_a_newer_schema_puts_the_task_back_for_a_healthy_one(
    redis_url: str, pg_url: str, tmp_path: Path
) -> None:
    env = {"MNISTQ_BROKER_URL": redis_url, "MNISTQ_DATABASE_URL": pg_url}
    sweep_id = mnistq_json("submit", str(one_run_spec(tmp_path)), "--json", env=env)["sweep_id"]  # queued before any worker runs
    store = Store(pg_url)
    (run,) = store.runs(sweep_id)
    broker = redis.Redis.from_url(redis_url)
    assert broker.llen("numpy") == 1

    set_revision(pg_url, "9999")  # a newer mnistq upgraded the store
    log = tmp_path / "outdated.log"
    outdated = start_celery("outdated", env, log)
    with running(outdated):
        wait_ready(log)
        # the same message comes back: the first delivery was put back, not acknowledged
        refusal = f"run {run.id}: this worker cannot take runs (SchemaError: "
        wait_until(lambda: count_in(log, refusal) >= 2, 180, "the task to be delivered twice")
    assert "newer than this mnistq knows (" in log.read_text()
    assert "putting it back in the queue in 10 s" in log.read_text()
    assert (store.run(run.id).status, store.run(run.id).attempts) == ("queued", 0)
    assert broker.llen("numpy") + broker.hlen("unacked") == 1  # still in Redis after the worker stopped

    set_revision(pg_url, HEAD_REVISION)
    log = tmp_path / "healthy.log"
    healthy = start_celery("healthy", env, log)
    with running(healthy):
        wait_until(lambda: store.run(run.id).status == "completed", 180, "a healthy worker to train the run")
    assert store.run(run.id).attempts == 1
    wait_until(lambda: broker.llen("numpy") + broker.hlen("unacked") == 0, 60, "the message to be acknowledged")
