"""`mnistq status SWEEP --watch`: follows a sweep trained elsewhere until it settles, with `submit --wait`'s
exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from db import open_store, session_scope
from db.queries import fail_run
from scheduler.spec import load_spec
from scheduler.submit import store_sweep

from .helpers import EXAMPLES, ROOT, mnistq


def _stored(url: str) -> int:
    """examples/tiny.toml stored as a sweep of queued runs that nobody trains yet."""
    with session_scope(open_store(url, create=True)) as session:
        return store_sweep(session, load_spec(EXAMPLES / "tiny.toml")).sweep_id


def test_watch_follows_the_sweep_until_it_is_trained_elsewhere(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'watch.db'}"
    env = {**os.environ, "MNISTQ_DATABASE_URL": url, "MNISTQ_BROKER_URL": ""}
    sweep_id = _stored(url)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "status", str(sweep_id), "--watch"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        subprocess.run([sys.executable, "-m", "worker.local", "--sweep", str(sweep_id)], env=env, cwd=ROOT,
                       check=True, capture_output=True, timeout=300)
        out, err = watcher.communicate(timeout=120)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == 0, err
    assert "12/12 done" in err  # the progress lines, on stderr as for submit --wait
    assert f"sweep {sweep_id} (tiny): 12/12 done" in out  # then the status itself


def test_watch_exits_as_submit_wait_does(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'failed.db'}"
    env = {"MNISTQ_DATABASE_URL": url, "MNISTQ_BROKER_URL": ""}
    sweep_id = _stored(url)
    assert mnistq("retry", str(sweep_id), env=env).returncode == 0  # trains all 12 here
    with session_scope(open_store(url)) as session:  # then one run fails, as a worker would record it
        session.execute(text("UPDATE runs SET status = 'running', worker = 'w' WHERE id = 1"))
        fail_run(session, 1, worker="w", error="RuntimeError: boom", final=True)
    done = mnistq("status", str(sweep_id), "--watch", "--json", env=env)
    assert done.returncode == 3, done.stderr
    assert f"mnistq retry {sweep_id}" in done.stderr
    assert mnistq("status", "--watch", env=env).returncode == 2  # which sweep? a usage error
