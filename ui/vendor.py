"""The chart library, served by the app from the installed `plotly` wheel: no CDN, no other host.

Its URL carries plotly's version, so browsers may cache it for good: a new plotly gets a new URL.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ui.data import PageError


@cache
def plotly_url() -> str:
    return f"/static/vendor/plotly-{version('plotly')}.min.js"


def plotly_file() -> Path:
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


async def plotly_script(request: Request) -> Response:
    if request.url.path != plotly_url():
        raise PageError(f"no script at {request.url.path}: the chart library is at {plotly_url()}", status=404)
    return FileResponse(plotly_file(), media_type="text/javascript",
                        headers={"cache-control": "public, max-age=31536000, immutable"})
