"""`mnistq worker`, except that the first process to prune a run dies with SIGKILL right after the pruning
decision committed and before the run's final write: the narrowest window a real kill -9 can hit.

    MNISTQ_TEST_CRASH_MARKER=/tmp/x python -m tests.faults.prune_crash_worker worker -c 1 -l INFO

The marker file says the crash happened (once per marker, across the pool's processes). The product has no
hook for this: the module replaces `worker.execute._finish` before the pool forks, then runs the front door.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import worker.execute
from db.status import PRUNED
from scheduler.cli import main

_real_finish = worker.execute._finish


def _die_before_finishing_a_pruned_run(engine, run_id, worker_id, result, judge=None):
    marker = Path(os.environ["MNISTQ_TEST_CRASH_MARKER"])
    if result.status == PRUNED and not marker.exists():
        marker.write_text(str(run_id))
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_finish(engine, run_id, worker_id, result, judge)


worker.execute._finish = _die_before_finishing_a_pruned_run

if __name__ == "__main__":
    main()
