"""A worker's name in the store: host and process id, so an operator can find the process that holds a run."""

from __future__ import annotations

import os
import socket


def worker_name() -> str:
    """"host:pid" of this process (computed on each call: a forked child gets its own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"
