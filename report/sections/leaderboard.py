"""2. Leaderboard: the top K completed runs by the ranking metric."""

from __future__ import annotations

from report.data import SweepView
from report.document import Note, Section, Table
from report.formatting import DASH, fmt_acc, fmt_params, fmt_seconds


def leaderboard_section(view: SweepView) -> Section:
    if not view.top:
        return Section("leaderboard", "Leaderboard", (Note("No completed runs to rank yet."),))
    rows = tuple(
        (
            str(rank),
            str(run.id),
            run.engine,
            fmt_acc(run.val_acc),
            fmt_acc(run.test_acc),
            fmt_params(run.config, view.varied) or DASH,
            fmt_seconds(run.train_seconds),
            _epochs(len(view.histories.get(run.id, ())), run.epochs, run.best_epoch),
        )
        for rank, run in enumerate(view.top, start=1)
    )
    table = Table(
        ("#", "run", "engine", "val acc", "test acc", "params", "time", "epochs"),
        rows,
        numeric=frozenset({0, 1, 3, 4, 6}),
        caption=f"Top {len(rows)} of {len(view.completed)} completed runs by {view.metric_label}; epochs: "
        "trained of planned, and the one whose weights were kept (the lowest validation loss with early "
        "stopping, else the last)",
    )
    blocks: tuple = (table,)
    if view.metric == "test_acc":
        blocks += (
            Note("No completed run has a validation split (val_fraction = 0): ranked by test accuracy."),
        )
    return Section("leaderboard", "Leaderboard", blocks)


def _epochs(trained: int, planned: int | None, kept: int | None) -> str:
    """'12/20, kept 9': epochs stored of the planned maximum, and the epoch whose weights were kept (the
    stored best_epoch: the lowest validation loss with early stopping, else the last epoch)."""
    text = f"{trained}/{planned}" if planned else str(trained)
    return f"{text}, kept {kept}" if kept is not None else text
