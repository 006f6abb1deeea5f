"""bench/ui.py end to end at a tiny size on SQLite: it seeds a store, serves it with the real `mnistq ui`, loads
the pages in headless Chromium, polls the live endpoint under a writer, reads the server's memory and times the
report anchor, printing every line (no timing asserted). Without chromium: skipped, failed under CI=true."""

from __future__ import annotations

import re
import subprocess
import sys

from ..queue.helpers import ROOT
from ..report.browser import chromium

LINES = (
    r"\[sqlite\] seeded sweep \d+: 40 runs x 3 epochs",
    r"\[sqlite\] sweep page, cold \(fresh context\): median \d+ ms of \d+; plotly [1-9][\d,]* B over the network — "
    r".* of target",
    # reloaded, the page takes the chart library from the cache (served immutable)
    r"\[sqlite\] sweep page, cached \(reload\): median \d+ ms of \d+; plotly 0 B over the network — .* of target",
    r"\[sqlite\] sweeps page /, cold, to load event: median \d+ ms",
    r"\[sqlite\] /changes, 100 polls under .*: p50 [\d.]+ ms, p95 [\d.]+ ms, max [\d.]+ ms — .* of target",
    r"\[sqlite\] server RSS: [\d.]+ MiB after 100 polls, [\d.]+ MiB after 100",
    r"\[sqlite\] /runs\?page=N, default order: p50 [\d.]+ ms, p95 [\d.]+ ms",
    r"\[sqlite\] /runs\?page=N, filtered: p50 [\d.]+ ms, p95 [\d.]+ ms",
    r"\[sqlite\] anchor: mnistq report of the same sweep [\d.]+ s; report ÷ cold page load = [\d.]+x",
)


def test_the_ui_benchmark_runs_end_to_end_at_a_tiny_size() -> None:
    chromium()  # skips (or fails under CI) before anything starts when the browser is missing
    command = [sys.executable, "-m", "bench.ui", "--runs", "40", "--epochs", "3", "--backend", "sqlite",
               "--loads", "1", "--polls", "100"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    for line in LINES:
        assert re.search(line, done.stdout), f"missing {line!r} in:\n{done.stdout}"
    assert "Traceback" not in done.stderr
