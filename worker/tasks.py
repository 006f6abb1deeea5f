"""The Celery task: `mnistq.train_run(run_id)`. Only the id travels; everything else is read from the store.

A message is acknowledged once `execute_run` has dealt with the run: trained it and stored the outcome
(a failure of the run itself included), or found it finished or held by another worker. A worker that cannot
even try to claim the run -- a bad setting, a store it cannot open or whose schema a newer mnistq upgraded,
a database still unreachable when `retry_db` gives up -- puts the message back in the queue after a pause
instead: the fault is its set-up's, never the run's, and another worker (or this one, once repaired) takes it.
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import suppress
from typing import Any

from billiard.exceptions import SoftTimeLimitExceeded
from celery.exceptions import Reject
from celery.signals import worker_process_init
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from core.errors import UserError
from db import dispose_engines, open_store, session_scope
from db.migrate import check_schema
from db.queries import fail_run
from worker.blas import apply_blas_threads, thread_pools
from worker.celery_app import TASK_NAME, app
from worker.execute import FAILED, describe_failure, execute_run
from worker.identity import worker_name
from worker.retry import retry_db
from worker.settings import WorkerSettings

log = logging.getLogger("mnistq.worker")

# execute_run's own check of the soft time limit, after each epoch, only backs up Celery's signal (which
# library code can swallow): it comes this much later, so that the two do not race for the same run.
DEADLINE_GRACE_SECONDS = 2.0
# How long a worker that cannot take runs holds a message before it puts it back: long enough that it does
# not spin on the queue, short enough that a healthy worker soon gets the run.
REQUEUE_PAUSE_SECONDS = 10.0


@app.task(name=TASK_NAME, bind=True)
def train_run(self: Any, run_id: int) -> str:
    """Train stored run `run_id` (a no-op if it is finished or held by a live worker); returns its outcome.
    The first task of a pool process opens the store, waiting out a database outage like every later write."""
    started = time.monotonic()
    run_id = int(run_id)
    soft_limit = soft_time_limit(self.request.timelimit, app.conf.task_soft_time_limit)
    worker_settings, engine = ready_to_claim(run_id, soft_limit)
    deadline = None if soft_limit is None else started + soft_limit + DEADLINE_GRACE_SECONDS
    try:
        return execute_run(run_id, engine=engine, settings=worker_settings, deadline=deadline)
    except SoftTimeLimitExceeded as exc:
        return record_time_limit(engine, run_id, exc)


def ready_to_claim(run_id: int, soft_limit: float | None = None) -> tuple[WorkerSettings, Engine]:
    """This worker's settings and its store, reachable and at the schema this mnistq knows.

    If any of that fails, nothing of the run was touched: log one line, wait REQUEUE_PAUSE_SECONDS (at most
    half the soft time limit, which would otherwise interrupt the wait) and raise Reject(requeue=True), which
    puts the message back at the end of its queue unacknowledged."""
    try:
        worker_settings = WorkerSettings.from_env()
        engine = retry_db(lambda: open_store(create=True), what=f"run {run_id}: opening the store")
        # the engine is opened once per process: check on every task that the store still answers and that
        # no newer mnistq has upgraded its schema since
        retry_db(lambda: check_schema(engine), what=f"run {run_id}: checking the store")
    except Exception as exc:  # SoftTimeLimitExceeded during a long outage too: the run was not claimed
        pause = REQUEUE_PAUSE_SECONDS if soft_limit is None else min(REQUEUE_PAUSE_SECONDS, soft_limit / 2)
        reason = describe_failure(exc)
        expected = isinstance(exc, UserError | SQLAlchemyError | SoftTimeLimitExceeded)  # else a bug: traceback
        log.error("run %s: this worker cannot take runs (%s); putting it back in the queue in %g s", run_id,
                  reason, pause, exc_info=not expected)
        with suppress(SoftTimeLimitExceeded):
            time.sleep(pause)
        raise Reject(reason, requeue=True) from None
    return worker_settings, engine


def record_time_limit(engine: Engine, run_id: int, exc: SoftTimeLimitExceeded) -> str:
    """Fail run `run_id` for its soft time limit if this worker still holds it, else re-raise `exc`.

    Celery's soft-limit signal is timed by the pool's parent process, which on a busy machine can send it
    after `execute_run`'s own deadline check has already failed the run; landing while that failure is being
    written, it would interrupt the write and leave the run `running` until its lease expired and someone
    tried it again. Celery sends the signal once, so this write is not interrupted. Nothing is changed when
    the run's outcome was stored before the signal landed."""
    error = describe_failure(exc)

    def write() -> bool:
        with session_scope(engine) as session:
            return fail_run(session, run_id, worker=worker_name(), error=error, final=True)

    if not retry_db(write, what=f"run {run_id} failure"):
        raise exc
    log.error("run %s failed: %s", run_id, error)
    return FAILED


def soft_time_limit(request_limits: Any, default: float | None) -> float | None:
    """The soft time limit (seconds) of this delivery: the message's own (time_limit, soft_time_limit) if it
    set one, else the app's."""
    if isinstance(request_limits, list | tuple) and len(request_limits) == 2 and request_limits[1]:
        return float(request_limits[1])
    return float(default) if default else None


@worker_process_init.connect
def _child_init(**_: Any) -> None:
    """In each forked child: fresh database connections and the BLAS thread limit ($MNISTQ_BLAS_THREADS,
    default 1; the worker checked it before it started)."""
    dispose_engines(close=False)
    threads = apply_blas_threads()
    log.info("pool process %s: %s BLAS thread(s); thread pools: %s", os.getpid(), threads, thread_pools())
