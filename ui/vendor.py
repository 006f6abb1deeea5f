"""The chart library, served by the app from the installed `plotly` wheel: no CDN, no other host.

Its URL carries plotly's version, so browsers may cache it for good: a new plotly gets a new URL.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ui.data import PageError


@cache
def plotly_url() -> str:
    return f"/static/vendor/plotly-{version('plotly')}.min.js"


def plotly_file() -> Path:
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


@cache
def plotly_gzip() -> bytes:
    """plotly.min.js compressed once per process (4.6 MB -> 1.5 MB): compressing it again for every cold
    page load took the server about 0.3 s each time."""
    return gzip.compress(plotly_file().read_bytes(), compresslevel=6, mtime=0)


async def plotly_script(request: Request) -> Response:
    if request.url.path != plotly_url():
        raise PageError(f"no script at {request.url.path}: the chart library is at {plotly_url()}", status=404)
    headers = {"cache-control": "public, max-age=31536000, immutable", "vary": "accept-encoding"}
    if "gzip" not in request.headers.get("accept-encoding", ""):
        return FileResponse(plotly_file(), media_type="text/javascript", headers=headers)
    body = await run_in_threadpool(plotly_gzip)  # the first time only: then it is cached
    return Response(body, media_type="text/javascript", headers={**headers, "content-encoding": "gzip"})
