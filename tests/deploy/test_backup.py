"""The README's backups work: `pg_dump -Fc` and `pg_restore --clean --if-exists` give back every row of a store
(configs, history, checkpoints and weights), and `sqlite3 ... ".backup"` copies a SQLite store whole.

The compose lines run the same PostgreSQL tools inside the container (`docker compose exec -T postgres ...`);
here they run against the suite's own server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from db import dispose_engines, open_store, session_scope
from scheduler.spec import load_spec
from scheduler.submit import store_sweep
from worker.execute import execute_run

from ..test_bad_inputs import GOOD_SPEC, dump


def _trained_store(url: str, folder: Path) -> None:
    """A sweep of two runs, one trained (history, weights) and one queued."""
    spec = folder / "spec.toml"
    spec.write_text(GOOD_SPEC)
    engine = open_store(url, create=True)
    with session_scope(engine) as session:
        first, _ = store_sweep(session, load_spec(spec)).to_train
    assert execute_run(first[0], engine=engine) == "completed"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (scripts/system-deps.sh installs it)")
    return path


def test_pg_dump_and_restore_give_back_every_row(pg_url: str, tmp_path: Path) -> None:
    _trained_store(pg_url, tmp_path)
    engine = open_store(pg_url)
    before = dump(engine)
    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    backup = tmp_path / "mnistq.dump"
    with backup.open("wb") as out:
        subprocess.run([_tool("pg_dump"), "-Fc", dsn], stdout=out, check=True, timeout=120)
    with engine.begin() as connection:  # lose everything
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    dispose_engines()
    with backup.open("rb") as source:
        subprocess.run([_tool("pg_restore"), "-d", dsn, "--clean", "--if-exists"], stdin=source, check=True, timeout=120)
    assert dump(open_store(pg_url)) == before and before["artifacts"] and before["epoch_metrics"]


def test_sqlite_backup_copies_the_store_whole(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mnistq.db'}"
    _trained_store(url, tmp_path)
    subprocess.run([_tool("sqlite3"), "mnistq.db", ".backup mnistq-backup.db"], cwd=tmp_path, check=True, timeout=60)
    assert dump(open_store(f"sqlite:///{tmp_path / 'mnistq-backup.db'}")) == dump(open_store(url))
