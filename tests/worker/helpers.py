"""Shared by the worker tests: a sweep of one quick run."""

from __future__ import annotations

from pathlib import Path

ONE_RUN = """name = "one-run"
[fixed]
engine = "numpy"
dataset = "digits"
epochs = 2
hidden = [8]
[grid]
seed = [0]
"""


def one_run_spec(tmp_path: Path) -> Path:
    """A spec file of one numpy run on the digits dataset (a second or so of training)."""
    path = tmp_path / "one-run.toml"
    path.write_text(ONE_RUN)
    return path
