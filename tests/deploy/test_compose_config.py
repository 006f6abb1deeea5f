"""`docker-compose config` (Debian's docker-compose; no Docker engine needed) accepts the compose file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .compose import ENV_EXAMPLE, ROOT

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def docker_compose(env_file: Path, home: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose [options] config` with only `env_file` as the source of variables (not the caller's
    shell)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        message = "docker-compose is not installed (apt-get install docker-compose)"
        if IN_CI:
            pytest.fail(f"{message}; CI=true requires it", pytrace=False)
        pytest.skip(message)
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
    return subprocess.run(
        [binary, "--env-file", str(env_file), *options, "config"],
        cwd=ROOT, env=clean_env, capture_output=True, text=True, timeout=60,
    )


def test_config_accepts_the_file_with_the_example_env(tmp_path: Path) -> None:
    done = docker_compose(ENV_EXAMPLE, home=tmp_path)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)["services"]
    assert set(resolved) == {"redis", "postgres", "migrate", "worker", "scheduler", "flower", "ui"}
    assert resolved["worker"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_config_refuses_to_run_without_passwords(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    done = docker_compose(empty, home=tmp_path)
    assert done.returncode != 0
    assert "PASSWORD in .env (see .env.example)" in done.stderr


@pytest.mark.parametrize("options", [(), ("--profile", "monitor"), ("--profile", "ui")], ids=["plain", "monitor", "ui"])
def test_config_needs_no_flower_login_nor_ui_token(tmp_path: Path, options: tuple[str, ...]) -> None:
    """A plain `up` must not ask for Flower's login or the dashboard's token; with their profiles the
    containers refuse instead."""
    example = ENV_EXAMPLE.read_text().splitlines()
    without = tmp_path / "no-login.env"
    without.write_text("\n".join(line for line in example if not line.startswith(("FLOWER_BASIC_AUTH=", "MNISTQ_UI_TOKEN="))))
    done = docker_compose(without, tmp_path, *options)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)["services"]
    assert resolved["flower"]["profiles"] == ["monitor"]
    assert resolved["flower"]["environment"]["FLOWER_BASIC_AUTH"] == ""
    assert resolved["ui"]["profiles"] == ["ui"]
    assert resolved["ui"]["environment"]["MNISTQ_UI_TOKEN"] == ""


def test_config_publishes_the_ui_on_this_host_only(tmp_path: Path) -> None:
    env_file = tmp_path / "bound.env"
    env_file.write_text(ENV_EXAMPLE.read_text() + "\nMNISTQ_BIND=10.0.0.5\nMNISTQ_UI_PORT=9000\n")
    done = docker_compose(env_file, tmp_path, "--profile", "ui")
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)["services"]
    assert [str(port).removesuffix("/tcp") for port in resolved["ui"]["ports"]] == ["127.0.0.1:9000:8080"]
