"""Fixtures for the store tests: a migrated store on each backend (via the shared `db_url` fixture), and a
factory of realistic config dicts with their hashes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from db.records import NewRun
from db.store import dispose_engines, open_store

BASE_CONFIG: dict[str, Any] = {
    "engine": "numpy",
    "dataset": "mnist-5k",
    "label_column": None,
    "hidden": [256, 128, 64],
    "activation": "relu",
    "optimizer": "sgd",
    "learning_rate": 0.05,
    "momentum": 0.0,
    "nesterov": False,
    "batch_size": 64,
    "epochs": 20,
    "l2": 0.0,
    "seed": 0,
}


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def make_run(seed: int = 0, **changes: Any) -> NewRun:
    """A NewRun whose config differs from BASE_CONFIG by `seed` and `changes`."""
    config = {**BASE_CONFIG, "seed": seed, **changes}
    return NewRun(engine=config["engine"], config=config, config_hash=config_hash(config))


def _run_together(script: str, args_per_process: list[list[str]], timeout: float = 60) -> list[Any]:
    """Start one fresh Python process per argument list, all at once, each running `script` (which prints one
    JSON value as its last line); wait for all and return their values. Fails the test if any fails."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for args in args_per_process
    ]
    outputs = [process.communicate(timeout=timeout) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    return [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]


@pytest.fixture
def run_together() -> Callable[..., list[Any]]:
    """`run_together(script, [[args], [args]])`: run a Python script in several processes at once."""
    return _run_together


@pytest.fixture
def new_run() -> Callable[..., NewRun]:
    """`new_run(seed, **changes)`: a NewRun with a distinct config (and hash) per argument set."""
    return make_run


@pytest.fixture
def store(db_url: str) -> Iterator[Engine]:
    """A migrated, empty store on SQLite and on PostgreSQL (a fresh database per test)."""
    engine = open_store(db_url, create=True)
    yield engine
    dispose_engines()


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Engine]:
    """A migrated, empty SQLite store (for tests about SQLite itself)."""
    engine = open_store(sqlite_url, create=True)
    yield engine
    dispose_engines()
