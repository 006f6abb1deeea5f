"""The browser rig itself, on a tiny static page served from this process: it blocks and reports requests
that leave the app's host:port, collects the page's errors, and saves screenshots."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .browser import BrowserRig

PAGE = """<!doctype html>
<html><head><link rel="icon" href="data:,"><title>rig</title></head>
<body><h1>rig page</h1><p id="state">loading</p><script src="/app.js"></script></body></html>
"""
SCRIPT = """
const state = document.getElementById("state");
fetch(new URLSearchParams(location.search).get("target") || "http://example.invalid/x")
  .then(() => { state.textContent = "fetched"; })
  .catch(() => { state.textContent = "blocked"; })
  .finally(() => { state.classList.add("done"); });
setTimeout(() => { throw new Error("rig page boom"); }, 0);
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]  # what reached this server


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], ThreadingHTTPServer]]:
    """`serve(files) -> base URL`: a static HTTP server on 127.0.0.1 (free port) in a thread; the server
    object's `paths` lists the requests it answered."""
    servers = []

    def start(files: dict[str, str]) -> ThreadingHTTPServer:
        root = tmp_path / f"site{len(servers)}"
        root.mkdir()
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(root)))
        server.paths = []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def base(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_the_rig_blocks_and_reports_foreign_requests_and_page_errors(browser_rig: BrowserRig, serve) -> None:
    app = serve({"index.html": PAGE, "app.js": SCRIPT})
    browser_rig.open(f"{base(app)}/index.html")
    browser_rig.wait_for("#state.done")
    browser_rig.wait_for(lambda: any("rig page boom" in error for error in browser_rig.console_errors))

    assert browser_rig.foreign_requests == ["http://example.invalid/x"]
    assert browser_rig.page.inner_text("#state") == "blocked"
    assert f"{base(app)}/app.js" in browser_rig.requests  # the app's own script loaded, and is not foreign
    assert "/app.js" in app.paths
    shot = browser_rig.screenshot("loaded")
    assert shot.is_file() and shot.stat().st_size > 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_another_port_on_the_same_host_is_foreign_and_never_reached(browser_rig: BrowserRig, serve) -> None:
    """Blocked at the network layer: the other server, which would answer, sees no request at all."""
    app = serve({"index.html": PAGE, "app.js": SCRIPT})
    other = serve({"x": "reachable"})
    browser_rig.open(f"{base(app)}/index.html?target={base(other)}/x")
    browser_rig.wait_for("#state.done")

    assert browser_rig.foreign_requests == [f"{base(other)}/x"]
    assert browser_rig.page.inner_text("#state") == "blocked"
    assert other.paths == []


def test_a_condition_that_never_holds_times_out(browser_rig: BrowserRig, serve) -> None:
    app = serve({"index.html": PAGE, "app.js": SCRIPT})
    browser_rig.open(f"{base(app)}/index.html")
    with pytest.raises(TimeoutError, match="not met within 0.3 s"):
        browser_rig.wait_for(lambda: False, timeout=0.3)
