"""Every service of docker-compose.yml, run as a local process with its own command and environment.

Only the stores move: Redis and PostgreSQL are the test's own (a Redis db number, a fresh database) instead of
the compose hosts, as `local_process` spells out. The migration runs to completion, two workers (a scaled
service), the reaper and Flower start, and a sweep submitted the way the README says (`compose run scheduler
mnistq submit ...`) completes on them. The dashboard (the `ui` profile) serves with the token .env gives it.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
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
    free_port,
    http_status,
    local_process,
    read_env_file,
    service_process,
)

pytestmark = pytest.mark.slow

UI_TOKEN = "0123456789abcdef0123456789abcdef"  # the shape `openssl rand -hex 16` prints


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
        login = "Basic " + base64.b64encode(compose_env["FLOWER_BASIC_AUTH"].encode()).decode()
        assert http_status(f"{flower}/", authorization=login) == 200

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


def test_ui_service_serves_with_its_token_only(sqlite_url: str, tmp_path: Path) -> None:
    """After the migration, the ui service's own command with MNISTQ_UI_TOKEN set in .env: the login page is
    public, the API wants the token, and the service's healthcheck passes once it serves (not before)."""
    services = compose_services(read_env_file(ENV_EXAMPLE) | {"MNISTQ_UI_TOKEN": UI_TOKEN})
    target = LocalTarget(redis_url="redis://127.0.0.1:1/0", database_url=sqlite_url, flower_port=1,
                         ui_port=free_port())
    argv, env = local_process(services["migrate"], target)
    migrated = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr

    _, python, option, script = services["ui"]["healthcheck"]["test"]
    local_script = script.replace("127.0.0.1:8080/", f"127.0.0.1:{target.ui_port}/")
    assert (python, option) == ("python", "-c") and local_script != script
    probe = [sys.executable, "-c", local_script]
    assert subprocess.run(probe, capture_output=True, timeout=60).returncode != 0  # nothing listens yet

    ui = f"http://127.0.0.1:{target.ui_port}"
    log = tmp_path / "ui.log"
    with service_process(*local_process(services["ui"], target), log) as process:
        wait_until(lambda: http_status(f"{ui}/login") == 200 or process.poll() is not None, 60, "the login page")
        assert process.poll() is None, log.read_text()
        assert http_status(f"{ui}/api/sweeps") == 401
        assert http_status(f"{ui}/api/sweeps", authorization=f"Bearer {UI_TOKEN}") == 200
        assert http_status(f"{ui}/api/sweeps", authorization=f"Bearer {UI_TOKEN[::-1]}") == 401
        assert subprocess.run(probe, capture_output=True, timeout=60).returncode == 0
