"""Secrets come only from the environment and are never printed: Redis and PostgreSQL authentication work
through the URLs, and no password appears in any output, error or worker log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from db import open_store

from ..faults.helpers import PrivateRedis, count_in, running, spec_file, start_celery, wait_ready
from ..queue.helpers import ROOT, mnistq, mnistq_json, wait_until

REDIS_PASSWORD = "redis-pw-7f3a"
PG_PASSWORD = "pg-pw-91c2"
WRONG_PASSWORD = "wrong-pw-55d0"
SECRETS = (REDIS_PASSWORD, PG_PASSWORD, WRONG_PASSWORD)


def _one_masked_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert not any(secret in done.stdout + done.stderr for secret in SECRETS), done.stderr
    return done.stderr


@pytest.mark.slow
def test_authenticated_redis_and_postgresql_work_and_no_password_is_printed(pg_url: str, tmp_path: Path) -> None:
    redis_server = PrivateRedis(tmp_path, password=REDIS_PASSWORD)
    redis_server.start()
    pg_with_password = make_url(pg_url).set(password=PG_PASSWORD).render_as_string(hide_password=False)
    env = {"MNISTQ_BROKER_URL": redis_server.url, "MNISTQ_DATABASE_URL": pg_with_password}
    with open_store(pg_with_password, create=True).connect() as connection:  # the password travels with the connection
        assert connection.connection.dbapi_connection.info.password == PG_PASSWORD
    log = tmp_path / "worker.log"
    worker = start_celery("auth", env, log)
    try:
        with running(worker):
            wait_ready(log)
            submitted = mnistq("submit", str(spec_file(tmp_path, "auth", "seed = [0]", epochs=2)), "--wait", env=env)
            assert submitted.returncode == 0, submitted.stderr
            assert "sent to redis://:***@127.0.0.1:" in submitted.stdout
            reaped = mnistq("reap", env=env)  # connects to both, with both passwords
            assert reaped.returncode == 0, reaped.stderr
            outputs = [submitted.stdout + submitted.stderr, reaped.stdout + reaped.stderr]

            wrong = {**env, "MNISTQ_BROKER_URL": redis_server.url.replace(REDIS_PASSWORD, WRONG_PASSWORD)}
            refused = _one_masked_line(mnistq("submit", str(spec_file(tmp_path, "x", "seed = [1]", epochs=2)), env=wrong))
            assert "cannot reach the broker at 127.0.0.1" in refused and ":***@" in refused
            anonymous = {**env, "MNISTQ_BROKER_URL": redis_server.url.replace(f":{REDIS_PASSWORD}@", "")}
            assert "uthentication required" in _one_masked_line(mnistq("retry", "latest", env=anonymous))

        locked_out = tmp_path / "locked-out.log"
        intruder = start_celery("intruder", wrong, locked_out)
        with running(intruder):
            wait_until(lambda: count_in(locked_out, "Cannot connect to redis://:**@127.0.0.1") >= 1, 60, "refusal")
    finally:
        redis_server.kill()
    assert mnistq_json("status", "--json", env=env)[0]["by_status"]["completed"] == 1
    logs = [log.read_text(errors="replace"), locked_out.read_text(errors="replace")]
    for text in outputs + logs:
        assert not any(secret in text for secret in SECRETS)


def test_unreachable_database_error_masks_the_password() -> None:
    url = f"postgresql+psycopg://mnistq:{PG_PASSWORD}@127.0.0.1:1/mnistq"
    stderr = _one_masked_line(mnistq("sweeps", env={"MNISTQ_DATABASE_URL": url}))
    assert stderr.startswith("mnistq: error: cannot open the store: PostgreSQL at 127.0.0.1:1 (database mnistq")


def test_a_malformed_broker_url_is_masked_in_the_workers_error() -> None:
    url = f"admin:{REDIS_PASSWORD}@redis-host:6379/0"  # no scheme: not a URL, but still a secret
    done = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "worker"],
        env={"PATH": "/usr/bin:/bin", "MNISTQ_BROKER_URL": url}, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert "environment MNISTQ_BROKER_URL = " in _one_masked_line(done) and ":***@" in done.stderr
