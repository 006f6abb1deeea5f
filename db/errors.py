"""User-facing errors of the result store, in the one hierarchy of `core.errors`: the `mnistq` front door
prints them on one line and exits with code 2. Anything else escaping `db` is a bug.
"""

from core.errors import UserError


class NotFoundError(UserError, LookupError):
    """A run, sweep or artifact id given by the user does not exist."""


class DatabaseUnavailableError(UserError):
    """The database cannot be reached or opened (the message masks the password)."""


class StoreMissingError(UserError):
    """A command that only reads (or changes existing runs) found no store: no SQLite file, or no schema."""


class SchemaError(UserError):
    """The database schema is older or newer than this mnistq: run `mnistq db upgrade` (or upgrade mnistq)."""


class ArtifactIntegrityError(UserError):
    """A stored artifact's bytes no longer hash to the SHA-256 recorded when it was saved."""


class FilterError(UserError, ValueError):
    """A `--where` filter or `--order-by` key is malformed; the message names the column (1-based)."""
