"""A worker's name in the store: host and process id, so a run's holder can be found (and found dead)."""

from __future__ import annotations

import os
import socket


def worker_name() -> str:
    """"host:pid" of this process (computed on each call: a forked child gets its own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_is_dead(holder: str) -> bool:
    """True only when `holder` ("host:pid") is a process of this host that no longer exists.

    A holder on another host is never declared dead here: that is the lease's and the reaper's job.
    """
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False
