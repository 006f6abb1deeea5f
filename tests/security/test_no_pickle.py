"""No pickle on load, anywhere in the product: a static check of every source file, so a new `np.load` without
`allow_pickle=False` (or a pickle-based loader) cannot slip in. The runtime refusals are tested in
tests/model/test_weights_io.py (object arrays) and test_pickle_message.py (task messages)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("model", "db", "worker", "scheduler", "report")
UNSAFE_MODULES = {"pickle", "cPickle", "dill", "joblib", "marshal", "shelve"}


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _problems(path: Path) -> list[str]:
    """'file:line: what' for each pickle-capable import or numpy load that may unpickle."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        where = f"{path}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found += [f"{where}: imports {n}" for n in names if n.split(".")[0] in UNSAFE_MODULES]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load":
            owner = ast.unparse(node.func.value)
            safe = any(k.arg == "allow_pickle" and ast.unparse(k.value) == "False" for k in node.keywords)
            if owner in ("np", "numpy") and not safe:
                found.append(f"{where}: {owner}.load without allow_pickle=False")
    return found


def test_the_product_never_unpickles() -> None:
    sources = _sources()
    assert len(sources) > 50  # the walk found the packages
    assert [problem for path in sources for problem in _problems(path)] == []


def test_the_check_catches_what_it_looks_for(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import pickle\nimport numpy as np\nnp.load('w.npz')\nnp.load('w.npz', allow_pickle=True)\n")
    problems = [p.split(": ", 1)[1] for p in _problems(bad)]
    assert problems == ["imports pickle", "np.load without allow_pickle=False", "np.load without allow_pickle=False"]
