"""User-facing errors of the result store.

`db` imports nothing else of mnistq, so it has its own `UserError`. The CLI recognises it by the `user_error`
flag (not by class): one line on stderr, exit code 2, no traceback. Anything else escaping `db` is a bug.
"""


class UserError(Exception):
    """A mistake the user can fix. The message is one line naming the run, sweep, URL or filter column."""

    user_error = True


class NotFoundError(UserError, LookupError):
    """A run, sweep or artifact id given by the user does not exist."""


class DatabaseUnavailableError(UserError):
    """The database cannot be reached or opened (the message masks the password)."""


class SchemaError(UserError):
    """The database schema is older or newer than this mnistq: run `mnistq db upgrade` (or upgrade mnistq)."""


class ArtifactIntegrityError(UserError):
    """A stored artifact's bytes no longer hash to the SHA-256 recorded when it was saved."""


class FilterError(UserError, ValueError):
    """A `--where` filter or `--order-by` key is malformed; the message names the column (1-based)."""
