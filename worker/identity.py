"""A worker's name in the store: host and process id, so a run's holder can be found (and found dead).

The host part is the machine's host name, or $MNISTQ_WORKER_HOST when set. Set it to a name unique to one
host *and* process-id namespace (e.g. one per container when workers run in containers that share a host
name); two namespaces under one name would take each other's live processes for dead ones.
"""

from __future__ import annotations

import os
from pathlib import Path

from core import settings

HOST_ENV = "MNISTQ_WORKER_HOST"


def host_name() -> str:
    """The host part of this process's worker names: $MNISTQ_WORKER_HOST, else the machine's host name."""
    return settings.read(HOST_ENV)


def worker_name() -> str:
    """"host:pid" of this process (computed on each call: a forked child gets its own pid)."""
    return f"{host_name()}:{os.getpid()}"


def holder_is_dead(holder: str) -> bool:
    """True only when `holder` ("host:pid") is a process of this host that no longer runs: gone, or a zombie.

    A process killed together with its parent (a whole `submit` killed) stays a zombie until init reaps it,
    seconds later on some machines; it answers signals but will never train again. A holder on another host is
    never declared dead here: that is the lease's and the reaper's job.
    """
    host, _, pid = holder.rpartition(":")
    if host != host_name() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    """Linux: the state field of /proc/PID/stat (after the parenthesised command name) is Z or X."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:  # on Linux it exited since the signal; without /proc there is nothing to read
        return Path("/proc/self").exists()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :][:1] in ("Z", "X")
