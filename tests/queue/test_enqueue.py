"""Pipelined enqueue: the hand-stamped messages are the messages Celery's send_task would publish."""

from __future__ import annotations

import base64
import json

import pytest
import redis

from core.errors import SettingError
from core.masking import mask_url
from scheduler.queue import (
    TASK_NAME,
    BrokerUnavailableError,
    broker_url,
    check_broker,
    enqueue,
    make_sender,
)


def _decoded(raw: bytes) -> dict:
    message = json.loads(raw)
    message["body"] = json.loads(base64.b64decode(message["body"]))
    return message


def test_enqueued_messages_match_celerys_own(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    app = make_sender(redis_url)
    app.send_task(TASK_NAME, args=[41], queue="numpy")
    celery_made = _decoded(client.rpop("numpy"))
    assert enqueue(app, [(41, "numpy"), (42, "sklearn")]) == 2
    ours = _decoded(client.rpop("numpy"))
    assert client.llen("sklearn") == 1 and client.llen("numpy") == 0

    assert ours["body"] == celery_made["body"] == [[41], {}, {"callbacks": None, "errbacks": None, "chain": None,
                                                              "chord": None}]
    assert ours["content-type"] == celery_made["content-type"] == "application/json"
    varying = {"id", "root_id"}
    assert set(ours["headers"]) == set(celery_made["headers"])
    assert {k: v for k, v in ours["headers"].items() if k not in varying} == {
        k: v for k, v in celery_made["headers"].items() if k not in varying
    }
    assert set(ours["properties"]) == set(celery_made["properties"])
    assert ours["properties"]["delivery_info"] == celery_made["properties"]["delivery_info"]
    assert ours["headers"]["id"] == ours["properties"]["correlation_id"] != celery_made["headers"]["id"]


def test_ten_thousand_runs_go_out_in_pipelined_batches(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    sent = enqueue(make_sender(redis_url), [(i, "numpy") for i in range(10_000)])
    assert sent == client.llen("numpy") == 10_000
    ids = {json.loads(m)["headers"]["id"] for m in client.lrange("numpy", 0, -1)}
    assert len(ids) == 10_000  # every message has its own task id


def test_unreachable_broker_is_one_line_and_masks_the_password() -> None:
    with pytest.raises(BrokerUnavailableError) as info:
        check_broker(make_sender("redis://user:s3cret@127.0.0.1:1/0"))
    message = str(info.value)
    assert "s3cret" not in message and "127.0.0.1:1" in message and "\n" not in message
    assert mask_url("redis://user:s3cret@host:6379/0") == "redis://user:***@host:6379/0"
    assert mask_url("redis://host:6379/0") == "redis://host:6379/0"


@pytest.mark.parametrize("typo", ["localhost:6379", "redis:/:s3cret@host", "redis//:s3cret@host", "s3cret@host"])
def test_a_malformed_broker_url_is_a_user_error_that_hides_the_password(typo: str) -> None:
    with pytest.raises(SettingError, match="expected a URL") as info:
        broker_url({"MNISTQ_BROKER_URL": typo})
    assert "s3cret" not in str(info.value) and "\n" not in str(info.value)


def test_task_name_agrees_with_the_worker() -> None:
    from worker.celery_app import TASK_NAME as WORKER_TASK_NAME

    assert TASK_NAME == WORKER_TASK_NAME
