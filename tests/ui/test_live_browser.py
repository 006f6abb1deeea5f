"""End to end in a real headless Chromium: two Celery workers, Redis, PostgreSQL and `mnistq ui` in their own
processes. The sweep page, opened while every run is still queued, follows the sweep to the end without a
reload: the table turns from queued to completed and curves gain points as epochs land. The filter box
filters and shows the one-line error of a bad filter. The page asks no host but the app's and logs no error."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import open_store

from ..queue.helpers import ROOT, mnistq_json, start_worker, stop
from .browser import BrowserRig

pytestmark = pytest.mark.slow

RUNS = 4
SPEC = """
name = "live <b>sweep</b>"

[fixed]
engine = "numpy"
dataset = "digits"
hidden = [256, 256]
batch_size = 8
epochs = 200

[grid]
learning_rate = [0.005, 0.01, 0.02, 0.04]
"""
STATUS_CELLS = "[...document.querySelectorAll('#board tbody tr[data-run] td:nth-child(3)')].map((td) => td.textContent)"
POINTS = "Array.from(document.getElementById('curves').data || [], (t) => t.x.length)"


@pytest.fixture
def queue_env(redis_url: str, pg_url: str) -> dict[str, str]:
    open_store(pg_url, create=True)
    return {"MNISTQ_BROKER_URL": redis_url, "MNISTQ_DATABASE_URL": pg_url, "MNISTQ_LEASE_SECONDS": "60"}


@pytest.fixture
def ui_address(queue_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """`mnistq ui --port 0` in its own process; its address, read from the line it prints."""
    server = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "ui", "--port", "0"], cwd=ROOT,
                              env={**os.environ, **queue_env}, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        line = server.stderr.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        assert found, line
        yield found.group(1)
    finally:
        stop(server)


def test_sweep_page_follows_a_queued_sweep_to_the_end(
    queue_env: dict[str, str], ui_address: str, browser_rig: BrowserRig, tmp_path: Path
) -> None:
    spec = tmp_path / "live.toml"
    spec.write_text(SPEC)
    submitted = mnistq_json("submit", str(spec), "--json", env=queue_env)  # no worker yet: every run waits
    sweep_id = submitted["sweep_id"]

    rig = browser_rig
    rig.open(f"{ui_address}/sweeps/{sweep_id}")
    rig.wait_for_js("document.body.dataset.drawn === '1'")
    assert rig.page.evaluate(STATUS_CELLS) == ["queued"] * RUNS
    assert rig.page.text_content("h1").startswith(f"Sweep {sweep_id}: live <b>sweep</b>")  # shown as text
    rig.page.evaluate("window.sameDocument = true")  # gone if the page reloads

    logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
    workers = [start_worker(f"w{i}", queue_env, log) for i, log in zip((1, 2), logs, strict=True)]
    try:
        # a curve gains points while the page stays open: seen once with n points, later with more
        first: list[int] = []
        rig.wait_for(lambda: bool(first.extend(p for p in rig.page.evaluate(POINTS) if p) or first), timeout=240)
        rig.wait_for(lambda: max(rig.page.evaluate(POINTS), default=0) > min(first), timeout=240)
        rig.wait_for(lambda: rig.page.evaluate(STATUS_CELLS) == ["completed"] * RUNS, timeout=600)
    finally:
        for worker in workers:
            stop(worker)
    assert rig.page.evaluate("window.sameDocument") is True
    rig.wait_for(lambda: rig.page.evaluate(POINTS).count(200) == RUNS)  # every curve drawn to its end
    rig.wait_for(lambda: f"{RUNS}/{RUNS} finished" in rig.page.text_content("#summary-line"))

    rig.page.fill("#where", "learning_rate >= 0.02")
    rig.page.click("#filter button")
    rig.wait_for(lambda: len(rig.page.evaluate(STATUS_CELLS)) == 2)
    assert "where=learning_rate" in rig.page.url and rig.page.is_hidden("#filter-error")

    rig.page.fill("#where", "nosuch = 1")
    rig.page.click("#filter button")
    rig.wait_for("#filter-error")
    assert rig.page.text_content("#filter-error").startswith("filter column 1: unknown field 'nosuch'")
    assert len(rig.page.evaluate(STATUS_CELLS)) == 2  # the table keeps its last good filter

    shot = rig.screenshot("sweep")
    assert shot.stat().st_size > 10_000
    assert rig.foreign_requests == []
    assert rig.console_errors == []


def test_run_and_sweeps_pages_render_in_the_browser(
    queue_env: dict[str, str], ui_address: str, browser_rig: BrowserRig, tmp_path: Path
) -> None:
    """The sweeps page, open on an empty store, shows a new sweep's row as it trains, without a reload; its best
    run's page draws the history, the confusion matrix and the mistakes."""
    rig = browser_rig
    rig.open(f"{ui_address}/")
    rig.wait_for("tr.empty")
    env = {**queue_env, "MNISTQ_BROKER_URL": ""}  # local mode: trained here, stored in the same database
    spec = tmp_path / "small.toml"
    spec.write_text(SPEC.replace("epochs = 200", "epochs = 3").replace("batch_size = 8", "batch_size = 64"))
    sweep_id = mnistq_json("submit", str(spec), "--workers", "1", "--json", env=env)["sweep_id"]
    progress = f"tr[data-sweep='{sweep_id}'] .progress"
    rig.wait_for(lambda: rig.page.locator(progress).count() and rig.page.text_content(progress).strip() == f"{RUNS}/{RUNS}")
    rig.wait_for(f"tr[data-sweep='{sweep_id}'] .best a")
    assert rig.page.text_content(f"tr[data-sweep='{sweep_id}'] .name") == "live <b>sweep</b>"
    rig.page.click(f"tr[data-sweep='{sweep_id}'] .best a")
    rig.page.wait_for_url(re.compile(r".*/runs/\d+$"))
    rig.wait_for_js("document.body && document.body.dataset.drawn === '1' && document.body.dataset.analysis === 'ready'")
    assert rig.page.is_visible("#mistakes") and rig.page.is_visible("#confusion .main-svg")
    assert "digits" in rig.page.text_content("#analysis-note")
    rig.screenshot("run")
    assert rig.foreign_requests == [] and rig.console_errors == []
