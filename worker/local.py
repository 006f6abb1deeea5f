"""A local-mode worker process: `python -m worker.local --sweep ID` trains the sweep's queued runs.

`mnistq submit` starts N of these when no broker is configured. They run the very same `execute_run` as the
Celery task; instead of receiving ids from a queue they walk the sweep's queued runs, and the atomic claim
makes sure each run is trained by exactly one of them. A process exits when nothing is left to claim.
"""

from __future__ import annotations

import argparse
import logging
import sys

from db import open_store, session_scope
from db.queries import sweep_run_ids
from db.status import QUEUED
from worker.blas import apply_blas_threads
from worker.execute import SKIPPED, execute_run
from worker.settings import WorkerSettings


def work_through_sweep(sweep_id: int, *, database_url: str | None = None) -> int:
    """Train queued runs of `sweep_id` until none is claimable; returns how many this process trained."""
    engine = open_store(database_url)
    settings = WorkerSettings.from_env()
    trained = 0
    while True:
        with session_scope(engine) as session:
            queued = sweep_run_ids(session, sweep_id, statuses=[QUEUED])
        progressed = False
        for run_id in queued:
            if execute_run(run_id, engine=engine, settings=settings) != SKIPPED:
                trained += 1
                progressed = True
        if not queued or not progressed:
            return trained


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker.local", description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", type=int, required=True, help="sweep id whose queued runs to train")
    parser.add_argument("--database-url", default=None, help="default: $MNISTQ_DATABASE_URL or ./mnistq.db")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    apply_blas_threads()
    work_through_sweep(args.sweep, database_url=args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
