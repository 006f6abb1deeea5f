"""The report package's user-facing error: one line, exit code 2 at the `mnistq` front door."""

from __future__ import annotations

from core.errors import UserError


class ReportError(UserError):
    """A report or prediction request the user can fix: an empty store, a run without weights, a bad image."""

