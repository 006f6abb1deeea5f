"""Tokens of the `--where` filter language (see db.filters for the grammar)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from db.errors import FilterError

KEYWORDS = ("and", "or", "not", "in", "is")

# Bounds on one filter, far above anything typed by hand: nesting and conditions keep the SQL expression
# shallow (SQLite refuses trees deeper than 1,000), values keep the bound parameters few, and the length
# keeps a pasted file from being tokenized at all.
MAX_LENGTH = 100_000  # characters
MAX_NESTING = 32  # parentheses and `not`s inside one another
MAX_CONDITIONS = 256  # comparisons and null/nan tests
MAX_VALUES = 5_000  # members of all in (...) lists together

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op><=|>=|!=|<>|==|=|<|>)
    | (?P<punct>[(),-])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    """kind: name, keyword, number, string, op, one of ( ) , -, or end. `column` is 1-based."""

    kind: str
    text: str
    column: int
    value: str | int | float | None = None


def filter_error(column: int, message: str, *, what: str = "filter") -> FilterError:
    """A one-line FilterError locating the problem: '<what> column <n>: <message>' (n is 1-based)."""
    error = FilterError(f"{what} column {column}: {message}")
    error.column = column  # type: ignore[attr-defined]
    return error


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with an `end` token. FilterError on a character no token starts with."""
    if len(text) > MAX_LENGTH:
        raise filter_error(
            MAX_LENGTH + 1, f"the filter is {len(text):,} characters long: expected at most {MAX_LENGTH:,}"
        )
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _bad_character(text, position)
        kind = match.lastgroup or ""
        lexeme = match.group()
        column = position + 1
        position = match.end()
        if kind == "space":
            continue
        if kind == "name" and lexeme.lower() in KEYWORDS:
            tokens.append(Token("keyword", lexeme.lower(), column))
        elif kind == "number":
            value: int | float = int(lexeme) if lexeme.isdigit() else float(lexeme)
            tokens.append(Token("number", lexeme, column, value))
        elif kind == "string":
            quote = lexeme[0]
            tokens.append(Token("string", lexeme, column, lexeme[1:-1].replace(quote * 2, quote)))
        elif kind == "punct":
            tokens.append(Token(lexeme, lexeme, column))
        else:
            tokens.append(Token(kind, lexeme, column))
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _bad_character(text: str, position: int) -> FilterError:
    char = text[position]
    if char in "'\"":
        return filter_error(position + 1, f"string starting with {char} is never closed")
    return filter_error(
        position + 1,
        f"unexpected character {char!r}: a filter compares fields with = != < <= > >= or in (...) "
        "and combines comparisons with and, or, not and parentheses",
    )
