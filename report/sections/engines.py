"""4. numpy vs scikit-learn (the seed's part 3): paired configs side by side, and their curves together."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from db.queries import run_histories
from report.curves import mean_curves
from report.data import SweepView
from report.document import Figure, Gallery, Note, Paragraph, Section, Table
from report.formatting import fmt_acc, fmt_mean_std, fmt_seconds
from report.pairs import Pair, engine_pairs
from report.plots.compare import engine_scatter_png
from report.plots.curves import engine_curves_png

MAX_ROWS = 10  # paired configs listed in the table, best first
MAX_CURVES = 3  # paired configs whose curves are drawn


def engines_section(session: Session, view: SweepView) -> Section:
    if len(view.engines) < 2:
        only = view.engines[0] if view.engines else "none"
        return _section(Note(f"The sweep used only one engine ({only}): no paired configs to compare."))
    pairs = engine_pairs(view.runs, view.metric, view.varied)
    if not pairs:
        return _section(Note("No config has completed runs with both engines: no paired configs to compare."))
    blocks: list = [
        Paragraph(_verdict(pairs, view.metric_label)),
        _table(pairs[:MAX_ROWS], view.metric_label),
    ]
    if len(pairs) > MAX_ROWS:
        blocks.append(Note(f"{len(pairs) - MAX_ROWS} more paired configs are left out of the table."))
    if len(pairs) >= 2:
        blocks.append(
            Figure(
                "engines-scatter",
                engine_scatter_png(pairs, view.metric_label),
                alt="numpy vs sklearn: mean accuracy and training time per paired config",
                caption=f"Every paired config ({len(pairs)}): a point above the diagonal favours scikit-learn",
            )
        )
    blocks.append(Gallery(tuple(_curves(session, pairs[:MAX_CURVES]))))
    return _section(*blocks)


def _section(*blocks) -> Section:
    return Section("engines", "numpy vs scikit-learn", tuple(blocks))


def _verdict(pairs: Sequence[Pair], metric_label: str) -> str:
    both = [p for p in pairs if p.numpy.metric.mean is not None and p.sklearn.metric.mean is not None]
    better = sum(p.numpy.metric.mean > p.sklearn.metric.mean for p in both)
    timed = [p for p in pairs if p.numpy.seconds.mean is not None and p.sklearn.seconds.mean is not None]
    faster = sum(p.numpy.seconds.mean < p.sklearn.seconds.mean for p in timed)
    return (
        f"{len(pairs)} configs completed with both engines (same config apart from engine; seeds pooled as "
        f"mean ± std). The from-scratch numpy network has the higher mean {metric_label} in {better} of "
        f"{len(both)} and trains faster in {faster} of {len(timed)}."
    )


def _table(pairs: Sequence[Pair], metric_label: str) -> Table:
    rows = tuple(
        (
            pair.params,
            fmt_mean_std(pair.numpy.metric.mean, pair.numpy.metric.std, pair.numpy.metric.n),
            fmt_mean_std(pair.sklearn.metric.mean, pair.sklearn.metric.std, pair.sklearn.metric.n),
            fmt_mean_std(pair.numpy.test_acc.mean, pair.numpy.test_acc.std, pair.numpy.test_acc.n),
            fmt_mean_std(pair.sklearn.test_acc.mean, pair.sklearn.test_acc.std, pair.sklearn.test_acc.n),
            fmt_mean_std(pair.numpy.seconds.mean, pair.numpy.seconds.std, pair.numpy.seconds.n, fmt_seconds),
            fmt_mean_std(
                pair.sklearn.seconds.mean, pair.sklearn.seconds.std, pair.sklearn.seconds.n, fmt_seconds
            ),
        )
        for pair in pairs
    )
    return Table(
        (
            "config",
            f"numpy {metric_label}",
            f"sklearn {metric_label}",
            "numpy test acc",
            "sklearn test acc",
            "numpy time",
            "sklearn time",
        ),
        rows,
        numeric=frozenset(range(1, 7)),
        caption="Paired configs, best first (mean ± std over seeds)",
    )


def _curves(session: Session, pairs: Sequence[Pair]) -> list[Figure]:
    histories = run_histories(session, [run_id for pair in pairs for run_id in pair.run_ids])
    figures = []
    for pair in pairs:
        by_engine = {
            side.engine: mean_curves([histories[run_id] for run_id in side.run_ids])
            for side in (pair.numpy, pair.sklearn)
        }
        numpy_acc, sklearn_acc = fmt_acc(pair.numpy.metric.mean), fmt_acc(pair.sklearn.metric.mean)
        figures.append(
            Figure(
                f"engines-curves-{min(pair.run_ids)}",
                engine_curves_png(by_engine, f"{pair.params} · numpy {numpy_acc} vs sklearn {sklearn_acc}"),
                alt=f"learning curves of numpy and sklearn for {pair.params}",
            )
        )
    return figures
