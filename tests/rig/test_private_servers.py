"""The suite's own Redis and PostgreSQL: private (their own ports, never 6379 or 5432), gone when the session
ends however it ends, and two sessions side by side never share a server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ..queue.helpers import wait_until
from ..servers import answers

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "tests" / "rig" / "session_probe.py"
SESSION_TIMEOUT_S = 300

pytestmark = pytest.mark.slow


def _session(out: Path, wait: str = "") -> subprocess.Popen[bytes]:
    """A test session of its own running the probe, with no external servers configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MNISTQ_TEST_", "PYTEST_"))}
    env.update(PROBE_OUT=str(out), PROBE_WAIT=wait)
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PROBE)]
    # Ctrl-C must reach it as it would a user's session, even when this suite runs in the background of a
    # shell, whose children start with SIGINT ignored
    return subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _finish(session: subprocess.Popen[bytes]) -> str:
    """The session's output once it has exited; killed if it has not within SESSION_TIMEOUT_S."""
    try:
        return session.communicate(timeout=SESSION_TIMEOUT_S)[0].decode()
    except subprocess.TimeoutExpired:
        session.kill()
        session.communicate()
        raise


def _record(out: Path) -> dict:
    wait_until(lambda: out.exists() and out.read_text().endswith("}"), SESSION_TIMEOUT_S, "the probe's record")
    return json.loads(out.read_text())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _gone(record: dict) -> Callable[[], bool]:
    def check() -> bool:
        pids = [record["pg_pid"], record["redis_pid"]]
        return not any(_alive(p) for p in pids) and not any(answers(record[k]) for k in ("pg_port", "redis_port"))

    return check


def test_a_session_starts_private_servers_and_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "record.json"
    session = _session(out)
    output = _finish(session)
    assert session.returncode == 0, output
    record = json.loads(out.read_text())
    assert {record["pg_port"], record["redis_port"]}.isdisjoint({5432, 6379})
    assert record["pg_pid"] and record["redis_pid"] and len(record["folders"]) == 2
    assert _gone(record)() and not any(Path(f).exists() for f in record["folders"])


def test_two_sessions_side_by_side_get_their_own_servers(tmp_path: Path) -> None:
    release = tmp_path / "release"
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    sessions = [_session(first, str(release)), _session(second, str(release))]
    try:
        records = [_record(first), _record(second)]  # both sessions are up at the same time here
        ports = {r[k] for r in records for k in ("pg_port", "redis_port")}
        assert len(ports) == 4  # each CREATE DATABASE probe_db succeeded: no server is shared
    finally:
        release.write_text("")
        outputs = [_finish(s) for s in sessions]
    assert [s.returncode for s in sessions] == [0, 0], outputs
    for record in records:
        assert _gone(record)()


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_an_interrupted_or_killed_session_leaves_no_server(tmp_path: Path, how: signal.Signals) -> None:
    out = tmp_path / "record.json"
    session = _session(out, "forever")
    try:
        record = _record(out)
    finally:
        session.send_signal(how)
        _finish(session)
    wait_until(_gone(record), 60, "the servers of the stopped session to exit")
    if how == signal.SIGINT:  # Ctrl-C: the session cleans up itself
        assert not any(Path(f).exists() for f in record["folders"])
    else:  # kill -9 cannot clean up: the servers die with it, and the next session removes their folders
        from ..servers import sweep_stale_folders

        swept = {str(p) for p in sweep_stale_folders()}
        assert set(record["folders"]) <= swept
