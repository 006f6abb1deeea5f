"""The JSON endpoints the pages' scripts poll and load from (and API clients may use, with a bearer token)."""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse

from db import FilterError, NotFoundError, session_scope
from db.export import finite_or_none
from db.filters import parse_order, parse_where
from db.queries import (
    changed_sweeps,
    get_artifact,
    get_run,
    get_sweep,
    sweep_changes,
)
from ui import data, params
from ui.errors import one_line_reason
from ui.summaries import SweepSummaries


def sweeps(request: Request) -> JSONResponse:
    """Every sweep's summary; with `since` (the cursor of the client's last answer) and `seen` (the newest
    summary version it holds), only the summaries it has not seen, asking for new ones of the sweeps that
    changed. `seen` in the answer is the version to send next time."""
    summaries: SweepSummaries = request.app.state.summaries
    with session_scope(request.app.state.engine) as session:
        if "since" not in request.query_params:
            return JSONResponse(summaries.listing(session))
        seen = params.seen(request)
        cursor, changed = changed_sweeps(session, params.since(request))
    for sweep_id in changed:
        summaries.latest(sweep_id, changed=True)
    unseen = summaries.newer_than(seen)
    return JSONResponse({"cursor": cursor, "seen": max((s.version for s in unseen), default=seen),
                         "sweeps": [summary.data for summary in reversed(unseen)]})


def runs_page(request: Request) -> JSONResponse:
    """One leaderboard page (`where`, `order`, `page` as on the sweep page)."""
    with session_scope(request.app.state.engine) as session:
        sweep = get_sweep(session, request.path_params["sweep_id"])
        board = data.leaderboard_page(session, sweep, where=params.where(request), order=params.order(request),
                                      page=params.page_number(request))
    return JSONResponse(board)


def changes(request: Request) -> JSONResponse:
    """What changed in the sweep since the cursor `since`: the changed runs as leaderboard rows, the epochs
    written, and the sweep's summary and rungs when newer than the version `seen`. `reload` is true when too
    much changed to send piecemeal."""
    sweep_id = request.path_params["sweep_id"]
    since, seen = params.since(request), params.seen(request)
    with session_scope(request.app.state.engine) as session:
        sweep = get_sweep(session, sweep_id)
        found = sweep_changes(session, sweep_id, since)
        changed = found.truncated or found.sweep_changed or bool(found.runs or found.epochs)
        columns = data.shown_columns(sweep)
        rows = [data.run_row(run, columns) for run in found.runs]
    # the newest summary (a new one is on its way when this poll saw a change), sent when the client lacks it
    summary = request.app.state.summaries.latest(sweep_id, changed=changed)
    unseen = summary.version > seen
    body: dict[str, Any] = {
        "cursor": found.cursor,
        "seen": max(summary.version, seen),
        "reload": found.truncated,
        "sweep": summary.data if unseen else None,
        "runs": rows,
        "epochs": [data.epoch_point(epoch) for epoch in found.epochs],
        "rungs": summary.rungs if unseen else None,
    }
    return JSONResponse(body)


def history(request: Request) -> JSONResponse:
    run_id = request.path_params["run_id"]
    with session_scope(request.app.state.engine) as session:
        run = get_run(session, run_id)
        curve = data.curves(session, [run])[0]
    return JSONResponse(curve)


def effects(request: Request) -> JSONResponse:
    """Hyperparameter effects: per varied key, the (value, metric, run) points of the best completed runs."""
    return JSONResponse(request.app.state.analyses.get(request.path_params["sweep_id"], "effects"))


def pairs(request: Request) -> JSONResponse:
    """numpy vs sklearn: configs run with both engines (seeds pooled), best first, as the report pairs them."""
    return JSONResponse(request.app.state.analyses.get(request.path_params["sweep_id"], "pairs"))


def analysis(request: Request) -> JSONResponse:
    """The run's stored weights scored on its test split: confusion matrix and most confident mistakes."""
    run_id = request.path_params["run_id"]
    engine: Engine = request.app.state.engine
    with session_scope(engine) as session:
        get_run(session, run_id)
        weights = get_artifact(session, run_id, "final")
    if weights is None:
        raise NotFoundError(f"run {run_id} has no final weights (yet): nothing to score")
    return JSONResponse(_analysis(engine, run_id, weights.sha256))


# keyed by the weights' checksum: a run trained again (a retry, a pruned run resumed) gets a new analysis
@lru_cache(maxsize=16)
def _analysis(engine: Engine, run_id: int, sha256: str) -> dict[str, Any]:
    from report.best_run import analyse_best_run  # loads the dataset: only when asked
    from report.plots.images import digit_grid_png

    with session_scope(engine) as session:
        found = analyse_best_run(session, run_id)
    mistakes = found.mistakes
    grid = digit_grid_png([m.image for m in mistakes], [f"{m.true}→{m.predicted}" for m in mistakes]) if mistakes else None
    return {
        "dataset": found.dataset,
        "n_test": found.n_test,
        "test_acc": finite_or_none(found.test_acc),
        "confusion": found.confusion.tolist(),
        "n_mistakes": found.n_mistakes,
        "mistakes": [{"index": m.index, "true": m.true, "predicted": m.predicted,
                      "probability": round(m.probability, 4)} for m in mistakes],
        "mistakes_png": None if grid is None else "data:image/png;base64," + base64.b64encode(grid).decode(),
    }



def filter_check(request: Request) -> JSONResponse:
    """Whether `where` (and `order`) parse in the `mnistq runs` language: {"error": null} or the one-line reason.
    A 200 either way: the answer to "is this filter valid" is the resource, and the page shows the reason."""
    try:
        where = params.where(request)
        if where is not None:
            parse_where(where)
        parse_order(params.order(request))
    except FilterError as exc:
        return JSONResponse({"error": one_line_reason(request, str(exc))})
    return JSONResponse({"error": None})
