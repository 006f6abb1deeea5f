"""The lease policy shared by workers (claim, heartbeat) and the scheduler (reaper), from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from core import settings


@dataclass(frozen=True)
class LeasePolicy:
    """A running run whose heartbeat is older than `lease_seconds` lost its worker: it may be claimed again
    or requeued by the reaper. A run is tried at most `max_attempts` times, then it ends failed."""

    lease_seconds: float = 120.0  # MNISTQ_LEASE_SECONDS
    max_attempts: int = 3  # MNISTQ_MAX_ATTEMPTS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LeasePolicy:
        env = os.environ if env is None else env
        return cls(
            lease_seconds=settings.read("MNISTQ_LEASE_SECONDS", env),
            max_attempts=settings.read("MNISTQ_MAX_ATTEMPTS", env),
        )

