"""The Celery task: `mnistq.train_run(run_id)`. Only the id travels; everything else is read from the store."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery.signals import worker_process_init

from db import dispose_engines, open_store
from worker.blas import apply_blas_threads, thread_pools
from worker.celery_app import TASK_NAME, app
from worker.execute import execute_run
from worker.retry import retry_db

log = logging.getLogger("mnistq.worker")


@app.task(name=TASK_NAME, bind=True)
def train_run(self: Any, run_id: int) -> str:
    """Train stored run `run_id` (a no-op if it is finished or held by a live worker); returns its outcome.
    The first task of a pool process opens the store, waiting out a database outage like every later write."""
    started = time.monotonic()
    engine = retry_db(lambda: open_store(create=True), what=f"run {run_id}: opening the store")
    soft_limit = soft_time_limit(self.request.timelimit, app.conf.task_soft_time_limit)
    deadline = None if soft_limit is None else started + soft_limit
    return execute_run(int(run_id), engine=engine, deadline=deadline)


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
