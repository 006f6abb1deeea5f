"""`make demo`, the README's first command, trains the seed's experiment and writes its report.

It runs here against a private store and report path (MNISTQ_DATABASE_URL, REPORT), with the project already
installed by `make test`, so only the demo's own steps run.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from .readme_blocks import ROOT

pytestmark = pytest.mark.slow


def test_make_demo_trains_the_seed_sweep_prints_its_leaderboard_and_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MNISTQ_")}
    env["MNISTQ_DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
    done = subprocess.run(
        ["make", "--no-print-directory", "demo", f"REPORT={report}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if re.match(r"\s*\d+\s", line)]
    assert len(rows) == 8 and all(" completed " in row for row in rows), done.stdout
    assert report.stat().st_size > 100_000 and f"report written to {report}" in done.stdout
    assert (tmp_path / "demo.db").exists()  # the private store, not ./mnistq.db
