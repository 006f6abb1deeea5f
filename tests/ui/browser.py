"""A real headless Chromium for the dashboard's browser tests, driven by Playwright with the system browser.

`browser_rig` gives each test a fresh context and page wrapped in a `BrowserRig`, which keeps the page
offline: every request whose host:port is not the app's (the origin of the first page `open`ed) is aborted
at the network layer AND recorded in `foreign_requests`, so a page that needed the internet fails visibly
instead of silently fetching. Console errors and uncaught exceptions land in `console_errors`. Waits default
to a generous 60 s because the test machine is shared and busy; they end as soon as the state is reached.

Playwright never downloads a browser here: it drives Debian's chromium (`apt-get install chromium`), found as
tests/report/browser.py finds it (missing: skipped outside CI, failed under CI=true).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ..conftest import service_unavailable
from ..report.browser import FLAGS, chromium

TIMEOUT_S = 60.0
POLL_S = 0.1
ARTIFACTS_ENV = "MNISTQ_TEST_ARTIFACTS"
DEFAULT_ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # git-ignored
LOCAL_SCHEMES = ("data", "blob", "about")  # never leave the page, so never foreign
# the report's offline flags, minus what Playwright sets itself (headless mode, logging to its own pipe), and
# with the loopback host resolvable: the app is served there (the route handler blocks everything else)
REPLACED = ("--headless", "--enable-logging", "--v=", "--host-resolver-rules")
LAUNCH_FLAGS = [
    *(flag for flag in FLAGS if not flag.startswith(REPLACED)),
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


def artifacts_folder() -> Path:
    """Where screenshots go: $MNISTQ_TEST_ARTIFACTS if set, else tests/ui/artifacts/ (created on demand)."""
    folder = Path(os.environ.get(ARTIFACTS_ENV, "").strip() or DEFAULT_ARTIFACTS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def origin(url: str) -> str:
    """scheme://host:port of `url`, with the scheme's default port spelled out."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{parts.hostname}:{port}"


class BrowserRig:
    """One page in its own browser context, with everything it requested and every error it reported."""

    def __init__(self, context, name: str) -> None:
        self.context = context
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]  # safe as a file name
        self.app_origin: str | None = None  # set by the first open()
        self.requests: list[str] = []  # every URL the page asked for, in order (blocked ones included)
        self.console_errors: list[str] = []  # console messages of type error, and uncaught exceptions
        context.set_default_timeout(TIMEOUT_S * 1000)
        context.set_default_navigation_timeout(TIMEOUT_S * 1000)
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("websocket", lambda socket: self.requests.append(socket.url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))

    @property
    def foreign_requests(self) -> list[str]:
        """The requested URLs whose scheme://host:port is not the app's (all of them were blocked)."""
        return [url for url in self.requests if self._foreign(url)]

    def open(self, url: str) -> None:
        """Load `url`; the first call makes its origin the app's, the only one the page may reach."""
        if self.app_origin is None:
            self.app_origin = origin(url)
        self.page.goto(url, wait_until="load")

    def wait_for(self, what: str | Callable[[], object], *, timeout: float = TIMEOUT_S) -> None:
        """Wait until a CSS selector matches a visible element (str) or a Python predicate returns a truthy
        value (callable, polled while the page's events keep arriving). TimeoutError after `timeout` s."""
        if isinstance(what, str):
            self.page.wait_for_selector(what, state="visible", timeout=timeout * 1000)
            return
        deadline = time.monotonic() + timeout
        while not what():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: condition not met within {timeout:g} s")
            self.page.wait_for_timeout(POLL_S * 1000)  # lets Playwright deliver the page's events meanwhile

    def wait_for_js(self, expression: str, *, timeout: float = TIMEOUT_S) -> object:
        """Wait until the JavaScript `expression` is truthy in the page; returns its value."""
        found: list[object] = []
        # polled from here through page.evaluate: the page's own wait_for_function evaluates strings with
        # eval, which the dashboard's Content-Security-Policy (rightly) refuses
        self.wait_for(lambda: found.append(self.page.evaluate(expression)) or found[-1], timeout=timeout)
        return found[-1]

    def screenshot(self, label: str = "page", *, full_page: bool = True) -> Path:
        """Save a PNG of the page into the artifacts folder, named after the test and `label`."""
        path = artifacts_folder() / f"{self.name}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def _foreign(self, url: str) -> bool:
        scheme = urlsplit(url).scheme
        return scheme not in LOCAL_SCHEMES and origin(url) != self.app_origin

    def _route(self, route) -> None:
        if self._foreign(route.request.url):
            route.abort("blockedbyclient")  # recorded by the "request" handler, which sees it first
        else:
            route.continue_()

    def _console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    """One headless Chromium for the whole session (Debian's, never a downloaded one)."""
    from playwright.sync_api import Error, sync_playwright

    binary = chromium()
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=binary, args=LAUNCH_FLAGS, timeout=120_000)
        except Error as exc:
            service_unavailable("headless Chromium", f"{binary} did not start under Playwright: {exc}")
        yield browser
        browser.close()


@pytest.fixture
def browser_rig(chromium_browser, request: pytest.FixtureRequest) -> Iterator[BrowserRig]:
    """A fresh context and page for this test (service workers blocked, so every request is routed);
    a failed test leaves a screenshot in the artifacts folder."""
    context = chromium_browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
    rig = BrowserRig(context, request.node.name)
    try:
        yield rig
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            with contextlib.suppress(Exception):  # a dead page must not hide the test's own failure
                rig.screenshot("failed")
    finally:
        context.close()
