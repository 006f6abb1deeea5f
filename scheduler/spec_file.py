"""Reading a grid spec file: TOML or JSON (chosen by extension) into a plain dict, with located syntax errors.

A spec is shallow (tables of values, lists of layer widths, a distribution's bounds: four levels), so nesting
deeper than MAX_DEPTH is refused here, before anything walks the values recursively.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from scheduler.spec_errors import SpecError

SPEC_SUFFIXES = (".toml", ".json")
MAX_DEPTH = 16  # tables and lists inside one another


def read_spec_file(path: Path) -> dict[str, Any]:
    """Parse `path` (.toml or .json) into its top-level table.

    Raises SpecError naming the file, and the line and column of a syntax error.
    """
    suffix = path.suffix.lower()
    if suffix not in SPEC_SUFFIXES:
        raise SpecError(
            f"{path}: unknown spec format {suffix or '(no extension)'!r}: expected a .toml or .json file"
        )
    text = _read_text(path)
    try:
        spec = _parse_toml(text, path) if suffix == ".toml" else _parse_json(text, path)
    except RecursionError:  # the parsers recurse once per level: thousands of [[[...]]] exhaust the stack
        raise _too_deep(path) from None
    if _depth(spec) > MAX_DEPTH:
        raise _too_deep(path)
    return spec


def _too_deep(path: Path) -> SpecError:
    return SpecError(
        f"{path}: tables and lists nested more than {MAX_DEPTH} levels deep: expected at most {MAX_DEPTH} "
        "(a spec holds sections of values, lists of values and lists of layer widths)"
    )


def _depth(value: Any) -> int:
    """How many tables and lists nest inside one another in `value` (0 for a scalar), without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level + 1)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a directory, expected a spec file") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: byte {exc.start}: not UTF-8 text") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror}") from None


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message ends with "(at line L, column C)"
        raise SpecError(f"{path}: invalid TOML: {exc}") from None


def _parse_json(text: str, path: Path) -> dict[str, Any]:
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"{path}: invalid JSON: {exc.msg} (at line {exc.lineno}, column {exc.colno})"
        ) from None
    except _JsonValueError as exc:
        raise SpecError(f"{path}: invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: the top level is a JSON {type(data).__name__}: expected an object {{...}}")
    return data


class _JsonValueError(ValueError):
    """Valid JSON syntax that a spec still may not contain (duplicate keys, NaN)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON allows repeated keys and keeps the last one silently; TOML rejects them, and so do we."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JsonValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise _JsonValueError(f"{name} is not a number a spec may contain")
