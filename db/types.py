"""Column types that make both backends read back exactly what was written.

- `UTCDateTime`: timezone-aware UTC datetimes on both backends (SQLite has no time zones; it keeps naive UTC).
- `NanMask`: SQL has no portable NaN (SQLite silently turns it into NULL, PostgreSQL sorts it above +inf and
  finds `NaN > 0.5` true). Float columns that may hold NaN therefore store NULL and set one bit per NaN field
  in an integer `nan_mask` column next to them. None stays None (bit clear), NaN comes back as NaN (bit set),
  and +-inf are stored natively (both backends keep them). In SQL, a NaN value thus behaves like a missing
  one: no comparison matches it and ordering puts it last, which is what filters and leaderboards want.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as UTC and always read back timezone-aware (UTC). Naive input is rejected."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime (e.g. datetime.now(UTC))")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None] | None:
        """The cheapest conversion per backend (listings convert thousands of these): none on PostgreSQL,
        whose connections run in UTC (db.engine), so psycopg already returns aware UTC datetimes."""
        if dialect.name == "postgresql":
            return None
        if dialect.name != "sqlite":
            return lambda value: self.process_result_value(value, dialect)

        def from_sqlite(value: str | None) -> datetime | None:  # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff'
            return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)

        return from_sqlite


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (every timestamp in the store is one of these)."""
    return datetime.now(UTC)


class NanMask:
    """Encodes NaN in `fields` as NULL plus a bit in the row's `nan_mask` column (bit i <-> fields[i])."""

    column = "nan_mask"

    def __init__(self, fields: Sequence[str]) -> None:
        self.fields = tuple(fields)

    def encode(self, values: Mapping[str, float | None]) -> dict[str, Any]:
        """Column values for an INSERT/UPDATE: NaN -> None, plus `nan_mask`. Only `fields` are read."""
        out: dict[str, Any] = {}
        mask = 0
        for bit, name in enumerate(self.fields):
            value = values.get(name)
            if value is not None and math.isnan(value):
                mask |= 1 << bit
                value = None
            out[name] = None if value is None else float(value)
        out[self.column] = mask
        return out

    def nans(self, mask: int) -> dict[str, float]:
        """{field: NaN} for the fields whose bit is set in `mask` (their stored value is NULL)."""
        return {name: math.nan for bit, name in enumerate(self.fields) if (mask >> bit) & 1}
