"""Sending runs to the Celery queue by task name: the scheduler never imports the worker's code.

Only run ids travel (JSON), one message per run on the queue named after its engine. Messages are published
in pipelined batches (one Redis round trip per BATCH_SIZE runs, not per run).
A run delivered twice is harmless: the worker's atomic claim makes the second delivery a no-op.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import redis

from core import settings
from core.errors import UserError
from core.masking import mask_text, mask_url

if TYPE_CHECKING:  # celery is imported only when something is sent: listing runs stays fast
    from celery import Celery

TASK_NAME = "mnistq.train_run"  # worker.celery_app.TASK_NAME; tests/queue/test_enqueue.py checks they agree
BROKER_ENV = "MNISTQ_BROKER_URL"
BATCH_SIZE = 1000  # messages per Redis pipeline round trip


class BrokerUnavailableError(UserError):
    """The broker URL is malformed or the broker cannot be reached (the message masks the password)."""


def broker_url(env: Mapping[str, str] | None = None) -> str | None:
    """$MNISTQ_BROKER_URL, or None for local mode. SettingError for a malformed URL, or a CELERY_BROKER_URL
    that disagrees with it."""
    env = os.environ if env is None else env
    settings.check(settings.QUEUE, env)
    return settings.read(BROKER_ENV, env)


def make_sender(url: str) -> Celery:
    """A Celery client that can only publish JSON messages to `url`."""
    from celery import Celery

    app = Celery("mnistq-scheduler", broker=url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=False,
        broker_transport_options={"socket_connect_timeout": 5, "socket_timeout": 10},
    )
    return app


def check_broker(app: Celery) -> None:
    """Connect once, so an unreachable broker is reported before anything is written to the database."""
    url = app.conf.broker_url
    where = _where(url)
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
    except Exception as exc:
        reason = mask_text(" ".join(str(exc).split()) or exc.__class__.__name__, [urlsplit(url).password or ""])
        raise BrokerUnavailableError(f"cannot reach the broker at {where} ({mask_url(url)}): {reason}") from None


def enqueue(app: Celery, runs: Iterable[tuple[int, str]]) -> int:
    """Publish one `mnistq.train_run(run_id)` message per (run_id, engine) on the engine's queue, in
    pipelined batches of BATCH_SIZE. Returns how many were sent.

    Celery's `send_task` costs ~0.35 ms per message in Python, which alone would exceed the 5 s budget for a
    10,000-run sweep. So Celery builds one message (`as_task_v2`: its own headers, protocol 2, JSON body)
    and each run gets a copy with fresh ids, pushed exactly where kombu's Redis transport pushes messages
    (LPUSH onto the list named after the queue). tests/queue/test_enqueue.py checks that they match what
    `send_task` produces, and tests/queue/test_celery_integration.py that real Celery workers consume them.
    """
    if urlsplit(app.conf.broker_url).scheme not in ("redis", "rediss"):
        return _send_each(app, runs)
    template = _TaskMessage.build(app)
    client = redis.Redis.from_url(app.conf.broker_url, socket_connect_timeout=5, socket_timeout=30)
    sent = 0
    try:
        pipe = client.pipeline(transaction=False)
        for run_id, engine in runs:
            pipe.lpush(engine, template.encode(int(run_id), engine))
            sent += 1
            if sent % BATCH_SIZE == 0:
                pipe.execute()
        pipe.execute()
    except redis.RedisError as exc:
        raise BrokerUnavailableError(
            f"broker {mask_url(app.conf.broker_url)} failed after {sent - sent % BATCH_SIZE} of the messages "
            f"were sent ({exc.__class__.__name__}); the runs are stored as queued: `mnistq retry SWEEP` sends "
            "them again (a duplicate delivery is harmless)"
        ) from None
    finally:
        client.close()
    return sent


def _send_each(app: Celery, runs: Iterable[tuple[int, str]]) -> int:
    """Any other broker (e.g. RabbitMQ): Celery's own `send_task`, one message at a time."""
    sent = 0
    with app.producer_or_acquire() as producer:
        for run_id, engine in runs:
            app.send_task(TASK_NAME, args=[int(run_id)], queue=engine, producer=producer)
            sent += 1
    return sent


class _TaskMessage:
    """Celery's message for `mnistq.train_run`, re-stamped per run (ids, args) as kombu would stamp it."""

    def __init__(self, headers: dict[str, Any], reply_to: str) -> None:
        self.headers = headers
        self.reply_to = reply_to

    @classmethod
    def build(cls, app: Celery) -> _TaskMessage:
        message = app.amqp.as_task_v2("template", TASK_NAME, args=[0], kwargs={})
        headers = dict(message.headers)
        headers["ignore_result"] = None
        return cls(headers, reply_to=str(app.thread_oid))

    def encode(self, run_id: int, queue: str) -> str:
        task_id = str(uuid.uuid4())
        body = json.dumps([[run_id], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}])
        headers = {**self.headers, "id": task_id, "root_id": task_id, "argsrepr": f"[{run_id}]"}
        return json.dumps(
            {
                "body": base64.b64encode(body.encode("utf-8")).decode("ascii"),
                "content-encoding": "utf-8",
                "content-type": "application/json",
                "headers": headers,
                "properties": {
                    "correlation_id": task_id,
                    "reply_to": self.reply_to,
                    "delivery_mode": 2,
                    "delivery_info": {"exchange": "", "routing_key": queue},
                    "priority": 0,
                    "body_encoding": "base64",
                    "delivery_tag": str(uuid.uuid4()),
                },
            }
        )


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


def queue_depths(app: Celery, queues: Iterable[str]) -> dict[str, int]:
    """Messages waiting in each queue, not counting those workers have taken (a queue that was never
    declared, or that Redis dropped once empty, holds 0)."""
    depths: dict[str, int] = {}
    with app.connection_for_read() as connection:
        for name in queues:
            channel = connection.channel()  # a failed passive declare closes an AMQP channel: one per queue
            try:
                depths[name] = int(channel.queue_declare(queue=name, passive=True).message_count)
            except connection.channel_errors:
                depths[name] = 0
            finally:
                channel.close()
    return depths
