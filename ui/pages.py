"""The HTML pages: sweeps, one sweep, one run, and the token login. Each renders its first state on the server
(with the data its script needs embedded as JSON) and then updates itself from the JSON endpoints."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response

from db import session_scope
from db.queries import change_cursor, get_run
from ui import data, params, runs_view
from ui.errors import error_response
from ui.security import COOKIE, bearer, session_value
from ui.summaries import SweepSummaries


def render(request: Request, template: str, context: dict) -> Response:
    return request.app.state.templates.TemplateResponse(request, template, context)


def sweeps_page(request: Request) -> Response:
    summaries: SweepSummaries = request.app.state.summaries
    with session_scope(request.app.state.engine) as session:
        listing = summaries.listing(session)
    return render(request, "sweeps.html", {"sweeps": listing["sweeps"], "initial": listing})


def sweep_page(request: Request) -> Response:
    sweep_id = request.path_params["sweep_id"]
    with session_scope(request.app.state.engine) as session:
        cursor = change_cursor(session)
        page = data.sweep_page(session, sweep_id, where=params.where(request), order=params.order(request),
                               page=params.page_number(request))
        summary = request.app.state.summaries.current(sweep_id, session)
    page = {**page, "sweep": summary.data, "rungs": summary.rungs}
    initial = {**page, "cursor": min(cursor, summary.cursor), "seen": summary.version}
    return render(request, "sweep.html", {**page, "initial": initial})


def run_page(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    with session_scope(request.app.state.engine) as session:
        get_run(session, run_id)  # NotFoundError: a 404 page
        view = runs_view.run_view(session, run_id)
    return render(request, "run.html", {**view, "initial": view})


def login_page(request: Request) -> Response:
    return render(request, "login.html", {"needed": request.app.state.token is not None})


def auth(request: Request) -> Response:
    """The login page's script sends the token here as a bearer header; a right one gets the session cookie."""
    token = request.app.state.token
    if token is None:
        return Response(status_code=204)
    offered = bearer(request.headers) or ""
    if not hmac.compare_digest(offered.encode(), token.encode()):
        return error_response(request, 401, "wrong token: enter the value of MNISTQ_UI_TOKEN")
    response = Response(status_code=204)
    response.set_cookie(COOKIE, session_value(token), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response

