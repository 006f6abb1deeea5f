"""Query parameters of the dashboard's URLs, parsed into values or a one-line PageError (a 400 page)."""

from __future__ import annotations

from starlette.requests import Request

from ui.data import DEFAULT_ORDER, PageError

MAX_FILTER_CHARACTERS = 2000


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1").strip() or "1"
    if not raw.isdigit() or len(raw) > 9:
        raise PageError(f"page = {raw[:40]!r}: expected a page number from 1")
    return int(raw)


def where(request: Request) -> str | None:
    raw = request.query_params.get("where", "").strip()
    if len(raw) > MAX_FILTER_CHARACTERS:
        raise PageError(f"where: {len(raw)} characters, expected at most {MAX_FILTER_CHARACTERS}")
    return raw or None


def order(request: Request) -> str:
    raw = request.query_params.get("order", "").strip()
    if len(raw) > 200:
        raise PageError(f"order: {len(raw)} characters, expected a sort key such as -val_acc")
    return raw or DEFAULT_ORDER


def since(request: Request) -> int:
    raw = request.query_params.get("since", "").strip()
    if not raw.isdigit() or len(raw) > 20:
        raise PageError(f"since = {raw[:40]!r}: expected the cursor of the last update (a whole number)")
    return int(raw)


def seen(request: Request) -> int:
    """The newest summary version the client holds (0: none)."""
    raw = request.query_params.get("seen", "0").strip() or "0"
    if not raw.isdigit() or len(raw) > 20:
        raise PageError(f"seen = {raw[:40]!r}: expected the summary version of the last update (a whole number)")
    return int(raw)
