"""The `mnistq runs --where` filter language and `--order-by` keys, compiled to SQLAlchemy expressions.

    val_acc > 0.95 and (learning_rate < 0.1 or depth >= 3) and engine = 'numpy'
    optimizer in ('adam', 'momentum') and not status = 'failed'
    test_acc is null or val_loss is nan

Grammar (keywords and, or, not, in, is are case-insensitive; `not` binds tighter than `and`, `and` than `or`):

    filter     := or_expr END
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | condition
    condition  := FIELD OP value | FIELD ["not"] "in" "(" value ("," value)* ")"
                | FIELD "is" ["not"] ("null" | "nan")
    OP         := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    value      := NUMBER | "-" NUMBER | STRING       (1, 0.5, 1e-3; 'text' or "text")

Inside a string, double its quote character to include it: 'it''s' (or write "it's").

Size bounds (db.filter_lexer): at most MAX_NESTING parentheses and `not`s inside one another, MAX_CONDITIONS
conditions and MAX_VALUES values in all `in (...)` lists, so a generated filter fails here with one line naming
the limit rather than in the database (SQLite refuses expressions deeper than 1,000).

User text never becomes SQL: fields map to known columns and values become bound parameters. A comparison
with a missing value (None) or NaN never matches, neither does its `not`: that is SQL's NULL logic, so
`val_loss < 1` and `not val_loss < 1` both skip a diverged run. To select those runs, ask for them:
`is null` matches a missing value (a run not finished yet, a split the config does not have), `is nan` a final
metric that came out NaN (a diverged run); `is not` negates either. `sweep_id` matches any sweep a run belongs
to.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, or_
from sqlalchemy.sql.elements import UnaryExpression

from core.text import did_you_mean
from db.filter_lexer import MAX_CONDITIONS, MAX_NESTING, MAX_VALUES, Token, filter_error, tokenize
from db.models import RUN_NANS, Run, SweepRun
from db.status import STATUSES

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

_WIDTHS = re.compile(r"\d+(,\d+)*")


@dataclass(frozen=True)
class Field:
    """A filterable, sortable run attribute: `kind` is "number" or "text"."""

    name: str
    kind: str
    column: Any  # the runs column (also the sort key)
    choices: tuple[str, ...] = ()  # allowed text values, when the set is closed

    def compare(self, op: str, value: Any) -> ColumnElement[bool]:
        return OPERATORS[op](self.column, value)

    def within(self, values: list[Any]) -> ColumnElement[bool]:
        return self.column.in_(values)

    @property
    def can_be_nan(self) -> bool:
        return self.name in RUN_NANS.fields

    def is_null(self) -> ColumnElement[bool]:
        """No value at all: SQL NULL that is not a stored NaN (NaN is NULL plus a bit in nan_mask)."""
        if not self.can_be_nan:
            return self.column.is_(None)
        return and_(self.column.is_(None), self._nan_bit() == 0)

    def is_nan(self) -> ColumnElement[bool]:
        return self._nan_bit() != 0

    def _nan_bit(self) -> ColumnElement[int]:
        bit = 1 << RUN_NANS.fields.index(self.name)
        return Run.nan_mask.op("&")(bit)


class MembershipField(Field):
    """`sweep_id`: true when ANY sweep the run belongs to satisfies the comparison (reused runs included)."""

    def compare(self, op: str, value: Any) -> ColumnElement[bool]:
        return exists().where(SweepRun.run_id == Run.id, OPERATORS[op](SweepRun.sweep_id, value))

    def within(self, values: list[Any]) -> ColumnElement[bool]:
        return exists().where(SweepRun.run_id == Run.id, SweepRun.sweep_id.in_(values))


CONFIG_NUMBERS = (
    "depth", "learning_rate", "batch_size", "epochs", "l2", "momentum", "seed", "dropout", "lr_step_epochs",
    "lr_gamma", "patience", "augment_shift", "nesterov", "val_fraction", "test_fraction",
)
FINAL_METRICS = ("train_acc", "train_loss", "val_acc", "val_loss", "test_acc", "test_loss")
NUMBER_FIELDS = ("id", "attempts", *CONFIG_NUMBERS, *FINAL_METRICS, "best_epoch", "train_seconds")
TEXT_FIELDS = ("engine", "dataset", "hidden", "optimizer", "activation", "lr_schedule", "dtype", "label_column")


def _fields() -> dict[str, Field]:
    fields: dict[str, Field] = {name: Field(name, "number", getattr(Run, name)) for name in NUMBER_FIELDS}
    fields.update({name: Field(name, "text", getattr(Run, name)) for name in TEXT_FIELDS})
    fields["status"] = Field("status", "text", Run.status, choices=STATUSES)
    fields["sweep_id"] = MembershipField("sweep_id", "number", Run.sweep_id)
    return fields


FIELDS: dict[str, Field] = _fields()


def parse_where(text: str) -> ColumnElement[bool]:
    """Compile a filter into a SQLAlchemy condition on `runs`. FilterError (one line, with the column)."""
    parser = _Parser(tokenize(text))
    if parser.peek.kind == "end":
        raise filter_error(1, "the filter is empty: e.g. val_acc > 0.95 and engine = 'numpy'")
    condition = parser.or_expr()
    parser.expect_end()
    return condition


def parse_order(text: str) -> list[UnaryExpression[Any]]:
    """Sort keys from `field` or `-field` (descending), comma-separated; missing/NaN values sort last."""
    keys: list[UnaryExpression[Any]] = []
    column = 1
    for part in text.split(","):
        stripped = part.strip()
        start = column + len(part) - len(part.lstrip())
        descending = stripped.startswith("-")
        name = stripped.lstrip("-").strip()
        if not name:
            raise filter_error(
                start, "empty sort key: expected a field such as val_acc or -val_acc", what="order"
            )
        field = _field(name, start + (1 if descending else 0), what="order")
        keys.append((field.column.desc() if descending else field.column.asc()).nulls_last())
        column += len(part) + 1
    return keys


def field_names() -> str:
    return ", ".join(sorted(FIELDS))


def _field(name: str, column: int, *, what: str = "filter") -> Field:
    field = FIELDS.get(name.lower())
    if field is None:
        raise filter_error(
            column,
            f"unknown field {name!r}{did_you_mean(name.lower(), FIELDS)}; fields: {field_names()}",
            what=what,
        )
    return field


class _Parser:
    """Recursive descent over the token list; each method consumes one grammar rule."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.nesting = 0  # parentheses and `not`s open around the current token
        self.conditions = 0
        self.values = 0  # in (...) list members so far

    @property
    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_keyword(self, word: str) -> bool:
        return self.peek.kind == "keyword" and self.peek.text == word

    def accept(self, word: str) -> bool:
        """Consume keyword `word` if it comes next; say whether it did."""
        if not self.at_keyword(word):
            return False
        self.take()
        return True

    def expect(self, kind: str, what: str) -> Token:
        if self.peek.kind != kind:
            raise filter_error(self.peek.column, f"expected {what}, found {_describe(self.peek)}")
        return self.take()

    def expect_end(self) -> None:
        if self.peek.kind != "end":
            hint = " (combine conditions with and / or)" if self.peek.kind == "name" else ""
            raise filter_error(self.peek.column, f"unexpected {_describe(self.peek)}{hint}")

    def or_expr(self) -> ColumnElement[bool]:
        terms = [self.and_expr()]
        while self.accept("or"):
            terms.append(self.and_expr())
        return terms[0] if len(terms) == 1 else or_(*terms)

    def and_expr(self) -> ColumnElement[bool]:
        terms = [self.not_expr()]
        while self.accept("and"):
            terms.append(self.not_expr())
        return terms[0] if len(terms) == 1 else and_(*terms)

    def not_expr(self) -> ColumnElement[bool]:
        token = self.peek
        if self.accept("not"):
            self._open(token)
            inner = not_(self.not_expr())
        elif token.kind == "(":
            self._open(self.take())
            inner = self.or_expr()
            self.expect(")", "')' to close the parenthesis")
        else:
            return self.condition()
        self.nesting -= 1
        return inner

    def _open(self, token: Token) -> None:
        """Enter one more level of parentheses or `not`, within MAX_NESTING."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise filter_error(
                token.column,
                f"parentheses and 'not' nested more than {MAX_NESTING} deep: expected at most {MAX_NESTING} levels",
            )

    def condition(self) -> ColumnElement[bool]:
        token = self.peek
        if token.kind != "name":
            raise filter_error(token.column, f"expected a field name, found {_describe(token)}")
        self.take()
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise filter_error(
                token.column, f"more than {MAX_CONDITIONS} conditions: expected at most {MAX_CONDITIONS} "
                "(a long list of alternatives fits in one `field in (...)`)",
            )
        field = _field(token.text, token.column)
        if self.peek.kind == "op":
            op = self.take().text
            return field.compare(op, self.value(field))
        if self.accept("is"):
            return self.null_test(field)
        negate = self.accept("not")
        if self.accept("in"):
            condition = field.within(self.value_list(field))
            return not_(condition) if negate else condition
        raise filter_error(
            self.peek.column,
            f"expected an operator (= != < <= > >= in or is) after {field.name!r}, found {_describe(self.peek)}"
            f"{did_you_mean(self.peek.text.lower(), ['and', 'or', 'not', 'in', 'is']) if self.peek.kind == 'name' else ''}",
        )

    def null_test(self, field: Field) -> ColumnElement[bool]:
        """`FIELD is [not] null|nan`, after `FIELD is`."""
        negate = self.accept("not")
        token = self.peek
        word = token.text.lower() if token.kind == "name" else ""
        if word not in ("null", "nan"):
            raise filter_error(token.column, f"expected null or nan after 'is', found {_describe(token)}")
        self.take()
        if word == "nan" and not field.can_be_nan:
            raise filter_error(
                token.column,
                f"{field.name} is never NaN: only the final metrics are ({', '.join(RUN_NANS.fields)})",
            )
        condition = field.is_nan() if word == "nan" else field.is_null()
        return not_(condition) if negate else condition

    def value_list(self, field: Field) -> list[Any]:
        self.expect("(", "'(' to start the list of values")
        values = [self.list_value(field)]
        while self.peek.kind == ",":
            self.take()
            values.append(self.list_value(field))
        self.expect(")", "',' or ')' in the list of values")
        return values

    def list_value(self, field: Field) -> Any:
        """One member of an `in (...)` list, within MAX_VALUES members over the whole filter."""
        self.values += 1
        if self.values > MAX_VALUES:
            raise filter_error(
                self.peek.column, f"more than {MAX_VALUES:,} values in in (...) lists: expected at most {MAX_VALUES:,}"
            )
        return self.value(field)

    def value(self, field: Field) -> Any:
        token = self.peek
        if token.kind == "-":
            self.take()
            number = self.expect("number", "a number after '-'")
            negative = Token("number", f"-{number.text}", token.column, -number.value)  # type: ignore[operator]
            return _check_value(field, negative.value, negative)
        if token.kind in ("number", "string"):
            self.take()
            return _check_value(field, token.value, token)
        raise filter_error(
            token.column,
            f"expected a value for {field.name!r} (a number or a quoted string), found {_describe(token)}",
        )


def _check_value(field: Field, value: Any, token: Token) -> Any:
    if field.kind == "number" and isinstance(value, str):
        raise filter_error(
            token.column, f"{field.name} is a number: compare it with a number, not the string {token.text}"
        )
    if field.kind == "text" and not isinstance(value, str):
        raise filter_error(
            token.column, f"{field.name} is text: quote the value, e.g. {field.name} = '{token.text}'"
        )
    if field.choices and value not in field.choices:
        raise filter_error(
            token.column,
            f"{field.name} {value!r} is not one of {', '.join(field.choices)}{did_you_mean(value.lower(), field.choices)}",
        )
    if field.name == "nesterov" and value not in (0, 1):
        raise filter_error(token.column, f"nesterov is 1 when on and 0 when off, not {token.text}")
    if field.name == "hidden":
        value = value.replace(" ", "")
        if not _WIDTHS.fullmatch(value):
            raise filter_error(
                token.column, f"hidden is comma-separated layer widths such as '256,128,64', not {token.text}"
            )
    return value


def _describe(token: Token) -> str:
    return "the end of the filter" if token.kind == "end" else repr(token.text)
