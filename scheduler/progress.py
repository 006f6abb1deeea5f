"""Watching a sweep until it is done: a progress bar on a terminal, a status line every few seconds elsewhere.

Fan-in is counting runs in the database (no chords): the sweep is done when nothing is queued or running.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy.engine import Engine

from db import SweepCounts, session_scope
from db.queries import remaining_epochs, sweep_counts


def eta_seconds(counts: SweepCounts, epochs_left: int, workers: int | None = None) -> float | None:
    """Seconds until done: epochs left × mean seconds per stored epoch, shared by the busy workers.
    None until the first epoch has been timed."""
    if counts.mean_epoch_seconds is None:
        return None
    parallel = max(1, workers or counts.running or 1)
    return epochs_left * counts.mean_epoch_seconds / parallel


def status_line(counts: SweepCounts, eta: float | None, *, show_eta: bool = True) -> str:
    """'12 runs: 5 completed, 1 failed, 0 diverged, 2 running, 4 queued | 3.1 runs/min | ETA 0:40'
    (without the ETA part when `show_eta` is False)."""
    parts = [
        f"{counts.completed} completed",
        f"{counts.failed} failed",
        f"{counts.diverged} diverged",
        f"{counts.running} running",
        f"{counts.queued} queued",
    ]
    if counts.cancelled:
        parts.append(f"{counts.cancelled} cancelled")
    rate = f"{runs_per_minute(counts):.1f} runs/min"
    line = f"{counts.total} runs: {', '.join(parts)} | {rate}"
    return f"{line} | ETA {format_duration(eta)}" if show_eta else line


def runs_per_minute(counts: SweepCounts, now: datetime | None = None) -> float:
    """Runs finished per minute over the recent window, or since the sweep started if that is shorter."""
    window = counts.recent_minutes
    if counts.first_started_at is not None:
        since_start = ((now or datetime.now(UTC)) - counts.first_started_at).total_seconds() / 60
        window = min(window, max(since_start, 1 / 60))
    return counts.finished_recently / window if window > 0 else 0.0


def format_duration(seconds: float | None) -> str:
    """'?' when unknown, '4.2 s' under a minute, else 'M:SS' or 'H:MM:SS'."""
    if seconds is None:
        return "?"
    if seconds < 60:
        return f"{seconds:.1f} s"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def is_settled(counts: SweepCounts) -> bool:
    return counts.queued == 0 and counts.running == 0


def watch(
    engine: Engine,
    sweep_id: int,
    *,
    run_id: int | None = None,
    keep_going: Callable[[], bool] = lambda: True,
    workers: int | None = None,
    interval: float = 0.5,
    stream: TextIO | None = None,
) -> SweepCounts:
    """Show sweep `sweep_id`'s progress (its run `run_id`'s alone when given) until nothing is queued or
    running, or `keep_going()` (called at every poll: local mode supervises its processes there) is False.
    Returns the last counts."""
    stream = stream or sys.stderr
    show: _Display = _Bar(stream) if stream.isatty() else _Lines(stream)
    try:
        while True:
            with session_scope(engine) as session:
                counts = sweep_counts(session, sweep_id, run_id=run_id)
                left = remaining_epochs(session, sweep_id, run_id=run_id)
            show.update(counts, status_line(counts, eta_seconds(counts, left, workers)))
            if is_settled(counts) or not keep_going():
                return counts
            time.sleep(interval)
    finally:
        show.close()


class _Display:
    def update(self, counts: SweepCounts, line: str) -> None: ...

    def close(self) -> None: ...


class _Bar(_Display):
    """A rich progress bar: finished / total, with the status line beside it."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"), console=Console(file=stream)
        )
        self.task = self.progress.add_task("", total=None)
        self.progress.start()

    def update(self, counts: SweepCounts, line: str) -> None:
        self.progress.update(self.task, total=counts.total, completed=counts.finished, description=line)

    def close(self) -> None:
        self.progress.stop()


class _Lines(_Display):
    """Not a terminal (CI logs, pipes): one line when something changes, at most every 10 s."""

    def __init__(self, stream: TextIO, every: float = 10.0) -> None:
        self.stream, self.every = stream, every
        self.last_line, self.last_time = "", 0.0

    def update(self, counts: SweepCounts, line: str) -> None:
        state = line.split(" | ")[0]
        now = time.monotonic()
        if state != self.last_line and (now - self.last_time >= self.every or is_settled(counts)):
            print(line, file=self.stream, flush=True)
            self.last_line, self.last_time = state, now
