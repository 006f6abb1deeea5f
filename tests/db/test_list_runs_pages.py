"""list_runs pages (limit/offset, which sort the ids before reading full rows) are slices of the whole listing,
in the same order, ties, missing metrics and filters included, on both backends."""

from __future__ import annotations

from sqlalchemy import update

from bench.ui_store import seed_store
from db import dispose_engines, open_store, session_scope
from db.models import Run
from db.queries import list_runs


def test_pages_are_slices_of_the_whole_listing(db_url: str) -> None:
    sweep_id = seed_store(db_url, runs=37, epochs=2, running=3, seed=2)
    engine = open_store(db_url)
    try:
        with session_scope(engine) as session:  # ties: equal val_acc for a third of the runs
            session.execute(update(Run).where(Run.id % 3 == 0, Run.val_acc.is_not(None)).values(val_acc=0.9))
        with session_scope(engine) as session:
            for where, order in ((None, "-val_acc"), ("engine = 'numpy'", "-val_acc,test_acc"), (None, "hidden")):
                whole = [run.id for run in list_runs(session, sweep_id=sweep_id, where=where, order_by=order)]
                for size in (5, 10):
                    pages = [
                        [run.id for run in list_runs(session, sweep_id=sweep_id, where=where, order_by=order,
                                                     limit=size, offset=start)]
                        for start in range(0, len(whole) + size, size)
                    ]
                    assert [run_id for page in pages for run_id in page] == whole, (where, order, size)
                    assert all(len(page) == size for page in pages[: len(whole) // size])
            assert len(whole) == 37
    finally:
        dispose_engines()
