"""Stores the dashboard's tests read: trained for real by `mnistq submit` in local mode (digits, seconds), on
SQLite or on a PostgreSQL database of the session's server, once per test module."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..queue.helpers import mnistq

HOSTILE = "<script>alert(1)</script>"  # a sweep name, a description and a CSV path: text on every page

GRID_SPEC = f"""
name = "{HOSTILE}"
description = "{HOSTILE} & friends"

[fixed]
dataset = "digits"
epochs = 3
batch_size = 32

[grid]
engine = ["numpy", "sklearn"]
hidden = [[16], [32, 16]]
learning_rate = [0.05, 0.2]
"""

ASHA_SPEC = """
name = "asha-tiny"

[fixed]
dataset = "digits"
epochs = 4
batch_size = 32
hidden = [16]

[grid]
learning_rate = [0.001, 0.01, 0.05, 0.1, 0.2, 0.4]

[search]
strategy = "asha"
min_epochs = 1
eta = 2
"""


@dataclass(frozen=True)
class TrainedStore:
    url: str
    grid_sweep: int  # 8 runs: numpy and sklearn pairs, 3 epochs each, final weights stored
    asha_sweep: int  # 6 runs judged at rungs


def submit(url: str, spec: str, folder: Path) -> int:
    path = folder / f"spec-{uuid.uuid4().hex[:6]}.toml"
    path.write_text(spec)
    done = mnistq("submit", str(path), "--workers", "1", "--json",
                  env={"MNISTQ_DATABASE_URL": url, "MNISTQ_BROKER_URL": ""})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["sweep_id"]


def trained_store(url: str, folder: Path) -> TrainedStore:
    return TrainedStore(url=url, grid_sweep=submit(url, GRID_SPEC, folder), asha_sweep=submit(url, ASHA_SPEC, folder))


def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database on the session's PostgreSQL server, dropped afterwards."""
    from ..conftest import _pg_admin_connect, service_unavailable

    try:
        admin = _pg_admin_connect(admin_url)
    except Exception as exc:
        service_unavailable("PostgreSQL", f"{exc.__class__.__name__}")
    name = f"mnistq_ui_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        from db import dispose_engines

        dispose_engines()
        with _pg_admin_connect(admin_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# one per session and backend: the tests only read it (training it twice per module would cost a minute)
@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory) -> Iterator[TrainedStore]:
    folder = tmp_path_factory.mktemp("ui-store")
    if request.param == "sqlite":
        yield trained_store(f"sqlite:///{folder / 'ui.db'}", folder)
        return
    for url in postgres_database(request.getfixturevalue("pg_admin_url")):
        yield trained_store(url, folder)
