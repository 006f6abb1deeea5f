"""Fault injection for the tests: private Redis servers, a PostgreSQL proxy that can go dark, workers from a
test module, and reading the store and the logs back."""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import redis

from db import open_store, session_scope
from db.queries import get_artifact, get_run, run_history, sweep_run_ids

from ..conftest import service_unavailable
from ..queue.helpers import ROOT, stop, wait_until

# a hidden layer wide enough that an epoch takes tens of milliseconds even on a fast machine: tests that act
# "mid-run" (after a checkpoint, after two epochs) then have a window of hundreds of milliseconds, not tens
WIDE = "[256]"

FAST_LEASES = {  # seconds: a lost worker is noticed within a few seconds
    "MNISTQ_LEASE_SECONDS": "3",
    "MNISTQ_HEARTBEAT_SECONDS": "0.5",
    "MNISTQ_CHECKPOINT_EVERY": "2",
    "MNISTQ_RESEND_SECONDS": "2",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spec_file(tmp_path: Path, name: str, grid: str, *, epochs: int, hidden: str = "[64]") -> Path:
    """A sweep of mnist-5k numpy runs (learning rate 0.05 unless the grid varies it); `grid` is the TOML body of
    [grid], e.g. 'seed = [0, 1]'."""
    path = tmp_path / f"{name}.toml"
    rate = "" if "learning_rate" in grid else "learning_rate = 0.05\n"
    path.write_text(
        f'name = "{name}"\n[fixed]\nengine = "numpy"\ndataset = "mnist-5k"\nepochs = {epochs}\n'
        f"hidden = {hidden}\n{rate}[grid]\n{grid}\n"
    )
    return path


def start_celery(
    name: str, env: dict[str, str], log: Path, *, module: str = "scheduler.cli", concurrency: int | None = 1
) -> subprocess.Popen[bytes]:
    """A real Celery worker in its own process group: `python -m MODULE worker ...` (MODULE is `mnistq`'s
    front door, or a test module that wraps it), logging to `log`. `concurrency=None` passes no `-c`: the
    worker's own default."""
    handle = log.open("wb")
    processes = [] if concurrency is None else ["-c", str(concurrency)]
    argv = [sys.executable, "-m", module, "worker", *processes, "-n", f"{name}@%h", "-l", "INFO"]
    return subprocess.Popen(
        argv, env={**os.environ, **env}, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_ready(log: Path, timeout: float = 90) -> None:
    wait_until(lambda: b"ready." in log.read_bytes(), timeout, f"{log.name} to be ready")


@contextmanager
def running(*processes: subprocess.Popen[bytes]) -> Iterator[None]:
    """Stop (then kill) every process on the way out, whatever happens in the block."""
    try:
        yield
    finally:
        for process in processes:
            stop(process)


def start_scheduler(env: dict[str, str], log: Path, interval: float = 0.5) -> subprocess.Popen[bytes]:
    """`mnistq scheduler`, the long-lived reaper service."""
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "scheduler", "--interval", str(interval)],
        env={**os.environ, **env}, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
    )


def count_in(log: Path, text: str) -> int:
    return log.read_text(errors="replace").count(text)


class Store:
    """Reads the store the workers write to (directly, never through a proxy)."""

    def __init__(self, url: str) -> None:
        self.engine = open_store(url, create=True)

    def runs(self, sweep_id: int, statuses: list[str] | None = None) -> list:
        with session_scope(self.engine) as session:
            return [get_run(session, r) for r in sweep_run_ids(session, sweep_id, statuses=statuses)]

    def run(self, run_id: int):
        with session_scope(self.engine) as session:
            return get_run(session, run_id)

    def epochs(self, run_id: int) -> list:
        with session_scope(self.engine) as session:
            return run_history(session, run_id)

    def has_checkpoint(self, run_id: int) -> bool:
        with session_scope(self.engine) as session:
            return get_artifact(session, run_id, "checkpoint") is not None

    def all_finished(self, sweep_id: int) -> bool:
        return not self.runs(sweep_id, ["queued", "running"])


class PrivateRedis:
    """A redis-server of this test alone, on a free port, without persistence: a restart loses every message,
    as a crashed broker without AOF/RDB would."""

    def __init__(self, workdir: Path, password: str | None = None) -> None:
        if shutil.which("redis-server") is None:
            service_unavailable("redis-server", "not installed")
        self.port = free_port()
        self.password = password
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.workdir), "--maxmemory-policy", "noeviction"]
        if self.password:
            argv += ["--requirepass", self.password]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, 20, f"redis-server on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: a crash, nothing saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=2)

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


class OutageProxy:
    """A TCP proxy in a thread between workers and PostgreSQL. `outage()` cuts every open connection and
    stops listening (new connections are refused); `restore()` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def outage(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            doomed, self._sockets = self._sockets, set()
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close() alone would not
            listener.close()
        for sock in doomed:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._stopped.set()
        self.outage()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = listener.accept()
            except OSError:  # closed by outage()
                return
            if self._listener is not listener:  # accepted just as the outage began: refuse it too
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while True:
                readable, _, _ = select.select(list(peers), [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):  # cut by outage()
            return
        finally:
            for sock in peers:
                with suppress(OSError):
                    sock.close()
            with self._lock:
                self._sockets.difference_update(peers)
