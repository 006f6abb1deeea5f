"""Headless Chromium for the report tests: load a page offline, dump its DOM, screenshot it, and collect what
the page wrote to the console (errors, uncaught exceptions).

Offline for real: every host name resolves to nothing and every request goes to a closed local proxy, so a
page that needed the network would show broken content instead of silently fetching it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9",  # the discard port: nothing listens, any fetch fails at once
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
)
CONSOLE_LINE = re.compile(r":CONSOLE(?:\(\d+\)|:\d+)\] (.*)")


@dataclass(frozen=True)
class Rendering:
    dom: str
    screenshot: Path
    console: list[str]  # every message the page logged (JavaScript errors included)


def chromium() -> str:
    """The browser binary; a missing browser fails the test under CI=true and skips it elsewhere."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    message = "headless Chromium is not installed (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


def render(page: Path, work: Path, *, width: int = 1200, height: int = 3000) -> Rendering:
    """Load `page` in a fresh profile under `work`: its DOM after loading, a screenshot, its console."""
    binary = chromium()
    shot = work / "screenshot.png"
    url = page.resolve().as_uri()
    common = [binary, *FLAGS, f"--user-data-dir={work / 'profile'}", f"--window-size={width},{height}"]
    done = _run([*common, "--dump-dom", f"--screenshot={shot}", url])
    console = [m.group(1) for line in done.stderr.splitlines() if (m := CONSOLE_LINE.search(line))]
    assert shot.is_file(), f"chromium wrote no screenshot: {done.stderr[-2000:]}"
    return Rendering(dom=done.stdout, screenshot=shot, console=console)


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    return done
