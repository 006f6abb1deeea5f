"""The JSON endpoints the pages' scripts poll and load from (and API clients may use, with a bearer token)."""

from __future__ import annotations

import base64
import math
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse

from db import FilterError, NotFoundError, session_scope
from db.export import finite_or_none
from db.filters import parse_order, parse_where
from db.queries import (
    change_cursor,
    changed_sweeps,
    get_artifact,
    get_run,
    get_sweep,
    list_runs,
    sweep_changes,
)
from db.status import COMPLETED
from report.data import choose_metric, varied_keys
from report.effects import SKIPPED_KEYS
from report.pairs import engine_pairs
from ui import data, params
from ui.errors import one_line_reason

MAX_PLOTTED = 1000  # plots that draw every run show the best this many


def sweeps(request: Request) -> JSONResponse:
    """Every sweep's summary, or with `since` only those that changed since that cursor (and the new cursor)."""
    with session_scope(request.app.state.engine) as session:
        if "since" in request.query_params:
            cursor, changed = changed_sweeps(session, params.since(request))
            summaries = data.sweep_summaries(session, changed) if changed else []
        else:
            cursor = change_cursor(session)  # before the data, as the pages read it
            summaries = data.sweep_summaries(session)
    return JSONResponse({"cursor": cursor, "sweeps": summaries})


def runs_page(request: Request) -> JSONResponse:
    """One leaderboard page (`where`, `order`, `page` as on the sweep page)."""
    with session_scope(request.app.state.engine) as session:
        sweep = get_sweep(session, request.path_params["sweep_id"])
        board = data.leaderboard_page(session, sweep, where=params.where(request), order=params.order(request),
                                      page=params.page_number(request))
    return JSONResponse(board)


def changes(request: Request) -> JSONResponse:
    """What changed in the sweep since the cursor `since`: its summary (when anything did), the changed runs as
    leaderboard rows, and the epochs written. `reload` is true when too much changed to send piecemeal."""
    sweep_id = request.path_params["sweep_id"]
    since = params.since(request)
    with session_scope(request.app.state.engine) as session:
        sweep = get_sweep(session, sweep_id)
        found = sweep_changes(session, sweep_id, since)
        changed = found.truncated or found.sweep_changed or bool(found.runs or found.epochs)
        columns = data.shown_columns(sweep)
        body: dict[str, Any] = {
            "cursor": found.cursor,
            "reload": found.truncated,
            "sweep": data.sweep_summary(session, sweep) if changed else None,
            "runs": [data.run_row(run, columns) for run in found.runs],
            "epochs": [data.epoch_point(epoch) for epoch in found.epochs],
            "rungs": data.rungs(session, sweep) if changed else None,
        }
    return JSONResponse(body)


def history(request: Request) -> JSONResponse:
    run_id = request.path_params["run_id"]
    with session_scope(request.app.state.engine) as session:
        run = get_run(session, run_id)
        curve = data.curves(session, [run])[0]
    return JSONResponse(curve)


def effects(request: Request) -> JSONResponse:
    """Hyperparameter effects: per varied key, the (value, metric, run) points of the best MAX_PLOTTED
    completed runs (all of them when there are fewer), and whether the plot was capped."""
    with session_scope(request.app.state.engine) as session:
        get_sweep(session, request.path_params["sweep_id"])
        runs = _best_completed(session, request.path_params["sweep_id"])
        total = data.count_completed(session, request.path_params["sweep_id"])
    metric = choose_metric(runs)
    keys = [k for k in varied_keys(run.config for run in runs) if k not in SKIPPED_KEYS]
    if len({run.engine for run in runs}) > 1:
        keys.insert(0, "engine")
    points = [
        {"key": key,
         "x": [data.json_value(run.engine if key == "engine" else run.config.get(key)) for run in runs],
         "y": [finite_or_none(getattr(run, metric)) for run in runs],
         "run": [run.id for run in runs]}
        for key in keys
    ]
    return JSONResponse({"metric": metric, "shown": len(runs), "completed": total, "keys": points})


def pairs(request: Request) -> JSONResponse:
    """numpy vs sklearn: configs run with both engines (seeds pooled), best first, as the report pairs them."""
    sweep_id = request.path_params["sweep_id"]
    with session_scope(request.app.state.engine) as session:
        get_sweep(session, sweep_id)
        runs = list_runs(session, sweep_id=sweep_id, where=f"status = '{COMPLETED}'", order_by="id")
    metric = choose_metric(runs)
    found = engine_pairs(runs, metric, varied_keys(run.config for run in runs))
    return JSONResponse({
        "metric": metric,
        "pairs": [
            {"params": pair.params,
             **{side.engine: {"runs": list(side.run_ids), "mean": finite_or_none(side.metric.mean),
                              "std": finite_or_none(side.metric.std), "seconds": finite_or_none(side.seconds.mean)}
                for side in (pair.numpy, pair.sklearn)}}
            for pair in found[:MAX_PLOTTED]
        ],
    })


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


def _best_completed(session: Any, sweep_id: int) -> list[Any]:
    runs = list_runs(session, sweep_id=sweep_id, where=f"status = '{COMPLETED}'", order_by="-val_acc,-test_acc",
                     limit=MAX_PLOTTED)
    return [run for run in runs if not (run.val_acc is not None and math.isnan(run.val_acc))]


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
