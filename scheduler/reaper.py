"""The reaper: give runs of lost workers back to the queue, and send again queued runs whose message was lost.

`mnistq reap` runs one pass, `mnistq scheduler` one every `--interval` seconds. A pass
1. requeues running runs whose lease expired ($MNISTQ_LEASE_SECONDS without a heartbeat: the worker or its
   whole host is gone), or ends them failed once they used $MNISTQ_MAX_ATTEMPTS, and sends the requeued ones;
2. in queue mode, sends again the queued runs that no worker claimed for $MNISTQ_RESEND_SECONDS, but only on
   an engine queue that is empty: then their messages are gone (a broker restarted without persistence, a
   submission cut short), not waiting behind other runs. So a long backlog is never re-sent, and at most one
   spare message per lost run is in flight. A spare delivery is a no-op: the claim lets one worker train a run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from celery import Celery
from sqlalchemy.engine import Engine

from core import settings
from db import LeasePolicy, session_scope
from db.queries import requeue_expired, run_engines, unclaimed_queued
from model.config import ENGINES
from scheduler.queue import enqueue, queue_depths

RESEND_ENV = "MNISTQ_RESEND_SECONDS"
DEFAULT_RESEND_SECONDS: float = settings.BY_NAME[RESEND_ENV].default


@dataclass(frozen=True)
class ReaperSettings:
    """The lease policy shared with the workers, and how long a queued run may wait unclaimed (seconds) on
    an empty queue before it is sent again."""

    lease: LeasePolicy
    resend_seconds: float = DEFAULT_RESEND_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReaperSettings:
        env = os.environ if env is None else env
        settings.check(settings.REAPER, env)
        return cls(lease=LeasePolicy.from_env(env), resend_seconds=settings.read(RESEND_ENV, env))


@dataclass(frozen=True)
class ReapPass:
    """What one pass did: run ids requeued (lease expired), failed (out of attempts), cancelled (a cancel
    was pending) and re-sent (queued, unclaimed, on an empty queue)."""

    requeued: tuple[int, ...]
    failed: tuple[int, ...]
    cancelled: tuple[int, ...]
    resent: tuple[int, ...]

    @property
    def changed(self) -> bool:
        return bool(self.requeued or self.failed or self.cancelled or self.resent)

    def summary(self) -> str:
        return (
            f"reaped: {len(self.requeued)} requeued, {len(self.failed)} failed (out of attempts), "
            f"{len(self.cancelled)} cancelled, {len(self.resent)} queued runs re-sent"
        )


def reap_once(engine: Engine, sender: Celery | None, settings: ReaperSettings) -> ReapPass:
    """One pass of the reaper (see the module docstring). `sender` is None in local mode: nothing is sent."""
    policy = settings.lease
    with session_scope(engine) as session:
        reaped = requeue_expired(session, lease_seconds=policy.lease_seconds, max_attempts=policy.max_attempts)
        requeued = run_engines(session, reaped.requeued_ids)
    resent: list[tuple[int, str]] = []
    if sender is not None:
        enqueue(sender, requeued)
        resent = _resend_lost(engine, sender, settings.resend_seconds)
    return ReapPass(
        requeued=reaped.requeued_ids,
        failed=reaped.failed_ids,
        cancelled=reaped.cancelled_ids,
        resent=tuple(run_id for run_id, _ in resent),
    )


def _resend_lost(engine: Engine, sender: Celery, idle_seconds: float) -> list[tuple[int, str]]:
    """Send again the runs queued and unclaimed for `idle_seconds` on engine queues that hold no message."""
    empty = [queue for queue, depth in queue_depths(sender, ENGINES).items() if depth == 0]
    if not empty:
        return []
    with session_scope(engine) as session:
        lost = unclaimed_queued(session, idle_seconds=idle_seconds, engines=empty)
    enqueue(sender, lost)
    return lost
