"""What a sweep's runs tell bench/halving.py, read from the store: task times, utilisation, the tail, the
best run. Pure: records in, figures out (seconds, accuracies in [0, 1])."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from db.records import RunRecord


@dataclass(frozen=True)
class Task:
    """One run as its sweep left it. Times are the store's UTC timestamps; accuracies in [0, 1]."""

    status: str
    worker: str | None
    claimed_at: datetime
    finished_at: datetime
    train_seconds: float  # the training loop's own time; 0 when not recorded
    val_acc: float | None
    test_acc: float | None
    val_loss: float | None = None

    @property
    def seconds(self) -> float:
        """Task time: from the claim (the worker took it) to the stored end."""
        return (self.finished_at - self.claimed_at).total_seconds()

    @classmethod
    def from_record(cls, run: RunRecord) -> Task:
        start = run.claimed_at or run.started_at
        assert start is not None and run.finished_at is not None, f"run {run.id} ({run.status}) never ran"
        return cls(run.status, run.worker, start, run.finished_at, run.train_seconds or 0.0, run.val_acc, run.test_acc,
                   run.val_loss)


def span(tasks: Sequence[Task]) -> float:
    """Seconds from the first claim to the last finish."""
    return (max(t.finished_at for t in tasks) - min(t.claimed_at for t in tasks)).total_seconds()


def utilisation(tasks: Sequence[Task], workers: int) -> float:
    """Sum of task times / (workers x span): the share of the workers' time that held a run."""
    return sum(t.seconds for t in tasks) / (workers * span(tasks))


def tail(tasks: Sequence[Task]) -> float:
    """Seconds at the end when some worker already had nothing left: last finish - the earliest of the
    workers' own last finishes (0 with one worker)."""
    last: dict[str | None, datetime] = {}
    for t in tasks:
        last[t.worker] = max(last.get(t.worker, t.finished_at), t.finished_at)
    return (max(last.values()) - min(last.values())).total_seconds()


def best_run(tasks: Iterable[Task]) -> Task | None:
    """The run of highest validation accuracy; among equals (400 validation images: steps of 0.25 points), the
    lowest validation loss, so every strategy breaks ties the same way whatever order its runs have."""
    scored = [t for t in tasks if t.val_acc is not None]
    return min(scored, key=_rank) if scored else None


def _rank(task: Task) -> tuple[float, float]:
    loss = task.val_loss if task.val_loss is not None and math.isfinite(task.val_loss) else math.inf
    return -(task.val_acc or 0.0), loss


@dataclass(frozen=True)
class SweepResult:
    """One mnistq strategy's sweep, from the store. Units: seconds, epochs."""

    strategy: str
    wall: float  # submit to the last finished_at
    epochs: int  # epoch_metrics rows: epochs trained
    epoch_seconds: float  # their training and validation passes
    tasks: tuple[Task, ...]
    workers: int
    first_claim: float  # submit to the first claim
    load_before: float  # 1-minute load average at submit
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def utilisation(self) -> float:
        return utilisation(self.tasks, self.workers)

    @property
    def best(self) -> Task | None:
        return best_run(self.tasks)
