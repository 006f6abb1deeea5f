"""Downloads: a sweep's HTML report and its runs as CSV or JSON (the formats of `mnistq report` and `mnistq runs
--format csv|json`), and a run's final weights as .npz (what `mnistq export` writes)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from db import RunRecord, session_scope
from db.export import runs_csv as csv_text
from db.export import runs_json as json_text
from db.queries import get_run, get_sweep, list_runs, load_artifact


def _attachment(body: bytes | str, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{filename}"'})


def report_html(request: Request) -> Response:
    """The sweep's report, built now from the store (like `mnistq report SWEEP`)."""
    from report.build import build_document  # matplotlib: only when a report is asked for
    from report.html import render_html

    sweep_id = request.path_params["sweep_id"]
    with session_scope(request.app.state.engine) as session:
        document = build_document(session, sweep_id)
    return _attachment(render_html(document), "text/html; charset=utf-8", f"sweep-{sweep_id}-report.html")


def runs_csv(request: Request) -> Response:
    return _runs(request, csv_text, "text/csv; charset=utf-8", "csv")


def runs_json(request: Request) -> Response:
    return _runs(request, json_text, "application/json", "json")


def _runs(request: Request, render: Callable[[list[RunRecord]], str], media_type: str, suffix: str) -> Response:
    """Every run of the sweep, by id, in the format of `mnistq runs --sweep ID --format csv|json`."""
    sweep_id = request.path_params["sweep_id"]
    with session_scope(request.app.state.engine) as session:
        get_sweep(session, sweep_id)
        runs = list_runs(session, sweep_id=sweep_id)
    return _attachment(render(runs), media_type, f"sweep-{sweep_id}-runs.{suffix}")


def weights_npz(request: Request) -> Response:
    """The run's final weights, checksum verified; 404 with the reason when it has none."""
    run_id = request.path_params["run_id"]
    with session_scope(request.app.state.engine) as session:
        get_run(session, run_id)
        blob = load_artifact(session, run_id, "final")
    return _attachment(blob, "application/octet-stream", f"run-{run_id}-weights.npz")
