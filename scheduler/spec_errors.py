"""The error a bad grid spec raises, and how spec values are shown inside its one-line message."""

from __future__ import annotations

import json
from typing import Any

from model.errors import UserError


class SpecError(UserError, ValueError):
    """A grid spec file is malformed or names an invalid value. The message names the file, key and value."""


def show(value: Any) -> str:
    """A value as the user would write it (JSON-like): strings quoted, lists in brackets, tables in braces."""
    try:
        return json.dumps(value, allow_nan=False, default=str)
    except ValueError:  # NaN or infinity
        return repr(value)
