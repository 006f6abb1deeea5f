"""JSON only: a pickle-serialised task pushed onto a real worker's queue is refused unread. If the worker
unpickled it, the payload would run code (make a directory) and hand the run to training; neither happens."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import redis
from celery import Celery

from db import open_store, session_scope
from scheduler.queue import TASK_NAME, enqueue, make_sender
from scheduler.spec import load_spec
from scheduler.submit import store_sweep

from ..faults.helpers import Store, count_in, running, spec_file, start_celery, wait_ready
from ..queue.helpers import wait_until

pytestmark = pytest.mark.slow


class _Payload:
    """Unpickling this runs `eval`: it creates `marker`, then evaluates to `run_id`."""

    def __init__(self, marker: Path, run_id: int) -> None:
        self.marker, self.run_id = marker, run_id

    def __reduce__(self) -> tuple:
        return eval, (f"__import__('os').makedirs({str(self.marker)!r}) or {self.run_id}",)


def _pickle_sender(url: str) -> Celery:
    app = Celery("attacker", broker=url, set_as_current=False)
    app.conf.update(task_serializer="pickle", accept_content=["pickle"])
    return app


def test_a_pickled_task_message_is_refused_and_trains_nothing(redis_url: str, pg_url: str, tmp_path: Path) -> None:
    env = {"MNISTQ_BROKER_URL": redis_url, "MNISTQ_DATABASE_URL": pg_url}
    with session_scope(open_store(pg_url, create=True)) as session:
        ((run_id, _),) = store_sweep(session, load_spec(spec_file(tmp_path, "evil", "seed = [0]", epochs=2))).to_train
    probe = tmp_path / "probe"
    assert pickle.loads(pickle.dumps(_Payload(probe, run_id))) == run_id and probe.is_dir()  # the payload is live
    marker = tmp_path / "code-ran"
    _pickle_sender(redis_url).send_task(TASK_NAME, args=[_Payload(marker, run_id)], queue="numpy", serializer="pickle")
    broker = redis.Redis.from_url(redis_url)
    assert broker.llen("numpy") == 1

    store, log = Store(pg_url), tmp_path / "worker.log"
    worker = start_celery("json-only", env, log)
    with running(worker):
        wait_ready(log)
        wait_until(lambda: "Refusing to deserialize untrusted content of type pickle" in log.read_text(), 30, "refusal")
        wait_until(lambda: broker.llen("numpy") == 0 and broker.hlen("unacked") == 0, 30, "the message dropped")
        assert not marker.exists()  # nothing was unpickled
        untouched = store.run(run_id)
        assert (untouched.status, untouched.attempts) == ("queued", 0)

        enqueue(make_sender(redis_url), [(run_id, "numpy")])  # the same run, as JSON: trained at once
        wait_until(lambda: store.run(run_id).status == "completed", 60, "the JSON task to train the run")
    assert count_in(log, f"run {run_id}: claimed by") == 1
