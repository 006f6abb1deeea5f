"""Watching a sweep until it is done: a progress bar on a terminal, a status line every few seconds elsewhere.

Fan-in is counting runs in the database (no chords): the sweep is done when nothing is queued or running.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from sqlalchemy.engine import Engine

from db import SweepCounts, session_scope
from db.queries import remaining_epochs, sweep_counts

WIDTH = 80  # a standard terminal: the progress line, ETA included, fits in it for sweeps of 10,000 runs


def status_line(counts: SweepCounts, eta: float | None, *, show_eta: bool = True) -> str:
    """'9000/10000 done (600 pruned, 120 failed, 35 diverged), 16 running | 12.3/min | ETA 1:02:05'.

    "done" counts every finished run; the runs not done and not running are queued. Zero counts are left
    out, the rate (`SweepCounts.runs_per_minute`) until one is known, and the ETA when `show_eta` is False.
    The parts are separated by " | ", the first part being the state (see `_Lines`). A line longer than WIDTH
    falls back to short labels ("8000 pr, 85 fail, 35 div), 16 run").
    """
    line = _status_line(counts, eta, show_eta, _LABELS)
    if len(line) > WIDTH:  # an adaptive sweep of thousands, with every kind of ending: the short labels fit
        line = _status_line(counts, eta, show_eta, _SHORT_LABELS)
    return line


_LABELS = {"pruned": "pruned", "failed": "failed", "diverged": "diverged", "cancelled": "cancelled", "running": "running"}
_SHORT_LABELS = {"pruned": "pr", "failed": "fail", "diverged": "div", "cancelled": "canc", "running": "run"}


def _status_line(counts: SweepCounts, eta: float | None, show_eta: bool, labels: dict[str, str]) -> str:
    endings = [(counts.pruned, "pruned"), (counts.failed, "failed"), (counts.diverged, "diverged"),
               (counts.cancelled, "cancelled")]
    state = f"{counts.finished}/{counts.total} done"
    shown = ", ".join(f"{n} {labels[status]}" for n, status in endings if n)
    if shown:
        state += f" ({shown})"
    if counts.running:
        state += f", {counts.running} {labels['running']}"
    parts = [state]
    rate = counts.runs_per_minute
    if rate is not None:
        parts.append(f"{format_rate(rate)}/min")
    if show_eta:
        parts.append(f"ETA {format_duration(eta)}")
    return " | ".join(parts)


def format_rate(runs_per_minute: float) -> str:
    """Three significant figures at most: '0.05', '3.1', '12.3', '440'."""
    if runs_per_minute >= 100:
        return f"{runs_per_minute:.0f}"
    return f"{runs_per_minute:.1f}" if runs_per_minute >= 0.1 else f"{runs_per_minute:.2g}"


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
    return counts.settled


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
            show.update(counts, status_line(counts, counts.eta_seconds(left, workers)))
            if is_settled(counts) or not keep_going():
                return counts
            time.sleep(interval)
    finally:
        show.close()


class _Display:
    def update(self, counts: SweepCounts, line: str) -> None: ...

    def close(self) -> None: ...


class _Bar(_Display):
    """The status line (finished / total first, ETA last), then a bar filling whatever width is left: on an
    80-column terminal the line, which fits in 80 columns, is never cut to make room for the bar."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(bar_width=None), console=Console(file=stream)
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
