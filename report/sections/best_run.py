"""6. The best run: its test-split confusion matrix and its misclassified digits, from the stored weights."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import UserError
from report.best_run import BestRunAnalysis, analyse_best_run
from report.data import SweepView
from report.document import Figure, Note, Paragraph, Section
from report.formatting import fmt_acc
from report.plots.images import confusion_png, digit_grid_png


def best_run_section(session: Session, view: SweepView) -> Section:
    best = view.best
    if best is None:
        return _section(Note("No completed runs: there is no best run to examine."))
    try:
        analysis = analyse_best_run(session, best.id)
    except UserError as exc:
        return _section(Note(f"Run {best.id} cannot be re-scored: {exc}"))
    return _section(*_blocks(analysis))


def _blocks(analysis: BestRunAnalysis) -> list:
    run = analysis.model.run
    blocks: list = [
        Paragraph(
            f"Run {run.id} ({run.engine}) re-scored from its stored weights on the test split of "
            f"{analysis.dataset} ({analysis.n_test} images, rebuilt from the stored config): accuracy "
            f"{fmt_acc(analysis.test_acc)} (stored test accuracy {fmt_acc(run.test_acc)}), "
            f"{analysis.n_mistakes} misclassified."
        ),
        Figure(
            f"best-run-{run.id}-confusion",
            confusion_png(analysis.confusion),
            alt=f"confusion matrix of run {run.id} on the test split",
            caption="Confusion matrix: rows are the true digit, columns the predicted one",
        ),
    ]
    if analysis.mistakes:
        titles = [f"{m.true} → {m.predicted} ({m.probability:.0%})" for m in analysis.mistakes]
        blocks.append(
            Figure(
                f"best-run-{run.id}-mistakes",
                digit_grid_png([m.image for m in analysis.mistakes], titles),
                alt=f"{len(analysis.mistakes)} misclassified test digits of run {run.id}",
                caption=f"The {len(analysis.mistakes)} most confident of {analysis.n_mistakes} mistakes: "
                "true → predicted (probability of the prediction)",
            )
        )
    return blocks


def _section(*blocks) -> Section:
    return Section("best-run", "The best run", tuple(blocks))
