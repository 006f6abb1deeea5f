"""The dashboard's error answers: a user's mistake (an unknown sweep or run, a malformed filter, a page past
the end) is a 4xx with its one-line reason; anything else a 500 that names no internals. JSON for the API,
a page for people; every reason is one line, with secrets masked."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from core.masking import mask_text
from core.text import clip, one_line, printable
from db import NotFoundError

log = logging.getLogger("mnistq.ui")
MESSAGE_CHARACTERS = 400  # as `mnistq` itself clips an error line


def one_line_reason(request: Request, text: str) -> str:
    """`text` as the CLI prints a user error: one printable line, secrets masked, at most 400 characters."""
    return clip(one_line(printable(mask_text(text, [request.app.state.token or ""]))), MESSAGE_CHARACTERS)


def error_response(request: Request, status: int, reason: str) -> Response:
    """The 4xx/5xx answer: JSON for the API, a page for people; the reason is one masked line."""
    reason = one_line_reason(request, reason)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": reason}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html", {"status": status, "reason": reason},
                                      status_code=status)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # never a 405: ui.security.Gate refuses other methods first
    reason = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else f"no page at {request.url.path}"
    return error_response(request, exc.status_code, reason)


async def user_error(request: Request, exc: Exception) -> Response:
    status = 404 if isinstance(exc, NotFoundError) else getattr(exc, "status", 400)
    return error_response(request, status, str(exc))


async def internal_error(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s: %s: %s", request.url.path, exc.__class__.__name__,
              mask_text(str(exc), [request.app.state.token or ""]))
    return error_response(request, 500, "internal error: the dashboard could not answer (see its log)")
