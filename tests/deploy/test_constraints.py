"""constraints.txt, the versions the image installs, agrees with pyproject.toml and is complete."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from .compose import ROOT

CONSTRAINTS = ROOT / "constraints.txt"


def generator() -> ModuleType:
    """scripts/constraints.py, which writes constraints.txt (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("constraints_script", ROOT / "scripts" / "constraints.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pins() -> dict[str, Version]:
    """constraints.txt as {canonical name: pinned version}; every line must be an exact pin."""
    found: dict[str, Version] = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, separator, version = line.partition("==")
        assert separator and name.strip() == name, f"not an exact pin: {line!r}"
        assert canonicalize_name(name) not in found, f"pinned twice: {name}"
        found[canonicalize_name(name)] = Version(version)
    return found


def test_every_runtime_dependency_is_pinned_within_its_specifier(pins: dict[str, Version]) -> None:
    requirements = generator().runtime_requirements()
    assert {"flower", "uvicorn"} <= {r.name for r in requirements}  # the image's extras are part of what it installs
    for requirement in requirements:
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} has no pin in constraints.txt"
        assert requirement.specifier.contains(pinned, prereleases=True), f"{requirement}: pinned {pinned}"


def test_every_installed_dependency_of_a_dependency_is_pinned(pins: dict[str, Version]) -> None:
    """Names only: the venv may have been upgraded since; regenerate with scripts/constraints.py then."""
    script = generator()
    needed = script.installed_closure(script.runtime_requirements())
    assert {"kombu", "psycopg-binary", "redis", "amqp"} <= needed.keys()  # extras and second-level deps
    assert sorted(needed.keys() - pins.keys()) == []


def test_celery_and_kombu_stay_below_their_next_major() -> None:
    requirements = {r.name: r for r in generator().runtime_requirements()}
    for name in ("celery", "kombu"):
        assert not requirements[name].specifier.contains("6.0"), requirements[name]
        assert requirements[name].specifier.contains("5.9"), requirements[name]


def test_the_image_installs_with_the_constraints() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY pyproject.toml constraints.txt ./" in dockerfile
    assert "pip install -r /tmp/requirements.txt -c constraints.txt" in dockerfile
    extras = generator().IMAGE_EXTRAS
    assert {"monitor", "ui"} <= set(extras)  # Flower and the dashboard run from the image
    for extra in extras:
        assert f"optional-dependencies']['{extra}']" in dockerfile, extra
