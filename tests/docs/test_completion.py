"""The README's shell completion: click generates the script, and completes the lazily loaded commands."""

from __future__ import annotations

import os
import subprocess
import sys

from ..queue.helpers import ROOT


def _complete(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from scheduler.cli import main; main()"],
        env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


def test_the_bash_script_is_generated_and_completes_commands_and_options() -> None:
    script = _complete({"_MNISTQ_COMPLETE": "bash_source"})
    assert script.returncode == 0 and "_mnistq_completion" in script.stdout
    commands = _complete({"_MNISTQ_COMPLETE": "bash_complete", "COMP_WORDS": "mnistq st", "COMP_CWORD": "1"})
    assert "plain,status" in commands.stdout.splitlines()
    options = _complete({"_MNISTQ_COMPLETE": "bash_complete", "COMP_WORDS": "mnistq history 1 --fo", "COMP_CWORD": "3"})
    assert "plain,--format" in options.stdout.splitlines()
