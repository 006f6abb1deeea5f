"""The Celery app's settings follow the guide for long CPU-bound tasks, and only JSON messages are accepted.

No broker is needed: settings are a plain function of the environment, and routing and decoding are
exercised on kombu's in-process memory transport.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest
from celery import Celery
from celery.exceptions import QueueNotFound
from kombu import Producer
from kombu.exceptions import ContentDisallowed

from core.errors import UserError
from worker.celery_app import (
    TASK_NAME,
    app,
    celery_settings,
    create_app,
)


def test_defaults_follow_the_guide() -> None:
    settings = celery_settings({})
    assert settings["broker_url"] is None  # no broker attached by default: a worker refuses to start
    assert settings["task_serializer"] == settings["result_serializer"] == "json"
    assert settings["accept_content"] == ["json"]
    assert settings["task_acks_late"] is True
    assert settings["task_reject_on_worker_lost"] is True
    assert settings["worker_prefetch_multiplier"] == 1
    assert settings["worker_cancel_long_running_tasks_on_connection_loss"] is True
    assert settings["broker_connection_retry_on_startup"] is True
    assert settings["task_ignore_result"] is True
    assert settings["worker_max_memory_per_child"] > 0


def test_visibility_outlasts_the_hard_limit_which_outlasts_the_soft_one() -> None:
    for env in ({}, {"MNISTQ_TASK_SOFT_LIMIT": "60", "MNISTQ_TASK_HARD_LIMIT": "90"}):
        settings = celery_settings(env)
        visibility = settings["broker_transport_options"]["visibility_timeout"]
        assert visibility > settings["task_time_limit"] > settings["task_soft_time_limit"] > 0
    assert (
        celery_settings({"MNISTQ_TASK_HARD_LIMIT": "90", "MNISTQ_TASK_SOFT_LIMIT": "60"})["task_time_limit"]
        == 90
    )


def test_environment_overrides() -> None:
    settings = celery_settings(
        {
            "MNISTQ_BROKER_URL": "redis://queue.example:6380/2",
            "MNISTQ_WORKER_MAX_MEMORY_KIB": "2048",
        }
    )
    assert settings["broker_url"] == "redis://queue.example:6380/2"
    assert settings["worker_max_memory_per_child"] == 2048


@pytest.mark.parametrize(
    "env, expected",
    [
        (
            {"MNISTQ_TASK_SOFT_LIMIT": "soon"},
            "environment MNISTQ_TASK_SOFT_LIMIT = 'soon': expected a positive integer (a number of seconds)",
        ),
        (
            {"MNISTQ_TASK_HARD_LIMIT": "-5"},
            "environment MNISTQ_TASK_HARD_LIMIT = '-5': expected a positive integer (a number of seconds)",
        ),
        (
            {"MNISTQ_WORKER_MAX_MEMORY_KIB": "4GB"},
            "environment MNISTQ_WORKER_MAX_MEMORY_KIB = '4GB': expected a positive integer (a size in KiB)",
        ),
        (
            {"MNISTQ_TASK_SOFT_LIMIT": "100", "MNISTQ_TASK_HARD_LIMIT": "100"},
            "environment MNISTQ_TASK_SOFT_LIMIT = 100 >= MNISTQ_TASK_HARD_LIMIT = 100: expected the soft limit "
            "below the hard one (the task needs time to record its failure)",
        ),
        (
            {"MNISTQ_BROKER_URL": "localhost:6379"},
            "environment MNISTQ_BROKER_URL = 'localhost:6379': expected a URL such as redis://HOST:6379/0",
        ),
    ],
)
def test_bad_environment_is_one_line_naming_the_variable(env: dict[str, str], expected: str) -> None:
    with pytest.raises(UserError) as caught:
        celery_settings(env)
    assert str(caught.value) == expected


def test_module_app_is_named_and_loads_the_task_module() -> None:
    assert isinstance(app, Celery)
    assert app.main == "mnistq"
    assert TASK_NAME == "mnistq.train_run"
    assert list(app.conf.include) == ["worker.tasks"]
    assert app.conf.result_backend is None
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1


# ----- routing and decoding on the in-process memory transport ------------------------------------------------


@pytest.fixture
def memory_app() -> Iterator[Celery]:
    """The app on kombu's memory transport, with both engine queues declared and empty."""
    memory = create_app({})
    memory.conf.broker_url = "memory://"  # kombu's in-process transport: not a broker users may configure
    with memory.connection_for_write() as conn:
        channel = conn.channel()
        for queue in memory.amqp.queues.values():
            queue.bind(channel).declare()
            queue.bind(channel).purge()
        channel.close()
    yield memory
    memory.close()


def queued(memory: Celery) -> dict[str, int]:
    with memory.connection_for_read() as conn:
        channel = conn.channel()
        counts = {
            name: queue.bind(channel).queue_declare(passive=True).message_count
            for name, queue in memory.amqp.queues.items()
        }
        channel.close()
    return counts


@pytest.mark.parametrize("engine", ["numpy", "sklearn"])
def test_a_task_lands_only_in_its_engines_queue_as_json(memory_app: Celery, engine: str) -> None:
    memory_app.send_task(TASK_NAME, kwargs={"run_id": 7}, queue=engine)
    others = {"numpy": "sklearn", "sklearn": "numpy"}
    assert queued(memory_app) == {engine: 1, others[engine]: 0}
    with memory_app.connection_for_read() as conn:
        channel = conn.channel()
        message = memory_app.amqp.queues[engine].bind(channel).get(accept=memory_app.conf.accept_content)
        assert message.content_type == "application/json"
        assert message.headers["task"] == TASK_NAME
        args, kwargs, _ = message.decode()
        assert (args, kwargs) == ([], {"run_id": 7})
        channel.close()


def test_each_engine_queue_has_its_own_exchange_and_routing_key() -> None:
    queues = create_app({}).amqp.queues
    assert sorted(queues) == ["numpy", "sklearn"]
    for name, queue in queues.items():
        assert (queue.exchange.name, queue.exchange.type, queue.routing_key) == (name, "direct", name)


def test_a_misspelt_queue_is_refused_at_send_time(memory_app: Celery) -> None:
    with pytest.raises(QueueNotFound):
        memory_app.send_task(TASK_NAME, kwargs={"run_id": 7}, queue="torch")
    assert queued(memory_app) == {"numpy": 0, "sklearn": 0}


def test_a_pickle_message_is_refused(memory_app: Celery) -> None:
    """Someone who can write to the broker must not be able to make a worker unpickle their bytes."""
    queue = memory_app.amqp.queues["numpy"]
    with memory_app.connection_for_write() as conn:
        channel = conn.channel()
        Producer(channel).publish(
            {"run_id": 7}, serializer="pickle", exchange=queue.exchange, routing_key=queue.routing_key
        )
        message = queue.bind(channel).get(accept=memory_app.conf.accept_content)
        assert message is not None and message.content_type == "application/x-python-serialize"
        assert pickle.loads(message.body) == {
            "run_id": 7
        }  # a real pickle payload: only the accept list stops it
        with pytest.raises(ContentDisallowed):
            message.decode()
        channel.close()
