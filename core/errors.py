"""The one user-error hierarchy. The `mnistq` front door prints a UserError as one line and exits with code 2;
anything else that escapes a command is a bug (exit code 1).

Errors are data: a ConfigError carries the key, the value and what was expected as fields, so callers that
re-label an error (a grid spec naming the section that set the key) read the fields, never the message.
"""

from __future__ import annotations

from typing import Any

from core.text import clip, show


class UserError(Exception):
    """A mistake the user can fix. The message is one line naming the file, key or value."""


class ConfigError(UserError, ValueError):
    """A config key (or setting) has a bad value.

    `source` names where the value came from ("mnistq train", a spec file), `key` the config key, `value`
    the value as given and `expected` what would have been accepted. `problem` replaces the default
    "key = value" part of the message (e.g. "unknown key 'x'"); `hint` is appended (a did-you-mean).
    """

    def __init__(
        self,
        key: str,
        value: Any,
        expected: str,
        *,
        source: str = "config",
        problem: str | None = None,
        hint: str = "",
    ) -> None:
        self.key = key
        self.value = value
        self.expected = expected
        self.source = source
        self.problem = problem
        self.hint = hint
        super().__init__(self.message)

    @property
    def detail(self) -> str:
        """The message without its source: "key = value: expected ..." (or the problem instead)."""
        what = self.problem if self.problem is not None else f"{self.key} = {show(self.value)}"
        return f"{what}: expected {self.expected}{self.hint}" if self.expected else f"{what}{self.hint}"

    @property
    def message(self) -> str:
        return f"{self.source}: {self.detail}" if self.source else self.detail


class SettingError(ConfigError):
    """An `MNISTQ_*` environment setting (or a pair of them) has a bad value."""

    def __init__(self, key: str, value: Any, expected: str, *, problem: str | None = None) -> None:
        super().__init__(key, value, expected, source="environment", problem=problem)

    @property
    def message(self) -> str:
        shown = clip(repr(self.value)) if isinstance(self.value, str) else show(self.value)
        what = self.problem if self.problem is not None else f"{self.key} = {shown}"
        return f"environment {what}: expected {self.expected}"


class DataError(UserError, ValueError):
    """A dataset spec or data file is invalid, missing or malformed."""
