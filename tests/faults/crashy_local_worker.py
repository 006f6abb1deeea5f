"""`python -m worker.local`, except that training the poison config kills its own process with SIGKILL, every
time (the same replaced `train` as crashy_worker.py). Started by local_front.py in place of `worker.local`."""

from __future__ import annotations

import sys

from tests.faults import crashy_worker  # noqa: F401  (importing it replaces worker.execute.train)
from worker.local import main

if __name__ == "__main__":
    sys.exit(main())
