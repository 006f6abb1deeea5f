"""The error a bad grid spec raises. Values inside its one-line message are shown with `core.text.show`
(JSON-like, clipped, control characters escaped)."""

from __future__ import annotations

from core.errors import UserError
from core.text import show

__all__ = ["SpecError", "show"]


class SpecError(UserError, ValueError):
    """A grid spec file is malformed or names an invalid value. The message names the file, key and value."""
