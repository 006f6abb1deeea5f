"""Per-epoch metrics: overwrite on re-delivery, and NaN / +-inf / None kept apart on both backends."""

from __future__ import annotations

import math

import pytest

from db.engine import session_scope
from db.queries import (
    claim_run,
    create_sweep,
    finish_run,
    get_run,
    list_runs,
    run_histories,
    run_history,
    truncate_history,
    upsert_epoch,
)

INF = math.inf


def epoch(n: int, **values: float | None) -> dict[str, float | int | None]:
    row: dict[str, float | int | None] = {
        "epoch": n,
        "train_loss": 1.0 / n,
        "train_acc": 0.5 + n / 100,
        "val_loss": 1.1 / n,
        "val_acc": 0.5 + n / 200,
        "seconds": 0.25,
    }
    return {**row, **values}


@pytest.fixture
def run_id(store, new_run):
    with session_scope(store) as session:
        return create_sweep(session, "s", {}, [new_run(1)]).run_ids[0]


def same(a: float | None, b: float | None) -> bool:
    """Equal, with NaN equal to NaN and None only equal to None."""
    if a is None or b is None:
        return a is b
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_a_redelivered_epoch_overwrites_the_row(store, run_id):
    with session_scope(store) as session:
        for n in (1, 2, 3):
            upsert_epoch(session, run_id, epoch(n))
    with session_scope(store) as session:
        upsert_epoch(session, run_id, epoch(2, train_loss=0.123, val_acc=0.9))
    with session_scope(store) as session:
        history = run_history(session, run_id)
    assert [e.epoch for e in history] == [1, 2, 3]
    assert (history[1].train_loss, history[1].val_acc, history[1].seconds) == (0.123, 0.9, 0.25)
    with session_scope(store) as session:
        upsert_epoch(session, run_id, epoch(3, val_loss=math.nan))
        upsert_epoch(session, run_id, epoch(3, val_loss=0.5))  # a number replaces a NaN
        assert run_history(session, run_id)[2].val_loss == 0.5


NON_FINITE_EPOCHS = [
    epoch(1, train_loss=math.nan, val_loss=None),  # NaN and None in one row stay apart
    epoch(2, train_loss=INF, val_loss=-INF),
    epoch(3, train_loss=math.nan, train_acc=math.nan, val_loss=math.nan, val_acc=math.nan, seconds=INF),
    epoch(4, val_loss=None, val_acc=None),  # no validation split
]


def test_non_finite_and_missing_epoch_values_round_trip(store, run_id):
    with session_scope(store) as session:
        for row in NON_FINITE_EPOCHS:
            upsert_epoch(session, run_id, row)
    with session_scope(store) as session:
        history = run_history(session, run_id)
    for written, read in zip(NON_FINITE_EPOCHS, history, strict=True):
        for name in ("train_loss", "train_acc", "val_loss", "val_acc", "seconds"):
            assert same(getattr(read, name), written[name]), (written["epoch"], name)


def test_final_metrics_keep_nan_inf_and_none_apart_and_filters_skip_nan(store, new_run):
    with session_scope(store) as session:
        ids = create_sweep(session, "s", {}, [new_run(s) for s in range(3)]).run_ids
        finals = [
            {"train_loss": math.nan, "val_loss": INF, "val_acc": 0.1},
            {"train_loss": 0.2, "val_loss": 0.3, "val_acc": 0.95},
            {"train_loss": -INF, "val_acc": None},
        ]
        for run_id, metrics in zip(ids, finals, strict=True):
            claim_run(session, run_id, worker="w", lease_seconds=60, max_attempts=1)
            finish_run(session, run_id, worker="w", status="diverged", metrics=metrics)
    with session_scope(store) as session:
        runs = [get_run(session, run_id) for run_id in ids]
        for run, metrics in zip(runs, finals, strict=True):
            for name in ("train_loss", "val_loss", "val_acc", "test_loss"):
                assert same(getattr(run, name), metrics.get(name)), name
        assert [r.id for r in list_runs(session, where="train_loss < 1")] == [
            ids[1],
            ids[2],
        ]  # NaN never matches
        assert [r.id for r in list_runs(session, where="not train_loss < 1")] == []
        assert [r.id for r in list_runs(session, where="val_loss > 1")] == [ids[0]]  # +inf is a number
        ordered = list_runs(session, order_by="-train_loss")
    assert [r.id for r in ordered] == [ids[1], ids[2], ids[0]]  # NaN (like None) sorts last


def test_truncate_history_drops_a_stale_tail(store, run_id):
    with session_scope(store) as session:
        for n in range(1, 6):
            upsert_epoch(session, run_id, epoch(n))
        assert truncate_history(session, run_id, keep_through=2) == 3
        assert [e.epoch for e in run_history(session, run_id)] == [1, 2]
        assert truncate_history(session, run_id, keep_through=0) == 2


def test_histories_of_several_runs_at_once(store, new_run):
    with session_scope(store) as session:
        a, b, c = create_sweep(session, "s", {}, [new_run(s) for s in range(3)]).run_ids
        for n in (2, 1):
            upsert_epoch(session, a, epoch(n))
        upsert_epoch(session, c, epoch(1))
        histories = run_histories(session, [a, b, c])
    assert [e.epoch for e in histories[a]] == [1, 2]
    assert histories[b] == [] and len(histories[c]) == 1


def test_malformed_epoch_rows_are_rejected(sqlite_store):
    with session_scope(sqlite_store) as session:
        run_id = 1
        for bad in ({"epoch": 0}, {"epoch": 1, "loss": 1.0}, {"epoch": "1"}):
            with pytest.raises(ValueError):
                upsert_epoch(session, run_id, bad)
