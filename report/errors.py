"""The report package's user-facing error: one line, exit code 2 at the `mnistq` front door."""

from __future__ import annotations

from model.errors import UserError


class ReportError(UserError):
    """A report or prediction request the user can fix: an empty store, a run without weights, a bad image."""


def is_user_error(exc: BaseException) -> bool:
    """True for any package's user error (model, db, report): they share the `user_error` flag."""
    return bool(getattr(exc, "user_error", False))
