"""The files the README's own commands write into the repository folder are git-ignored, so following the
README never leaves a result, a report or a backup for `git add .` to pick up."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ..ui.browser import DEFAULT_ARTIFACTS

ROOT = Path(__file__).resolve().parents[2]


def written_by_readme_commands() -> set[str]:
    """Paths the README's shell blocks write: `-o FILE`, `> FILE`, `.backup FILE`, plus the defaults it names
    (the SQLite store, the HTML report, the Markdown report folder)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = {"mnistq.db", "mnistq.db-wal", "report.html", "report-md/report.md"}
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        block = block.replace("$(date +%F)", "2025-01-31")
        targets.update(re.findall(r'\.backup ([^\s"]+)', block))
        for line in block.splitlines():
            line = re.sub(r'"[^"]*"', "", line.split("#", 1)[0])  # no comments, no quoted filters
            targets.update(re.findall(r"(?:^|\s)(?:-o|>)\s+([^\s<>|;]+)", line))
    return {target for target in targets if not target.startswith("~")}  # the home folder is not the repository


def test_readme_outputs_are_git_ignored() -> None:
    targets = written_by_readme_commands()
    assert {"runs.csv", "weights.npz", "report.html", "mnistq-2025-01-31.dump", "mnistq-backup.db"} <= targets
    missing = [
        target
        for target in sorted(targets)
        if subprocess.run(["git", "check-ignore", "-q", "--no-index", target], cwd=ROOT).returncode != 0
    ]
    assert not missing, f"not git-ignored: {missing}"


def test_browser_test_screenshots_are_git_ignored() -> None:
    """tests/ui/browser.py saves screenshots into tests/ui/artifacts/ when $MNISTQ_TEST_ARTIFACTS is unset."""
    target = DEFAULT_ARTIFACTS.relative_to(ROOT) / "test_x-failed.png"
    assert subprocess.run(["git", "check-ignore", "-q", "--no-index", str(target)], cwd=ROOT).returncode == 0
