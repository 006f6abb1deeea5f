"""The dashboard as a Starlette app: `create_app(engine, token=...)`.

Routes are read-only (ui.security.Gate refuses other methods). HTML pages render their first state on the
server, then their scripts poll `/api/.../changes?since=CURSOR` every POLL_SECONDS for what changed since.
Every error a user can cause (an unknown sweep or run, a malformed filter, a page past the end) is a 4xx page
or JSON body with its one-line reason; anything else is a 500 that names no internals.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from core.errors import UserError
from ui import api, downloads, pages
from ui.analyses import SweepAnalyses
from ui.errors import http_error, internal_error, user_error
from ui.security import Gate
from ui.summaries import SweepSummaries
from ui.vendor import plotly_script, plotly_url

HERE = Path(__file__).resolve().parent
POLL_SECONDS = 1.5


def create_app(engine: Engine, *, token: str | None = None) -> Starlette:
    """The dashboard over the store behind `engine`; with `token`, every request must carry it."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    environment.globals.update(plotly_url=plotly_url(), poll_ms=int(POLL_SECONDS * 1000))
    routes = [
        Route("/", pages.sweeps_page),
        Route("/sweeps/{sweep_id:int}", pages.sweep_page),
        Route("/runs/{run_id:int}", pages.run_page),
        Route("/login", pages.login_page),
        Route("/auth", pages.auth),
        Route("/api/sweeps", api.sweeps),
        Route("/api/filter", api.filter_check),
        Route("/api/sweeps/{sweep_id:int}/runs", api.runs_page),
        Route("/api/sweeps/{sweep_id:int}/changes", api.changes),
        Route("/api/sweeps/{sweep_id:int}/effects", api.effects),
        Route("/api/sweeps/{sweep_id:int}/pairs", api.pairs),
        Route("/api/runs/{run_id:int}/history", api.history),
        Route("/api/runs/{run_id:int}/analysis", api.analysis),
        Route("/sweeps/{sweep_id:int}/report.html", downloads.report_html),
        Route("/sweeps/{sweep_id:int}/runs.csv", downloads.runs_csv),
        Route("/sweeps/{sweep_id:int}/runs.json", downloads.runs_json),
        Route("/runs/{run_id:int}/weights.npz", downloads.weights_npz),
        Route("/static/vendor/{name}", plotly_script),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Gate, token=token), Middleware(GZipMiddleware, minimum_size=1024)],
        exception_handlers={HTTPException: http_error, UserError: user_error, Exception: internal_error},
    )
    app.state.engine = engine
    app.state.templates = Jinja2Templates(env=environment)
    app.state.token = token
    app.state.summaries = SweepSummaries(engine)
    app.state.analyses = SweepAnalyses(engine)
    return app
