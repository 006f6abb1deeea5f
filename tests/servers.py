"""Private Redis and PostgreSQL servers for one test session, started from the installed binaries.

Each listens on a free port of 127.0.0.1, keeps its files in a temporary folder, and dies with the test
session: it is the session's child process with a parent-death signal (`setpriv --pdeathsig`), so even a
killed pytest leaves no server behind, and `stop()` removes the folder. PostgreSQL refuses to run as root, so
as root the cluster runs as Debian's `postgres` user, which owns its folder. Nothing here touches the
machine's own servers on 6379 and 5432.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT_S = 120.0  # a busy machine may take a while; the wait ends as soon as the server answers


class ServerUnavailable(Exception):
    """The binaries a private server needs are not installed (the message says which)."""


FOLDER_PREFIX = "mnistq-test-"
OWNER_FILE = "owner.pid"  # the pid of the session that started the server


def server_folder(kind: str) -> Path:
    """A new temporary folder for a server, stamped with this session's pid."""
    folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{kind}-"))
    (folder / OWNER_FILE).write_text(str(os.getpid()))
    return folder


def sweep_stale_folders() -> list[Path]:
    """Remove the folders of servers whose session is gone (killed before it could clean up); returns them."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            owner = int((folder / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bindir() -> Path:
    """Where initdb and postgres live: `pg_config --bindir`, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)]
    if (pg_config := shutil.which("pg_config")) is not None:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            found.insert(0, Path(done.stdout.strip()))
    for bindir in found:
        if (bindir / "initdb").exists() and (bindir / "postgres").exists():
            return bindir
    raise ServerUnavailable("PostgreSQL's initdb and postgres are not installed (Debian: postgresql)")


def _version(path: str) -> int:
    part = Path(path).parent.name
    return int(part) if part.isdigit() else 0


def _waits(condition: object, what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not condition():  # type: ignore[operator]
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}: {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within {START_TIMEOUT_S:g} s: {log.read_text()[-2000:]}")
        time.sleep(0.05)


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class PrivateServer:
    """A server process of this session and the folder it keeps its files in."""

    name: str
    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    stop_signal: int = signal.SIGTERM
    user: str | None = field(default=None)  # the account it runs as, when this session is root

    def launch(self, argv: list[str], log: Path) -> None:
        """Start `argv` as this session's child; it gets `stop_signal` if the session dies first."""
        prefix = ["setpriv", f"--pdeathsig={signal.Signals(self.stop_signal).name.removeprefix('SIG')}"]
        if self.user is not None:
            prefix += [f"--reuid={self.user}", f"--regid={self.user}", "--clear-groups"]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [*prefix, *argv], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.folder
            )

    def stop(self) -> None:
        """Stop the server (then kill it if it lingers) and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def start_redis() -> tuple[PrivateServer, str]:
    """A Redis without persistence on a free port; returns it and its base URL (add /DB)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerUnavailable("redis-server is not installed (Debian: redis-server)")
    server = PrivateServer("redis", free_port(), server_folder("redis"))
    log = server.folder / "redis.log"
    argv = [binary, "--port", str(server.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(server.folder), "--daemonize", "no"]
    server.launch(argv, log)
    _waits(lambda: answers(server.port), "the private redis-server", server.process, log)  # type: ignore[arg-type]
    return server, f"redis://127.0.0.1:{server.port}"


def start_postgres() -> tuple[PrivateServer, str]:
    """A PostgreSQL cluster (trust authentication, user postgres, no fsync: its data dies with the session)
    on a free port; returns it and its admin URL."""
    bindir = postgres_bindir()
    user = _postgres_user() if os.geteuid() == 0 else None
    folder = server_folder("postgres")
    if user is not None:
        account = pwd.getpwnam(user)
        os.chown(folder, account.pw_uid, account.pw_gid)
    # SIGINT is PostgreSQL's fast shutdown; its parent-death signal SIGQUIT stops it at once
    server = PrivateServer("postgres", free_port(), folder, stop_signal=signal.SIGQUIT, user=user)
    data, log = folder / "data", folder / "postgres.log"
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]
    done = subprocess.run(
        [*([] if user is None else ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]), *initdb],
        capture_output=True, text=True, cwd=folder, check=False,
    )
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
    options = {"listen_addresses": "127.0.0.1", "fsync": "off", "synchronous_commit": "off",
               "full_page_writes": "off", "max_connections": "200", "unix_socket_directories": str(folder)}
    argv = [str(bindir / "postgres"), "-D", str(data), "-p", str(server.port)]
    for key, value in options.items():
        argv += ["-c", f"{key}={value}"]
    server.launch(argv, log)
    _waits(lambda: _postgres_answers(server.port), "the private PostgreSQL", server.process, log)  # type: ignore[arg-type]
    return server, f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/postgres"


def _postgres_user() -> str:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ServerUnavailable("running as root needs a 'postgres' user to run PostgreSQL as") from None
    return "postgres"


def _postgres_answers(port: int) -> bool:
    import psycopg

    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False
