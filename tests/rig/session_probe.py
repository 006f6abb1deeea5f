"""Not collected by the suite: tests/rig/test_private_servers.py runs it as a test session of its own.

It records the private servers its session started in $PROBE_OUT (JSON), then waits as $PROBE_WAIT says: for a
file to appear (a second session beside it), or forever (until the test interrupts or kills the session).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import psycopg
import redis


def _pid_on(port: int) -> int | None:
    """The pid of the process listening on 127.0.0.1:`port` (from /proc/net/tcp and /proc/*/fd)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
            inode = fields[9]
    if inode is None:
        return None
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(fd) == f"socket:[{inode}]":
                return int(fd.parts[2])
        except OSError:
            continue
    return None


def test_probe(pg_admin_url: str, redis_url: str) -> None:
    with psycopg.connect(pg_admin_url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute("CREATE DATABASE probe_db")
    assert redis.Redis.from_url(redis_url).set("probe", "1")
    pg_port = int(pg_admin_url.rsplit(":", 1)[1].split("/")[0])
    redis_port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    folders = sorted(str(p) for p in Path("/tmp").glob("mnistq-test-*") if (p / "owner.pid").read_text() == str(os.getpid()))
    record = {"pg_port": pg_port, "redis_port": redis_port, "pg_pid": _pid_on(pg_port),
              "redis_pid": _pid_on(redis_port), "folders": folders, "session_pid": os.getpid()}
    Path(os.environ["PROBE_OUT"]).write_text(json.dumps(record))
    wait = os.environ.get("PROBE_WAIT", "")
    if wait == "forever":
        while True:
            time.sleep(0.1)
    elif wait:
        while not Path(wait).exists():
            time.sleep(0.05)
