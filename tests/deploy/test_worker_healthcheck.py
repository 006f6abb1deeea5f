"""The worker's compose healthcheck: `celery inspect ping` addressed to the node name its command sets."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from ..queue.helpers import wait_until
from .compose import (
    ENV_EXAMPLE,
    ROOT,
    LocalTarget,
    compose_services,
    local_process,
    read_env_file,
    service_process,
)


@pytest.fixture
def worker() -> dict:
    return compose_services(read_env_file(ENV_EXAMPLE))["worker"]


def option(words: list[str], name: str) -> str:
    """The value after `name` in `words`."""
    return words[words.index(name) + 1]


def test_the_healthcheck_pings_the_node_the_worker_command_names(worker: dict) -> None:
    """Celery's %h in the command and $HOSTNAME in the container are both the container's host name."""
    kind, script = worker["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    words = shlex.split(script)
    assert words[:5] == ["celery", "-A", "worker.celery_app", "inspect", "ping"]
    node = option(worker["command"], "--hostname")
    assert "%h" in node  # one name per container: scaled workers must not share it
    assert option(words, "--destination") == node.replace("%h", "$HOSTNAME")


@pytest.mark.slow
def test_the_healthcheck_passes_for_its_own_worker_only(worker: dict, redis_url: str, sqlite_url: str,
                                                       tmp_path: Path) -> None:
    target = LocalTarget(redis_url=redis_url, database_url=sqlite_url, flower_port=0)
    healthcheck = ["sh", "-c", worker["healthcheck"]["test"][1]]
    log = tmp_path / "worker.log"
    with service_process(*local_process(worker, target, container_host="worker-a.test"), log):
        wait_until(lambda: b"ready." in log.read_bytes(), 60, "the worker to be ready")
        for host, healthy in (("worker-a.test", True), ("worker-b.test", False)):
            argv, env = local_process(worker, target, command=healthcheck, container_host=host)
            done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
            assert (done.returncode == 0) == healthy, (host, done.stdout, done.stderr)
            assert ("mnistq@worker-a.test: OK" in done.stdout) == healthy, done.stdout  # the ping's answer
