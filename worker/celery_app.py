"""The one Celery app (`celery -A worker.celery_app worker`), configured for long CPU-bound training tasks.

The scheduler sends `TASK_NAME` with `apply_async(..., queue=config.engine)`: one queue per engine, so an
operator can dedicate workers to one engine with `-Q sklearn`. A worker started without `-Q` consumes both.
Results are not stored in Celery (no result backend): every run's outcome lives in the database, and fan-in
is done by counting finished runs there.

Environment (all optional):
    MNISTQ_BROKER_URL             broker, default redis://127.0.0.1:6379/0
    MNISTQ_TASK_SOFT_LIMIT        seconds before SoftTimeLimitExceeded is raised in a task, default 6 h
    MNISTQ_TASK_HARD_LIMIT        seconds before the worker process is killed, default 6 h 5 min (> soft)
    MNISTQ_WORKER_MAX_MEMORY_KIB  resident KiB after which a child is replaced (after its task), default 4 GiB
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from db.url import mask_url
from model.config import ENGINES, env_number
from model.errors import UserError

APP_NAME = "mnistq"
TASK_NAME = "mnistq.train_run"  # defined in worker.tasks
TASK_MODULES = ("worker.tasks",)
QUEUES = ENGINES  # queue name = engine name

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
DEFAULT_SOFT_LIMIT_S = 6 * 3600
DEFAULT_HARD_LIMIT_S = 6 * 3600 + 5 * 60
DEFAULT_MAX_MEMORY_KIB = 4 * 1024 * 1024
# Redis redelivers an unacknowledged message after the visibility timeout. With acks_late a task is acked
# only when it ends, so the timeout must outlast the longest possible task, or it runs twice (celery#5935).
VISIBILITY_MARGIN_S = 3600


def celery_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Celery configuration from `env` (usually os.environ). Raises UserError naming a bad variable."""
    soft = _positive_int(env, "MNISTQ_TASK_SOFT_LIMIT", DEFAULT_SOFT_LIMIT_S, "a number of seconds")
    hard = _positive_int(env, "MNISTQ_TASK_HARD_LIMIT", DEFAULT_HARD_LIMIT_S, "a number of seconds")
    if soft >= hard:
        raise UserError(
            f"environment MNISTQ_TASK_SOFT_LIMIT = {soft} >= MNISTQ_TASK_HARD_LIMIT = {hard}: "
            "expected the soft limit below the hard one (the task needs time to record its failure)"
        )
    memory = _positive_int(env, "MNISTQ_WORKER_MAX_MEMORY_KIB", DEFAULT_MAX_MEMORY_KIB, "a size in KiB")
    return {
        "broker_url": _broker_url(env),
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": hard + VISIBILITY_MARGIN_S},
        # JSON only: pickle would let anyone who can write to the broker run code on the workers.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # A worker reserves only the task it runs, and acknowledges it only when it ends, so a crash
        # re-queues it. The database's attempt counter stops a task that keeps killing workers.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_soft_time_limit": soft,
        "task_time_limit": hard,
        "worker_max_memory_per_child": memory,
        "task_ignore_result": True,
        "task_queues": tuple(_queue(name) for name in QUEUES),
        "task_default_queue": QUEUES[0],
        "task_create_missing_queues": False,  # a misspelt queue fails at send time instead of waiting forever
    }


def create_app(env: Mapping[str, str]) -> Celery:
    """A Celery app configured from `env`; it loads the task module when a worker starts."""
    celery_app = Celery(APP_NAME, include=list(TASK_MODULES))
    celery_app.conf.update(celery_settings(env))
    return celery_app


def _queue(name: str) -> Queue:
    """A queue bound to its own direct exchange under its own routing key.

    A bare Queue(name) would be bound to the default queue's exchange and key ("numpy"), so anything published
    through that exchange (rather than by queue name, as Celery's send_task does) would reach both queues.
    """
    return Queue(name, Exchange(name, type="direct"), routing_key=name)


def _positive_int(env: Mapping[str, str], name: str, default: int, unit: str) -> int:
    return int(env_number(env, name, default, minimum=1, integer=True, unit=unit))


def _broker_url(env: Mapping[str, str]) -> str:
    url = env.get("MNISTQ_BROKER_URL", "").strip() or DEFAULT_BROKER_URL
    if "://" not in url:
        raise UserError(
            f"environment MNISTQ_BROKER_URL = {mask_url(url)!r}: expected a URL such as {DEFAULT_BROKER_URL}"
        )
    return url


app = create_app(os.environ)
