"""`mnistq`, except that local mode starts a worker module of the test's choosing instead of `worker.local`:

    python -m tests.faults.local_front MODULE submit spec.toml ...     (MODULE, then the arguments of `mnistq`)

The product has no hook for this: the module replaces `scheduler.local.WORKER_MODULE` before the command runs.
"""

from __future__ import annotations

import sys

import scheduler.local
from scheduler.cli import main

if __name__ == "__main__":
    scheduler.local.WORKER_MODULE = sys.argv[1]
    main(sys.argv[2:])
