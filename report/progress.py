"""Progress on stderr while a report builds: a rich bar on a terminal, nothing otherwise (pipes, CI, tests)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Advance = Callable[[str], None]  # called after each step with the name of the next one


@contextmanager
def progress_steps(total: int, *, enabled: bool | None = None) -> Iterator[Advance]:
    """Yield `advance(label)`; shows a transient bar of `total` steps when stderr is a TTY (or `enabled`)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda _label: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("report: {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("reading the store", total=total)

        def advance(label: str) -> None:
            bar.update(task, advance=1, description=label)

        yield advance
