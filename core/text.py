"""User text on one line: values shown as the user wrote them, clipped, without terminal control characters."""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections.abc import Iterable
from typing import Any

SHOWN_CHARACTERS = 80  # of a value echoed back in an error; a 5,000-character name is not repeated whole
_CONTROL = ("Cc", "Cf")  # control and format characters: ESC, \r, NUL, bidi overrides, ...


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the choice closest to `word`, or ''."""
    close = difflib.get_close_matches(word[:SHOWN_CHARACTERS], list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def show(value: Any, limit: int = SHOWN_CHARACTERS) -> str:
    """A value as the user would write it (JSON-like: strings quoted, lists in brackets), on one line, with
    control characters escaped and at most about `limit` characters."""
    if isinstance(value, tuple):
        value = list(value)
    try:
        text = json.dumps(value, allow_nan=False, default=str)  # escapes control characters
    except ValueError:  # NaN or infinity
        text = repr(value)
    except RecursionError:
        text = f"<{type(value).__name__} nested too deeply to show>"
    return clip(printable(text), limit)


def clip(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """`text`, or its first `limit` characters and how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces."""
    return " ".join(text.split())


def control_characters(text: str) -> list[str]:
    """The control and format characters in `text` (escape sequences, carriage returns, NUL, ...), each as
    its escape (e.g. '\\x1b')."""
    return [_escape(c) for c in text if unicodedata.category(c) in _CONTROL]


def printable(text: str) -> str:
    """`text` with every control or format character replaced by its escape, safe to print on a terminal."""
    if not any(unicodedata.category(c) in _CONTROL for c in text):
        return text
    return "".join(_escape(c) if unicodedata.category(c) in _CONTROL else c for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
