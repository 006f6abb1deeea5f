"""The log of `mnistq scheduler`, a long-lived service: one line per event, with its time and level, on stderr.

Each line is passed through `mask_text` and `one_line` whatever its source, so a password quoted by a driver's
error or a multi-line message never reaches `docker compose logs` as such.
"""

from __future__ import annotations

import logging
import sys

from core.masking import mask_text
from core.text import one_line

LOGGER_NAME = "mnistq.scheduler"
LINE_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"  # as the workers' log lines


class OneLineMaskedFormatter(logging.Formatter):
    """A formatter whose every record is one line with its secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(one_line(super().format(record)))


def service_logger() -> logging.Logger:
    """The scheduler's logger, writing INFO and above to stderr (set up once; later calls reuse it)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLineMaskedFormatter(LINE_FORMAT))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # the root logger's handlers (Celery's, a test's) would print it twice
    return logger
