"""Worker settings from the environment: the lease policy, heartbeats, checkpoints, BLAS threads."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from core import settings
from db.policy import LeasePolicy


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker holds, retries and checkpoints runs.

    The lease is renewed by a heartbeat every `heartbeat_seconds` and after every epoch (see LeasePolicy for
    what an expired lease means). Every `checkpoint_every` epochs the full training state is stored, and a
    re-delivered run resumes from it (0 turns checkpoints off).
    """

    lease_seconds: float = LeasePolicy.lease_seconds  # MNISTQ_LEASE_SECONDS
    max_attempts: int = LeasePolicy.max_attempts  # MNISTQ_MAX_ATTEMPTS
    checkpoint_every: int = 5  # MNISTQ_CHECKPOINT_EVERY (epochs; 0 = off)
    heartbeat_seconds: float = 30.0  # MNISTQ_HEARTBEAT_SECONDS (default: a quarter of the lease)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerSettings:
        env = os.environ if env is None else env
        settings.check(settings.TRAINING, env)
        policy = LeasePolicy.from_env(env)
        return cls(
            lease_seconds=policy.lease_seconds,
            max_attempts=policy.max_attempts,
            checkpoint_every=settings.read("MNISTQ_CHECKPOINT_EVERY", env),
            heartbeat_seconds=settings.read("MNISTQ_HEARTBEAT_SECONDS", env),
        )


def blas_threads(concurrency: int, cores: int | None = None) -> int:
    """BLAS threads per worker process: the cores shared out, never more threads than cores."""
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, concurrency))
