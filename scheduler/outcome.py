"""What `submit` and `retry` tell a script when they trained or waited: an exit code, and one line saying what
is left and the command that resumes it.

    0  every run finished: completed or diverged (a diverged run is a result, not a fault)
    3  the runs settled, and some failed
    4  runs are not finished: cancelled, or still queued or running when the command stopped (e.g. every local
       worker process died); this wins over 3, since resuming them is the next step either way

A command never exits 0 while a run it started is unfinished.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from db.status import CANCELLED, COMPLETED, DIVERGED, FAILED, QUEUED, RUNNING

EXIT_OK = 0
EXIT_RUNS_FAILED = 3
EXIT_UNFINISHED = 4

UNFINISHED = (QUEUED, RUNNING, CANCELLED)
SHOWN_ORDER = (FAILED, CANCELLED, QUEUED, RUNNING, COMPLETED, DIVERGED)  # what needs the user first


@dataclass(frozen=True)
class Target:
    """What a command trains and watches: a sweep, or one run of it (`retry --run`)."""

    sweep_id: int
    run_id: int | None = None

    def label(self) -> str:
        return f"sweep {self.sweep_id}" if self.run_id is None else f"run {self.run_id}"

    def resume_command(self, *, cancelled: bool) -> str:
        """The `mnistq retry` that queues this target's unfinished and failed runs again."""
        if self.run_id is not None:
            return f"mnistq retry --run {self.run_id}"
        return f"mnistq retry {self.sweep_id}" + (" --cancelled" if cancelled else "")


def exit_code(by_status: Mapping[str, int]) -> int:
    """The exit code for runs with these counts per status (missing statuses count 0)."""
    if any(by_status.get(status, 0) for status in UNFINISHED):
        return EXIT_UNFINISHED
    if by_status.get(FAILED, 0):
        return EXIT_RUNS_FAILED
    return EXIT_OK


def summary(target: Target, by_status: Mapping[str, int]) -> str | None:
    """One line for stderr when the exit code is not 0, e.g. "sweep 4 is not finished: 1 failed, 2 cancelled,
    9 completed of 12 runs; resume them with `mnistq retry 4 --cancelled`"; None when every run finished."""
    code = exit_code(by_status)
    if code == EXIT_OK:
        return None
    total = sum(by_status.values())
    counts = ", ".join(f"{by_status[s]} {s}" for s in SHOWN_ORDER if by_status.get(s, 0))
    command = target.resume_command(cancelled=bool(by_status.get(CANCELLED, 0)))
    if code == EXIT_UNFINISHED:
        return f"{target.label()} is not finished: {counts} of {total} runs; resume them with `{command}`"
    return f"{target.label()} finished with failed runs: {counts} of {total} runs; queue them again with `{command}`"
