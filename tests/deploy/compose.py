"""docker-compose.yml read as Compose reads it, and its services translated into local processes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..queue.helpers import stop

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

# ${VAR}, ${VAR:-default} (unset or empty: the default), ${VAR:?message} (unset or empty: an error), $$ (a $)
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:[-?])(?P<arg>[^}]*))?\}")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an env file; blank lines and # comments are skipped."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """`text` with Compose's variable syntax substituted from `env`; KeyError(message) for a missing ${VAR:?}."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        value = env.get(match["name"], "")
        if value or match["op"] is None:
            return value
        if match["op"] == ":?":
            raise KeyError(match["arg"])
        return match["arg"]

    return _VARIABLE.sub(substitute, text)


def _interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: _interpolate_tree(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [_interpolate_tree(item, env) for item in node]
    return node


def compose_services(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The services of docker-compose.yml, anchors merged and variables substituted from `env`."""
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    return _interpolate_tree(document["services"], env)


@dataclass(frozen=True)
class LocalTarget:
    """Where a service runs in the test instead of on the compose network."""

    redis_url: str  # replaces MNISTQ_BROKER_URL (redis://:PASSWORD@redis:6379/0)
    database_url: str  # replaces MNISTQ_DATABASE_URL (postgresql+psycopg://USER:PASSWORD@postgres:5432/DB)
    flower_port: int  # replaces the container port in flower's --port=5555
    ui_port: int = 0  # replaces the container port in the ui's --port 8080 (0: any free one)

    def local_port(self, container_port: int) -> int:
        """The port here of the service that listens on `container_port` in its container."""
        return {5555: self.flower_port, 8080: self.ui_port}[container_port]


_PROGRAMS = {"mnistq": ["-m", "scheduler.cli"], "celery": ["-m", "celery"]}
_PORT = re.compile(r"--port=(\d+)")


def _local_ports(args: list[str], target: LocalTarget) -> list[str]:
    """`args` with every container port (--port=N or --port N) replaced by its local port in `target`."""
    local = [_PORT.sub(lambda match: f"--port={target.local_port(int(match[1]))}", arg) for arg in args]
    for index, arg in enumerate(args[:-1]):
        if arg == "--port":
            local[index + 1] = str(target.local_port(int(args[index + 1])))
    return local


def local_process(
    service: Mapping[str, Any], target: LocalTarget, command: list[str] | None = None, container_host: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """(argv, environment) to run `service` (or `command` with its environment, as `compose run` does) here.

    The only translations: the broker and database URLs point at `target` instead of the compose hosts `redis`
    and `postgres`; the programs `mnistq` and `celery` run as modules of this interpreter (in a `sh -c` script,
    they are found first on PATH, next to this interpreter); a container port after `--port` is its local port
    (`target.local_port`); the container's own host name (`container_host`, else this machine's) is $HOSTNAME,
    as Docker sets it, and Celery's `%h` in the command. The rest of the service's environment is passed
    unchanged, on top of this process's environment without its MNISTQ_ variables (in a container, only the
    service's own settings apply).
    """
    host = container_host or socket.gethostname()
    program, *args = command or service["command"]
    args = [arg.replace("%h", host) for arg in _local_ports(args, target)]
    argv = [program, *args] if program == "sh" else [sys.executable, *_PROGRAMS[program], *args]
    env = {key: value for key, value in os.environ.items() if not key.startswith("MNISTQ_")}
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")))
    env["HOSTNAME"] = host
    env.update({str(key): str(value) for key, value in service.get("environment", {}).items()})
    env.update(MNISTQ_BROKER_URL=target.redis_url, MNISTQ_DATABASE_URL=target.database_url)
    return argv, env


@contextmanager
def service_process(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A long-running service in its own process group, stopped (group and all) however the test ends."""
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        stop(process)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_status(url: str, authorization: str | None = None) -> int | None:
    """The HTTP status of GET `url` (with that Authorization header), None while nothing listens there."""
    request = urllib.request.Request(url)
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None
