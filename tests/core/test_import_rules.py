"""The one-way import direction between our packages, checked on the source: core (the leaf: errors, settings, masking) imports
nothing of ours and every package may import it; adaptive (the search plan and pruning rules) imports only core;
model and db import nothing else of ours, worker uses model, db and adaptive, scheduler uses db and adaptive (and
the pure-Python model.config), report reads db, model and adaptive, and ui (the dashboard) reads db, report and
adaptive."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"core", "adaptive", "model", "db", "worker", "scheduler", "report", "ui"}

# package -> the modules of ours it may import (a prefix match: "model" allows model.anything)
ALLOWED: dict[str, set[str]] = {
    "core": {"core"},
    "adaptive": {"core", "adaptive"},
    "model": {"core", "model"},
    "db": {"core", "db"},
    "worker": {"core", "worker", "model", "db", "adaptive"},
    # model.data: `submit` validates csv:/idx: files with the training loaders (data validation, not training)
    "scheduler": {"core", "scheduler", "db", "model.config", "model.data", "adaptive"},
    "report": {"core", "report", "db", "model", "adaptive"},
    # the dashboard reads the store and reuses the report's analyses; nothing of ours imports it
    "ui": {"core", "ui", "db", "report", "adaptive"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _is_allowed(name: str, allowed: set[str]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_go_one_way(package: str) -> None:
    violations = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for lineno, name in _imports(path):
            top = name.split(".")[0]
            if top not in OURS:
                continue
            # `from model import config` yields "model" and "model.config"; judge the most specific form
            if name == top and any(n.startswith(top + ".") for ln, n in _imports(path) if ln == lineno):
                continue
            if not _is_allowed(name, ALLOWED[package]):
                violations.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
    assert not violations, "\n".join(violations)


def test_front_door_imports_no_command_module() -> None:
    """scheduler/cli.py routes by name; importing it must not import training code."""
    import subprocess
    import sys

    code = f"import sys, scheduler.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in {OURS!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = [name for name in eval(out.stdout) if not name.startswith("core")]
    assert loaded == ["scheduler", "scheduler.cli"]
