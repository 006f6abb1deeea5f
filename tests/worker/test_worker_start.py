"""A worker with a bad set-up refuses to start: exit code 2, one line naming the setting, and not one
connection to the broker. Checked for `mnistq worker` and for `celery -A worker.celery_app worker`.

The broker is a redis-server of this module alone: its count of connections received shows whether a worker
ever tried to reach it (a worker that connected would also have consumed tasks).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from ..faults.helpers import PrivateRedis
from ..queue.helpers import ROOT, wait_until

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path_factory.mktemp("broker"))
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def connections(broker: PrivateRedis) -> Iterator[Callable[[], int]]:
    """How many connections the broker has accepted so far, asked over one connection that stays open."""
    client = redis.Redis.from_url(broker.url, socket_connect_timeout=5)
    yield lambda: int(client.info("stats")["total_connections_received"])
    client.close()


def start(argv: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a worker command as a user would, with only `env`'s MNISTQ_/CELERY_ variables set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MNISTQ_", "CELERY_"))}
    return subprocess.run(
        [sys.executable, *argv], env={**clean, "MNISTQ_DATA_DIR": str(tmp_path / "data"), **env}, cwd=ROOT,
        capture_output=True, text=True, timeout=120,
    )


MNISTQ_WORKER = ["-m", "scheduler.cli", "worker"]
CELERY_WORKER = ["-m", "celery", "-A", "worker.celery_app", "worker"]

# (id, extra arguments, environment on top of a good one, what the one line must name); None drops a variable
BAD_SETUPS = [
    ("checkpoint", [], {"MNISTQ_CHECKPOINT_EVERY": "-1"}, "MNISTQ_CHECKPOINT_EVERY = '-1'"),
    ("heartbeat-vs-lease", [], {"MNISTQ_LEASE_SECONDS": "10", "MNISTQ_HEARTBEAT_SECONDS": "10"},
     "MNISTQ_HEARTBEAT_SECONDS = 10: expected less than MNISTQ_LEASE_SECONDS"),
    ("max-attempts", [], {"MNISTQ_MAX_ATTEMPTS": "0"}, "MNISTQ_MAX_ATTEMPTS = '0'"),
    ("blas-threads", [], {"MNISTQ_BLAS_THREADS": "two"}, "MNISTQ_BLAS_THREADS = 'two'"),
    ("worker-host", [], {"MNISTQ_WORKER_HOST": "h" * 300}, "MNISTQ_WORKER_HOST"),
    ("limits", [], {"MNISTQ_MAX_EPOCHS": "0"}, "MNISTQ_MAX_EPOCHS = '0'"),
    ("data-url", [], {"MNISTQ_MNIST_URL": "ftp://mirror/mnist"}, "MNISTQ_MNIST_URL = 'ftp://mirror/mnist'"),
    ("store", [], {"MNISTQ_DATABASE_URL": "mysql://db/mnistq"}, "MNISTQ_DATABASE_URL = 'mysql://db/mnistq'"),
    ("concurrency-env", [], {"MNISTQ_WORKER_CONCURRENCY": "0"}, "MNISTQ_WORKER_CONCURRENCY = '0'"),
    ("soft-limit", [], {"MNISTQ_TASK_SOFT_LIMIT": "soon"}, "MNISTQ_TASK_SOFT_LIMIT = 'soon'"),
    ("limits-order", [], {"MNISTQ_TASK_SOFT_LIMIT": "90", "MNISTQ_TASK_HARD_LIMIT": "60"},
     "MNISTQ_TASK_SOFT_LIMIT = 90 >= MNISTQ_TASK_HARD_LIMIT = 60"),
    ("memory", [], {"MNISTQ_WORKER_MAX_MEMORY_KIB": "4GB"}, "MNISTQ_WORKER_MAX_MEMORY_KIB = '4GB'"),
    ("broker-url", [], {"MNISTQ_BROKER_URL": "localhost:6379"}, "MNISTQ_BROKER_URL = 'localhost:6379'"),
    ("celery-broker", [], {"CELERY_BROKER_URL": "redis://elsewhere:6379/0"}, "CELERY_BROKER_URL"),
    ("no-broker", [], {"MNISTQ_BROKER_URL": None}, "MNISTQ_BROKER_URL is not set"),
    ("queues", ["-Q", "numpy,torch"], {}, "--queues 'numpy,torch'"),
    ("concurrency", ["--concurrency", "0"], {}, "'--concurrency': 0 is not in the range"),
    ("loglevel", ["-l", "LOUD"], {}, "'-l' / '--loglevel': 'LOUD' is not one of"),
]


def environment(broker: PrivateRedis, tmp_path: Path, changes: dict[str, str | None]) -> dict[str, str]:
    """A good worker environment (this module's broker, a SQLite store) with `changes` applied."""
    env = {"MNISTQ_BROKER_URL": broker.url, "MNISTQ_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@pytest.mark.parametrize(("args", "changes", "named"), [case[1:] for case in BAD_SETUPS], ids=[c[0] for c in BAD_SETUPS])
def test_mnistq_worker_refuses_a_bad_setup_in_one_line_without_connecting(
    broker: PrivateRedis, connections, tmp_path: Path, args: list[str], changes: dict, named: str
) -> None:
    before = connections()
    done = start([*MNISTQ_WORKER, *args], environment(broker, tmp_path, changes), tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("mnistq: error: ") and named in done.stderr
    assert connections() == before  # not one connection: nothing was consumed, nothing acknowledged
    assert not (tmp_path / "store.db").exists()  # nor was the store opened


# read when the app is created (celery_app.celery_settings): Celery reports an app it cannot load
APP_SETTINGS = ("soft-limit", "limits-order", "memory", "concurrency-env", "broker-url", "celery-broker")
CELERY_CASES = [case for case in BAD_SETUPS if not case[1] and case[0] not in APP_SETTINGS]
APP_CASES = [case for case in BAD_SETUPS if case[0] in APP_SETTINGS]


@pytest.mark.parametrize(("changes", "named"), [case[2:] for case in CELERY_CASES], ids=[c[0] for c in CELERY_CASES])
def test_celery_worker_of_the_app_refuses_a_bad_setup_in_one_line_without_connecting(
    broker: PrivateRedis, connections, tmp_path: Path, changes: dict, named: str
) -> None:
    before = connections()
    done = start(CELERY_WORKER, environment(broker, tmp_path, changes), tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and named in done.stderr, done.stderr
    assert connections() == before


@pytest.mark.parametrize(("changes", "named"), [case[2:] for case in APP_CASES], ids=[c[0] for c in APP_CASES])
def test_celery_worker_refuses_settings_the_app_itself_reads(
    broker: PrivateRedis, connections, tmp_path: Path, changes: dict, named: str
) -> None:
    """These are read when the app is created, so Celery reports an app it cannot load, with a traceback:
    still exit 2, the setting named, and no connection."""
    before = connections()
    done = start(CELERY_WORKER, environment(broker, tmp_path, changes), tmp_path)
    assert done.returncode == 2
    assert named in done.stderr
    assert connections() == before


def test_a_good_worker_does_connect(broker: PrivateRedis, connections, tmp_path: Path) -> None:
    """The counter the tests above rely on does see a worker that connects (killed as soon as it has)."""
    before = connections()
    env = environment(broker, tmp_path, {})
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MNISTQ_", "CELERY_"))}
    process = subprocess.Popen([sys.executable, *MNISTQ_WORKER, "-c", "1"], env={**clean, **env}, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: connections() > before, 120, "the worker to connect")
    finally:
        os.killpg(process.pid, 9)
        process.wait()
