"""Every config key is a typed column of `runs`: filtered and sorted by `--where`/`--order-by` on SQLite and
PostgreSQL (values as bound parameters), and exported by `runs --format csv`."""

from __future__ import annotations

import pytest

from db import session_scope
from db.errors import FilterError
from db.export import RUN_FIELDS
from db.filters import FIELDS
from db.queries import create_sweep, list_runs
from model.config import config_keys


def test_every_config_key_is_a_filter_field_and_an_exported_column() -> None:
    keys = set(config_keys())
    assert keys - set(FIELDS) == set()
    assert keys - set(RUN_FIELDS) == set()


def test_the_new_columns_filter_and_sort(store, new_run) -> None:
    runs = [
        new_run(0, dropout=0.0, lr_schedule="constant", patience=0, nesterov=False, dtype="float32"),
        new_run(1, dropout=0.3, lr_schedule="step", lr_step_epochs=5, lr_gamma=0.5, patience=4, nesterov=True),
        new_run(2, dropout=0.1, lr_schedule="cosine", augment_shift=2, val_fraction=0.2, label_column="digit"),
    ]
    with session_scope(store) as session:
        ids = create_sweep(session, "s", {}, runs).run_ids

        def where(text: str, order_by: str = "id") -> list[int]:
            return [ids.index(r.id) for r in list_runs(session, where=text, order_by=order_by)]

        assert where("dropout > 0.05", order_by="-dropout") == [1, 2]
        assert where("lr_schedule in ('step', 'cosine') and lr_gamma = 0.5") == [1]
        assert where("nesterov = 1") == [1]
        assert where("augment_shift >= 2 and val_fraction = 0.2 and label_column = 'digit'") == [2]
        assert where("label_column is null") == [0, 1]
        assert where("patience >= 0", order_by="-patience,id")[0] == 1
        with pytest.raises(FilterError, match="nesterov is 1 when on and 0 when off, not 2"):
            list_runs(session, where="nesterov = 2")
        with pytest.raises(FilterError, match="dtype is text"):
            list_runs(session, where="dtype = 32")
