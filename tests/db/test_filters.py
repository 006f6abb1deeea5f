"""The --where language: semantics on both backends, errors with columns, and no way to inject SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import UserError
from db.engine import session_scope
from db.errors import FilterError
from db.filter_lexer import MAX_CONDITIONS, MAX_LENGTH, MAX_NESTING, MAX_VALUES
from db.filters import parse_order, parse_where
from db.models import Run
from db.queries import claim_run, count_runs, create_sweep, finish_run, list_runs

# (learning_rate, depth via hidden, optimizer, engine, final val_acc)
GRID = [
    (0.01, [64], "sgd", "numpy", 0.90),
    (0.05, [64, 32], "adam", "numpy", 0.96),
    (0.2, [64, 32, 16], "sgd", "numpy", 0.97),
    (0.2, [64], "momentum", "sklearn", 0.98),
    (0.05, [256, 128, 64], "adam", "sklearn", None),  # still queued
]


@pytest.fixture
def seeded(store, new_run):
    """Five runs in sweep 1 (ids 1-5); the first two also belong to sweep 2."""
    runs = [
        new_run(i, learning_rate=lr, hidden=hidden, optimizer=opt, engine=engine)
        for i, (lr, hidden, opt, engine, _) in enumerate(GRID)
    ]
    with session_scope(store) as session:
        ids = create_sweep(session, "one", {}, runs).run_ids
        create_sweep(session, "two", {}, runs[:2])
        for run_id, (*_, val_acc) in zip(ids, GRID, strict=True):
            if val_acc is not None:
                claim_run(session, run_id, worker="w", lease_seconds=60, max_attempts=1)
                finish_run(session, run_id, worker="w", status="completed", metrics={"val_acc": val_acc})
    return store


def ids_for(store, where: str) -> list[int]:
    with session_scope(store) as session:
        return [run.id for run in list_runs(session, where=where)]


FILTER_CASES = [
    ("val_acc > 0.95 and (learning_rate < 0.1 or depth >= 3) and engine = 'numpy'", [2, 3]),
    ("val_acc > 0.95 and learning_rate < 0.1 or depth >= 3", [2, 3, 5]),  # and binds tighter than or
    ("not engine = 'numpy' and val_acc >= 0.9", [4]),  # not binds tighter than and
    ("not (engine = 'numpy' and val_acc >= 0.9)", [4, 5]),  # SQL logic: false and NULL is false
    ("optimizer in ('adam', \"momentum\")", [2, 4, 5]),
    ("optimizer not in ('adam','momentum') AND status = 'completed'", [1, 3]),
    ("hidden = '64, 32'", [2]),
    ("learning_rate = 2e-1", [3, 4]),
    ("sweep_id = 2", [1, 2]),
    ("not sweep_id = 2", [3, 4, 5]),
    ("sweep_id in (2) or id >= 5", [1, 2, 5]),
    ("status != 'queued' and l2 = 0 and momentum >= -1", [1, 2, 3, 4]),
    ("not val_acc < 0.95", [2, 3, 4]),  # a missing value matches neither a comparison nor its not
]


def test_filters_select_the_right_runs(seeded):
    # one seeded store per backend for all cases: a database per case would make this the slowest file
    for where, expected in FILTER_CASES:
        assert ids_for(seeded, where) == expected, where


def test_ordering_counting_and_limits(seeded):
    with session_scope(seeded) as session:
        best = list_runs(session, order_by="-val_acc", limit=3)
        by_lr = list_runs(session, order_by="learning_rate, -depth")
        assert count_runs(session, where="engine = 'numpy'") == 3
        assert count_runs(session, sweep_id=2, where="val_acc > 0.95") == 1
    assert [r.id for r in best] == [4, 3, 2]
    assert [r.id for r in by_lr] == [1, 5, 2, 3, 4]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            "val_ac > 0.9",
            r"^filter column 1: unknown field 'val_ac' \(did you mean 'val_acc'\?\); fields: activation, ",
        ),
        ("val_acc > 0; DROP TABLE runs", r"^filter column 12: unexpected character ';'"),
        (
            "val_acc > 0 DROP TABLE runs",
            r"^filter column 13: unexpected 'DROP' \(combine conditions with and / or\)",
        ),
        (
            "val_acc > '0.9'",
            r"^filter column 11: val_acc is a number: compare it with a number, not the string '0.9'",
        ),
        ("engine = numpy", r"^filter column 10: expected a value for 'engine'"),
        ("engine = 3", r"^filter column 10: engine is text: quote the value"),
        (
            "status = 'runing'",
            r"^filter column 10: status 'runing' is not one of .* \(did you mean 'running'\?\)",
        ),
        (
            "(val_acc > 0.9",
            r"^filter column 15: expected '\)' to close the parenthesis, found the end of the filter",
        ),
        ("val_acc >", r"^filter column 10: expected a value for 'val_acc'"),
        ("val_acc 0.9", r"^filter column 9: expected an operator \(= != < <= > >= in or is\) after 'val_acc'"),
        ("depth in ()", r"^filter column 11: expected a value for 'depth'"),
        ("engine = 'numpy", r"^filter column 10: string starting with ' is never closed"),
        ("val_acc > 0.9 and", r"^filter column 18: expected a field name, found the end of the filter"),
        ("hidden = 'wide'", r"^filter column 10: hidden is comma-separated layer widths"),
        ("   ", r"^filter column 1: the filter is empty"),
        ("val_acc > 1 or 1=1 --", r"^filter column 16: expected a field name, found '1'"),
        ("val_acc is 0.9", r"^filter column 12: expected null or nan after 'is', found '0.9'"),
        ("val_acc is not", r"^filter column 15: expected null or nan after 'is', found the end of the filter"),
        ("depth is nan", r"^filter column 10: depth is never NaN: only the final metrics are \(train_acc, "),
        ("engine = 'it''s", r"^filter column 14: string starting with ' is never closed"),
    ],
)
def test_errors_are_one_line_and_point_at_the_column(where, message):
    with pytest.raises(FilterError, match=message) as info:
        parse_where(where)
    assert "\n" not in str(info.value) and isinstance(info.value, UserError)


def test_filters_at_every_size_limit_run_on_the_backend(seeded):
    """The largest filter each bound allows still compiles and runs on SQLite and PostgreSQL."""
    deepest = "(" * MAX_NESTING + "val_acc > 0.95" + ")" * MAX_NESTING
    assert ids_for(seeded, deepest) == [2, 3, 4]
    assert ids_for(seeded, "not " * (MAX_NESTING - 1) + "val_acc > 0.95") == [1]  # an odd number of nots
    widest = " or ".join([f"id = {i}" for i in range(MAX_CONDITIONS - 1)] + ["engine = 'sklearn'"])
    assert ids_for(seeded, widest) == [1, 2, 3, 4, 5]
    nested_wide = " and ".join(["(" + " or ".join(["val_acc > 0.95"] * 8) + ")"] * (MAX_CONDITIONS // 8))
    assert ids_for(seeded, nested_wide) == [2, 3, 4]
    assert ids_for(seeded, f"id in ({', '.join(str(i) for i in range(3, MAX_VALUES + 3))})") == [3, 4, 5]


@pytest.mark.parametrize(
    "where, message",
    [
        ("(" * 500 + "val_acc > 0.9" + ")" * 500, rf"^filter column {MAX_NESTING + 1}: parentheses and 'not' nested "
         rf"more than {MAX_NESTING} deep: expected at most {MAX_NESTING} levels$"),
        ("not " * 500 + "val_acc > 0.9", rf"^filter column {4 * MAX_NESTING + 1}: parentheses and 'not' nested"),
        ("(not (" * 17 + "val_acc > 0.9" + "))" * 17, r"^filter column \d+: parentheses and 'not' nested more than"),
        (" or ".join(["val_acc > 0.9"] * 1000), rf"^filter column {17 * MAX_CONDITIONS + 1}: more than "
         rf"{MAX_CONDITIONS} conditions: expected at most {MAX_CONDITIONS} \(a long list of alternatives fits in one"),
        ("id in (" + ",".join(["1"] * (MAX_VALUES + 1)) + ")", rf"^filter column {8 + 2 * MAX_VALUES}: more than "
         rf"{MAX_VALUES:,} values in in \(...\) lists: expected at most {MAX_VALUES:,}$"),
        ("engine = '" + "x" * MAX_LENGTH + "'", rf"^filter column {MAX_LENGTH + 1}: the filter is "
         rf"{MAX_LENGTH + 11:,} characters long: expected at most {MAX_LENGTH:,}$"),
    ],
    ids=["500-parentheses", "500-nots", "mixed", "1000-or-terms", "too-many-values", "too-long"],
)
def test_oversized_filters_are_one_line_naming_the_limit(where, message):
    with pytest.raises(FilterError, match=message) as info:
        parse_where(where)
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


def test_values_are_bound_parameters_never_sql_text():
    hostile = "x'); DROP TABLE runs; --"
    condition = parse_where(f'dataset = "{hostile}"')
    compiled = condition.compile()
    assert hostile not in str(compiled) and list(compiled.params.values()) == [hostile]


def test_a_hostile_string_value_is_just_a_string(seeded):
    assert ids_for(seeded, 'dataset = "mnist-5k\'; DROP TABLE runs; --" or id = 1') == [1]
    with session_scope(seeded) as session:
        assert session.execute(select(func.count()).select_from(Run)).scalar() == 5


@pytest.mark.parametrize(
    ("order", "message"),
    [
        ("-val_acc, ix", r"^order column 11: unknown field 'ix'"),
        ("val_acc,,id", r"^order column 9: empty sort key"),
    ],
)
def test_order_keys_are_validated_with_columns(order, message):
    with pytest.raises(FilterError, match=message):
        parse_order(order)


def test_missing_and_nan_values_are_selected_by_is_null_and_is_nan(store, new_run):
    """A comparison never matches a missing or NaN metric; `is [not] null` and `is [not] nan` select them."""
    with session_scope(store) as session:
        diverged, finite, queued, quoted = create_sweep(
            session,
            "nulls",
            {},
            [new_run(0), new_run(1), new_run(2), new_run(3, dataset="csv:/data/it's here.csv")],
        ).run_ids
        for run_id, val_loss in ((diverged, float("nan")), (finite, 0.3)):
            claim_run(session, run_id, worker="w", lease_seconds=60, max_attempts=1)
            finish_run(session, run_id, worker="w", status="completed", metrics={"val_loss": val_loss})
    cases = [
        ("val_loss is nan", [diverged]),
        ("val_loss IS NULL", [queued, quoted]),
        ("val_loss is not null", [diverged, finite]),  # NaN is a value, only a missing one is null
        ("val_loss is not nan and val_loss is not null", [finite]),
        ("val_loss < 1 or not val_loss < 1", [finite]),  # comparisons skip both
        ("test_acc is null", [diverged, finite, queued, quoted]),
        ("dataset = 'csv:/data/it''s here.csv'", [quoted]),  # a quote doubled inside the string
        ('dataset = "csv:/data/it\'s here.csv"', [quoted]),
        ("dataset is null", []),
    ]
    for where, expected in cases:
        assert ids_for(store, where) == expected, where
