"""The one Celery app (`celery -A worker.celery_app worker`), configured for long CPU-bound training tasks.

The scheduler puts one `TASK_NAME` message per run on the queue named after its engine (`scheduler.queue.enqueue`:
Celery's own message, pushed to Redis in pipelined batches; `send_task(..., queue=engine)` on other brokers), so an
operator can dedicate workers to one engine with `-Q sklearn`. A worker started without `-Q` consumes both.
Results are not stored in Celery (no result backend): every run's outcome lives in the database, and fan-in
is done by counting finished runs there.

Settings (see core.settings): MNISTQ_BROKER_URL, the task time limits MNISTQ_TASK_SOFT_LIMIT and
MNISTQ_TASK_HARD_LIMIT, MNISTQ_WORKER_CONCURRENCY and MNISTQ_WORKER_MAX_MEMORY_KIB. A worker started from this
app, by `mnistq worker` or by `celery -A worker.celery_app worker`, checks every setting it and its tasks use
before it connects anywhere (`refuse_a_bad_worker`); `celery -A worker.celery_app flower` is not a worker and
needs only the broker.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from celery import Celery
from celery.signals import celeryd_init
from kombu import Exchange, Queue

from core import settings
from core.errors import UserError
from core.masking import mask_text
from core.text import one_line
from model.config import ENGINES
from worker.settings import check_worker_environment

APP_NAME = "mnistq"
TASK_NAME = "mnistq.train_run"  # defined in worker.tasks
TASK_MODULES = ("worker.tasks",)
QUEUES = ENGINES  # queue name = engine name

# Redis redelivers an unacknowledged message after the visibility timeout. With acks_late a task is acked
# only when it ends, so the timeout must outlast the longest possible task, or it runs twice (celery#5935).
VISIBILITY_MARGIN_S = 3600


def celery_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Celery configuration from `env` (usually os.environ). Raises SettingError naming a bad variable.

    Without MNISTQ_BROKER_URL the app has no broker: a worker refuses to start (`refuse_a_bad_worker`)
    instead of attaching to whatever listens on this host."""
    settings.check((*settings.CELERY, *settings.QUEUE), env)
    soft = settings.read("MNISTQ_TASK_SOFT_LIMIT", env)
    hard = settings.read("MNISTQ_TASK_HARD_LIMIT", env)
    return {
        "broker_url": settings.read("MNISTQ_BROKER_URL", env),
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
        "worker_concurrency": settings.read("MNISTQ_WORKER_CONCURRENCY", env),  # default: one per core
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_soft_time_limit": soft,
        "task_time_limit": hard,
        "worker_max_memory_per_child": settings.read("MNISTQ_WORKER_MAX_MEMORY_KIB", env),
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


@celeryd_init.connect
def refuse_a_bad_worker(**_: Any) -> None:
    """Before a worker of this app connects to anything: exit 2 with one line if a setting it or its tasks
    use is invalid, or no broker is set. Otherwise it would start "ready" and then fail every task it took.

    Celery logs and swallows an Exception raised by a signal handler, so this exits instead."""
    try:
        check_worker_environment(os.environ)
    except UserError as exc:
        print(f"mnistq: error: {one_line(mask_text(str(exc)))}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def _queue(name: str) -> Queue:
    """A queue bound to its own direct exchange under its own routing key.

    A bare Queue(name) would be bound to the default queue's exchange and key ("numpy"), so anything published
    through that exchange (rather than by queue name, as Celery's send_task does) would reach both queues.
    """
    return Queue(name, Exchange(name, type="direct"), routing_key=name)


app = create_app(os.environ)
