"""Fixtures of the dashboard's tests: the headless browser rig (tests/ui/browser.py) and trained stores
(tests/ui/stores.py)."""

from __future__ import annotations

import pytest

from .browser import browser_rig, chromium_browser
from .stores import store

__all__ = ["browser_rig", "chromium_browser", "store"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the test item (`rep_call`), so browser_rig can screenshot a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
