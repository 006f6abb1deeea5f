"""Fixtures for the scheduler tests that go through the `mnistq` front door."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import dispose_engines


@pytest.fixture
def queue_env(monkeypatch: pytest.MonkeyPatch, redis_url: str, tmp_path: Path) -> Iterator[str]:
    """Queue mode (`submit` only enqueues) on a fresh SQLite store, no MNISTQ_* setting of the caller's
    environment leaking in; yields the store URL."""
    for name in [n for n in os.environ if n.startswith("MNISTQ_") or n == "CELERY_BROKER_URL"]:
        monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("MNISTQ_DATABASE_URL", url)
    monkeypatch.setenv("MNISTQ_BROKER_URL", redis_url)
    yield url
    dispose_engines()
