"""Query parameters of the dashboard's URLs, parsed into values or a one-line PageError (a 400 page)."""

from __future__ import annotations

from starlette.requests import Request

from ui.data import DEFAULT_ORDER, PageError

MAX_FILTER_CHARACTERS = 2000


def page_number(request: Request) -> int:
    return _whole_number(request, "page", "1", 9, "a page number from 1")


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
    """The cursor of the client's last update (required)."""
    return _whole_number(request, "since", "", 20, "the cursor of the last update (a whole number)")


def seen(request: Request) -> int:
    """The newest summary version the client holds (0: none)."""
    return _whole_number(request, "seen", "0", 20, "the summary version of the last update (a whole number)")


def _whole_number(request: Request, name: str, default: str, digits: int, expected: str) -> int:
    """Parameter `name` (`default` when missing or blank; "" makes it required) as a whole number of at most
    `digits` digits, or PageError naming it, its value and `expected`."""
    raw = request.query_params.get(name, default).strip() or default
    if not raw.isdigit() or len(raw) > digits:
        raise PageError(f"{name} = {raw[:40]!r}: expected {expected}")
    return int(raw)
