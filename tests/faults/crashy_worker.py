"""`mnistq worker`, except that training the poison config kills its own process with SIGKILL, every time.

    python -m tests.faults.crashy_worker worker -c 1 -l INFO     (the arguments of `mnistq ...`)

The product has no hook for this: the module replaces `worker.execute.train` before the pool forks, so every
pool process inherits it, then runs the `mnistq` front door.
"""

from __future__ import annotations

import os
import signal

import worker.execute
from scheduler.cli import main

POISON_LEARNING_RATE = 0.0123
_real_train = worker.execute.train


def _train_or_die(config, data, **options):
    if config.learning_rate == POISON_LEARNING_RATE:
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_train(config, data, **options)


worker.execute.train = _train_or_die

if __name__ == "__main__":
    main()
