"""`mnistq report` (a sweep's HTML or Markdown report) and `mnistq predict` (classify with a stored run).

Each command opens one session at this edge and passes it down. Errors from user input are UserErrors:
the `mnistq` front door prints them on one line and exits with code 2.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from core import settings
from core.ids import parse_id
from core.output import check_output_file, check_output_folder, write_atomically
from db import open_store, session_scope

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.command(context_settings=CONTEXT)
@click.argument("sweep_ref", metavar="SWEEP")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="HTML file to write (default report.html), or the folder for --format md (default report-md).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md"]),
    default="html",
    show_default=True,
    help="html: one self-contained page; md: report.md plus PNG files in a folder.",
)
@click.option(
    "--top",
    "top_k",
    type=click.IntRange(1, 100),
    default=10,
    show_default=True,
    help="Runs in the leaderboard and with learning-curve panels.",
)
@settings.uses(settings.STORE, settings.DATA)
def report(sweep_ref: str, output: Path | None, fmt: str, top_k: int) -> None:
    """Write sweep SWEEP's report (an id, or 'latest'): summary, leaderboard, learning curves, numpy vs
    sklearn, hyperparameter effects, the best run's mistakes, the dataset analysis and the failures."""
    # imported here: `mnistq predict`, in this module too, need not load matplotlib
    from db.queries import resolve_sweep
    from report.build import STEPS, build_document
    from report.html import render_html
    from report.markdown import write_markdown
    from report.progress import progress_steps

    target = _check_target(output or Path("report-md" if fmt == "md" else "report.html"), fmt)
    with session_scope(open_store()) as session:
        sweep_id = resolve_sweep(session, sweep_ref)
        with progress_steps(len(STEPS) + 1) as advance:
            document = build_document(session, sweep_id, top_k=top_k, advance=advance)
    if fmt == "md":
        path = write_markdown(document, target)
        click.echo(f"sweep {sweep_id}: wrote {path} and {len(document.figures())} PNG files")
    else:
        size = write_atomically(target, render_html(document).encode("utf-8"))
        click.echo(f"sweep {sweep_id}: wrote {target} ({size / 1e6:.2f} MB)")


@click.command(context_settings=CONTEXT)
@click.argument("run_ref", metavar="RUN")
@click.argument("images", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--invert/--no-invert",
    default=None,
    help="Force reading the images as a dark digit on a light background (--invert), or as a light digit "
    "on dark (--no-invert). Default: decided per image from its border: mostly light means a dark digit, "
    "which is inverted, with a note on stderr.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@settings.uses(settings.STORE, settings.DATA, settings.LIMITS)
def predict(run_ref: str, images: tuple[Path, ...], invert: bool | None, as_json: bool) -> None:
    """Classify IMAGE files (PNG or PGM) with run RUN's stored weights.
    Without images, score RUN on its dataset's test split, rebuilt from its stored config.

    Each image is converted to grayscale and resized to the run's input (28x28 for MNIST, 8x8 for digits);
    the network expects MNIST's white digit on black, so an image with a light border is inverted first.
    A note on stderr says when an image is resized or inverted; --json gives size, input_size, resized,
    background and inverted for every image.
    """
    from report.predict import adjustments, predict_images, score_test_split

    run_id = parse_id(run_ref, "run", listing="mnistq runs")
    with session_scope(open_store()) as session:
        if images:
            predictions = predict_images(session, run_id, images, invert=invert)
        else:
            score = score_test_split(session, run_id)
    if images:
        for p in predictions:
            note = adjustments(p, detected=invert is None)
            if note:
                click.echo(f"note: {note}", err=True)
    if images and as_json:
        click.echo(json.dumps({"run": run_id, "predictions": [asdict(p) for p in predictions]}))
    elif images:
        for p in predictions:
            click.echo(f"{p.image}: {p.digit} (probability {p.probability:.3f})")
    elif as_json:
        click.echo(json.dumps(asdict(score)))
    else:
        stored = "none" if score.stored_test_acc is None else f"{score.stored_test_acc:.4f}"
        click.echo(
            f"run {run_id}: test accuracy {score.test_acc:.4f} on {score.n_test} images of {score.dataset} "
            f"(stored at training: {stored})"
        )


def _check_target(path: Path, fmt: str) -> Path:
    """Fail before any work when the output cannot or must not be written (see core.output): a missing
    parent folder, a symlink, device or FIFO, a file where --format md needs a folder, or the reverse."""
    return check_output_folder(path) if fmt == "md" else check_output_file(path)
