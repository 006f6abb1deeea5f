"""`mnistq scheduler`'s log lines: time, logger, level, and a one-line message with no secret in it."""

from __future__ import annotations

import logging
import re

from scheduler.service_log import LINE_FORMAT, LOGGER_NAME, OneLineMaskedFormatter


def test_a_record_is_one_timestamped_masked_line() -> None:
    record = logging.LogRecord(LOGGER_NAME, logging.WARNING, __file__, 1, "pass failed (%s)", (
        "OperationalError: could not connect\nto redis://:hunter2@queue:6379/0",
    ), None)
    line = OneLineMaskedFormatter(LINE_FORMAT).format(record)
    assert "hunter2" not in line and "\n" not in line
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} mnistq\.scheduler WARNING pass failed \(OperationalError: could not "
        r"connect to redis://:\*\*\*@queue:6379/0\)",
        line,
    ), line
