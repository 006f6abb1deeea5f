"""Running `mnistq` and Celery workers as real subprocesses for the queue tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def mnistq(
    *args: str, env: Mapping[str, str], cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args],
        env={**os.environ, **env},
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def mnistq_json(*args: str, env: Mapping[str, str], cwd: Path | None = None) -> object:
    done = mnistq(*args, env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def start_worker(name: str, env: Mapping[str, str], log: Path, concurrency: int = 1) -> subprocess.Popen[bytes]:
    """A real Celery worker process (`mnistq worker`), logging to `log`."""
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "worker", "-c", str(concurrency), "-n", f"{name}@%h", "-l", "INFO"],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Warm shutdown (SIGTERM), then kill if it lingers; the whole process group goes."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def wait_until(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
