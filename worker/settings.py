"""Worker settings from the environment: the lease policy, heartbeats, checkpoints, and what a worker checks
before it starts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from core import settings
from core.errors import SettingError
from db.policy import LeasePolicy

# Every setting a Celery worker or its tasks read: checked at start, before anything is connected.
WORKER_SETTINGS = (*settings.STORE, *settings.QUEUE, *settings.TRAINING, *settings.CELERY)


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


def check_worker_environment(env: Mapping[str, str] | None = None) -> None:
    """Refuse a worker set-up that could only drop or fail the runs it receives: any bad setting in
    WORKER_SETTINGS (a CELERY_BROKER_URL that disagrees included), or no broker at all. A worker without
    MNISTQ_BROKER_URL would otherwise attach to whatever Celery finds on this host. Raises SettingError."""
    env = os.environ if env is None else env
    settings.check(WORKER_SETTINGS, env)
    if settings.read("MNISTQ_BROKER_URL", env) is None:
        raise SettingError(
            "MNISTQ_BROKER_URL", None, f"{settings.BY_NAME['MNISTQ_BROKER_URL'].expected}: a worker takes runs "
            "from the queue (without a broker, `mnistq submit` trains on its own machine)",
            problem="MNISTQ_BROKER_URL is not set",
        )


def worker_concurrency(requested: int | None = None, env: Mapping[str, str] | None = None) -> int:
    """Pool processes of one worker: `requested` (--concurrency), else $MNISTQ_WORKER_CONCURRENCY, else one per
    core. Each process trains one run at a time with $MNISTQ_BLAS_THREADS BLAS threads (default 1): a worker
    alone keeps every core busy, and workers that share a host (which cannot see each other) time-share the
    cores instead of making idle BLAS threads spin against each other."""
    return requested if requested is not None else settings.read("MNISTQ_WORKER_CONCURRENCY", env)
