"""A sweep's run order: a seed from its spec, stable across processes and Python versions."""

from __future__ import annotations

import subprocess
import sys

from adaptive import shuffled, spec_seed

SPEC = {
    "name": "asha-demo",
    "fixed": {"epochs": 27, "dataset": "digits"},
    "grid": {"seed": [0, 1, 2]},
    "search": {"strategy": "asha", "metric": "val_loss", "min_epochs": 1, "eta": 3},
}


def test_spec_seed_is_a_fixed_function_of_the_canonical_json() -> None:
    # sha256(b'{"a":1}') starts 01 5a bd 7f 5c c5 7a 2d
    assert spec_seed({"a": 1}) == 0x015ABD7F5CC57A2D
    assert spec_seed(SPEC) == 1386933570053037607
    assert spec_seed(dict(reversed(SPEC.items()))) == spec_seed(SPEC)  # key order does not matter
    assert spec_seed({**SPEC, "name": "other"}) != spec_seed(SPEC)


def test_spec_seed_is_the_same_in_another_process() -> None:
    code = f"from adaptive import spec_seed; print(spec_seed({SPEC!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "123"})
    assert int(out.stdout) == spec_seed(SPEC)


def test_shuffled_is_deterministic_and_leaves_its_input_alone() -> None:
    items = list(range(20))
    first = shuffled(items, 42)
    assert first == shuffled(items, 42) and sorted(first) == items and first != items
    assert items == list(range(20))
    assert shuffled(items, 43) != first
    assert shuffled(items, 42) == [int(i) for i in shuffled([str(i) for i in items], 42)]
