"""User-facing errors of the model package.

Every error here is a *user* mistake (a bad value, a malformed file): the CLI prints its message on one line
and exits with code 2. Anything else that escapes is a bug and exits with code 1.
"""


class UserError(Exception):
    """A mistake in the user's input. The message is one line that names the file, key or value."""

    user_error = True  # the CLI maps any exception with this flag to exit code 2


class ConfigError(UserError, ValueError):
    """A training configuration key or value is invalid."""


class DataError(UserError, ValueError):
    """A dataset spec or data file is invalid, missing or malformed."""
