"""Ids typed by users: positive integers that fit the store's 64-bit integer columns."""

from __future__ import annotations

from core.errors import UserError
from core.text import clip

MAX_ID = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite


def parse_id(ref: str | int, kind: str, *, listing: str, alternatives: str = "") -> int:
    """The id in `ref` ("42"), or UserError naming `kind` ("run"), the command that lists them and any
    `alternatives` the argument also accepts (" or 'latest'")."""
    text = str(ref).strip()
    if text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID)) and 1 <= int(text) <= MAX_ID:
        return int(text)
    raise UserError(
        f"{kind} {clip(repr(str(ref)))}: expected a {kind} id (an integer from 1 to 2**63 - 1, see `{listing}`)"
        f"{alternatives}"
    )
