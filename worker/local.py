"""A local-mode worker process: `python -m worker.local --sweep ID [--run ID]` trains the sweep's queued runs.

`mnistq submit` and `mnistq retry` start N of these when no broker is configured, and supervise them
(scheduler/local.py). They run the very same `execute_run` as the Celery task; instead of receiving ids from a
queue they walk the sweep's claimable runs, and the atomic claim makes sure each run is trained by exactly one
of them. A process exits when nothing is left to claim.
"""

from __future__ import annotations

import argparse
import logging
import sys

from adaptive import SearchPlan, shuffled, spec_seed
from db import open_store, session_scope
from db.queries import claimable_runs, get_sweep
from worker.blas import apply_blas_threads
from worker.execute import SKIPPED, execute_run
from worker.settings import WorkerSettings


def work_through_sweep(sweep_id: int, *, run_id: int | None = None, database_url: str | None = None) -> int:
    """Train claimable runs of `sweep_id` (only `run_id` when given) until none is left; returns how many this
    process trained."""
    engine = open_store(database_url)
    settings = WorkerSettings.from_env()
    with session_scope(engine) as session:
        spec = get_sweep(session, sweep_id).spec
    # an adaptive sweep's runs go in the seeded shuffled order its queue uses, not in sorted grid order
    seed = spec_seed(spec) if SearchPlan.of_spec(spec).adaptive else None
    trained = 0
    while True:
        with session_scope(engine) as session:
            # running runs too: one whose holder died on this host (a whole earlier `submit` killed) is taken over
            queued = claimable_runs(
                session, sweep_id, max_attempts=settings.max_attempts, run_id=run_id, with_running=True
            )
        progressed = False
        for queued_id in queued if seed is None else shuffled(queued, seed):
            if execute_run(queued_id, engine=engine, settings=settings) != SKIPPED:
                trained += 1
                progressed = True
        if not queued or not progressed:
            return trained


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker.local", description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", type=int, required=True, help="sweep id whose queued runs to train")
    parser.add_argument("--run", type=int, default=None, help="train only this run of the sweep")
    parser.add_argument("--database-url", default=None, help="default: $MNISTQ_DATABASE_URL or ./mnistq.db")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    apply_blas_threads()
    try:
        work_through_sweep(args.sweep, run_id=args.run, database_url=args.database_url)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: `mnistq` gives the run back, quietly
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
