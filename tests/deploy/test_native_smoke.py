"""Every service of docker-compose.yml, run as a local process with its own command and environment.

Only the stores move: Redis and PostgreSQL are the test's own (a Redis db number, a fresh database) instead of
the compose hosts, as `local_process` spells out. The migration runs to completion, two workers (a scaled
service), the reaper and Flower start, and a sweep submitted the way the README says (`compose run scheduler
mnistq submit ...`) completes on them.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest

from db import open_store, session_scope
from db.queries import get_run, sweep_run_ids

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

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_status(url: str, auth: str | None = None) -> int | None:
    """The HTTP status of GET `url` (with basic auth "user:password"), None while nothing listens."""
    request = urllib.request.Request(url)
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_compose_services_run_natively(redis_url: str, pg_url: str, tmp_path: Path) -> None:
    compose_env = read_env_file(ENV_EXAMPLE)  # as after `cp .env.example .env`
    services = compose_services(compose_env)
    target = LocalTarget(redis_url=redis_url, database_url=pg_url, flower_port=free_port())
    local = {name: local_process(services[name], target) for name in ("migrate", "scheduler", "flower")}
    for name in ("worker1", "worker2"):  # two containers: two host names, so two Celery node names
        local[name] = local_process(services["worker"], target, container_host=f"{name}.test")

    argv, env = local["migrate"]
    migrated = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    assert "schema upgraded from empty to" in migrated.stdout

    with ExitStack() as running:
        logs = {name: tmp_path / f"{name}.log" for name in ("worker1", "worker2", "scheduler", "flower")}
        processes = {
            name: running.enter_context(service_process(*local[name], log))
            for name, log in logs.items()
        }
        for name in ("worker1", "worker2"):
            wait_until(lambda name=name: b"ready." in logs[name].read_bytes(), 60, f"{name} to be ready")
        flower = f"http://127.0.0.1:{target.flower_port}"
        wait_until(lambda: http_status(f"{flower}/healthcheck") == 200, 60, "Flower's healthcheck")
        assert http_status(f"{flower}/") == 401  # the dashboard wants FLOWER_BASIC_AUTH
        assert http_status(f"{flower}/", auth=compose_env["FLOWER_BASIC_AUTH"]) == 200

        submit = ["mnistq", "submit", "examples/tiny.toml", "--wait", "--json"]
        argv, env = local_process(services["scheduler"], target, command=submit)
        submitted = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
        assert submitted.returncode == 0, submitted.stderr
        out = json.loads(submitted.stdout)
        assert (out["runs"], out["counts"]["completed"]) == (12, 12)
        assert processes["scheduler"].poll() is None, logs["scheduler"].read_text()

    with session_scope(open_store(pg_url, create=True)) as session:
        holders = {get_run(session, run_id).worker for run_id in sweep_run_ids(session, out["sweep_id"])}
    assert len({holder.split(":")[1] for holder in holders}) == 2  # both worker processes trained runs
