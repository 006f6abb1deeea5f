"""A local worker that cannot start: it exits at once, with the code in $MNISTQ_TEST_DEAD_WORKER_EXIT (a
negative one kills it with that signal), before it claims anything. Started by local_front.py."""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    code = int(os.environ["MNISTQ_TEST_DEAD_WORKER_EXIT"])
    if code < 0:
        os.kill(os.getpid(), -code)
    sys.exit(code)
