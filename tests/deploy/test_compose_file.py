"""docker-compose.yml's promises, checked on the file itself (no Docker needed)."""

from __future__ import annotations

import subprocess
from urllib.parse import urlsplit

import pytest

from core import settings

from .compose import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    ROOT,
    LocalTarget,
    compose_services,
    local_process,
    read_env_file,
)

MNISTQ_SERVICES = ("migrate", "worker", "scheduler", "flower", "ui")
SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "FLOWER_BASIC_AUTH")
REQUIRED_SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD")  # Flower's login and the ui's token: see ..._refuses_...
# Where the processes these tests start must not get to: they are expected to stop before reaching anything.
UNREACHABLE = LocalTarget(redis_url="redis://127.0.0.1:1/0", database_url="sqlite://", flower_port=1)


@pytest.fixture
def services() -> dict[str, dict]:
    return compose_services(read_env_file(ENV_EXAMPLE))


@pytest.mark.parametrize("secret", REQUIRED_SECRETS)
def test_every_store_password_must_be_set(secret: str) -> None:
    env = read_env_file(ENV_EXAMPLE)
    del env[secret]
    with pytest.raises(KeyError, match=secret):
        compose_services(env)


def test_no_secret_in_the_compose_file_or_in_git() -> None:
    text = COMPOSE_FILE.read_text()
    example = read_env_file(ENV_EXAMPLE)
    assert not [name for name in SECRETS if example[name] in text]
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert ignored.returncode == 0, ".env must be git-ignored"


def test_mnistq_services_share_one_image_and_differ_in_command(services: dict[str, dict]) -> None:
    images = {(services[name]["image"], str(services[name]["build"])) for name in MNISTQ_SERVICES}
    assert len(images) == 1
    commands = [tuple(services[name]["command"]) for name in MNISTQ_SERVICES]
    assert len(set(commands)) == len(commands)
    assert services["flower"]["command"][-1].endswith("exec celery -A worker.celery_app flower --port=5555")


def test_flower_and_the_ui_run_only_in_their_own_profiles(services: dict[str, dict]) -> None:
    assert services["flower"]["profiles"] == ["monitor"]
    assert services["ui"]["profiles"] == ["ui"]
    assert not [name for name in services if name not in ("flower", "ui") and "profiles" in services[name]]


def test_flower_refuses_to_start_without_its_login() -> None:
    """Without FLOWER_BASIC_AUTH the stack starts, but Flower exits in one line rather than serve an open
    dashboard (Flower itself would start without a login)."""
    env = read_env_file(ENV_EXAMPLE)
    del env["FLOWER_BASIC_AUTH"]
    flower = compose_services(env)["flower"]
    assert flower["environment"]["FLOWER_BASIC_AUTH"] == ""
    argv, process_env = local_process(flower, UNREACHABLE)
    done = subprocess.run(argv, env=process_env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["flower: set FLOWER_BASIC_AUTH=user:password in .env (see .env.example)"]


def test_ui_refuses_to_start_without_its_token(services: dict[str, dict]) -> None:
    """The example leaves the token empty: a plain `up` ignores it, and the ui container exits in one line
    rather than start (it listens on 0.0.0.0 inside its container, which `mnistq ui` refuses without a token)."""
    ui = services["ui"]
    assert ui["environment"]["MNISTQ_UI_TOKEN"] == ""
    assert ui["command"][ui["command"].index("--host") + 1] == "0.0.0.0"
    argv, process_env = local_process(ui, UNREACHABLE)
    done = subprocess.run(argv, env=process_env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("mnistq: error: environment MNISTQ_UI_TOKEN is not set: expected a token of at least 16")


def test_ui_publishes_its_port_on_this_host_only() -> None:
    """Whatever MNISTQ_BIND opens to worker hosts, the dashboard (plain HTTP) stays on 127.0.0.1."""
    env = read_env_file(ENV_EXAMPLE) | {"MNISTQ_BIND": "10.0.0.5"}
    assert compose_services(env)["ui"]["ports"] == ["127.0.0.1:8080:8080"]
    moved = compose_services(env | {"MNISTQ_UI_PORT": "9000"})
    assert moved["ui"]["ports"] == ["127.0.0.1:9000:8080"]
    assert moved["flower"]["ports"] == ["10.0.0.5:5555:5555"]  # the setting does apply elsewhere
    assert moved["ui"]["command"][-2:] == ["--port", "8080"]  # the container port the mapping points at


def test_ui_waits_for_the_migration_checks_its_login_page_and_gives_up_restarting(services: dict[str, dict]) -> None:
    ui = services["ui"]
    assert ui["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}  # no Redis needed
    kind, *probe = ui["healthcheck"]["test"]
    assert (kind, probe[:2]) == ("CMD", ["python", "-c"])  # the slim image has no curl
    assert "urlopen('http://127.0.0.1:8080/login'" in probe[2]
    policy, _, retries = ui["restart"].partition(":")
    assert (policy, int(retries)) == ("on-failure", 5)  # a missing token must not restart it forever


def test_ui_token_reaches_the_container_unchanged() -> None:
    token = "0123456789abcdefABCDEF0123456789"  # the shape `openssl rand -hex 16` prints, and longer
    ui = compose_services(read_env_file(ENV_EXAMPLE) | {"MNISTQ_UI_TOKEN": token})["ui"]
    assert ui["environment"]["MNISTQ_UI_TOKEN"] == token


def test_every_password_of_the_example_is_letters_and_digits(services: dict[str, dict]) -> None:
    """The example says passwords go into URLs and must be letters and digits: its own placeholders too."""
    env = read_env_file(ENV_EXAMPLE)
    _, _, flower_password = env["FLOWER_BASIC_AUTH"].partition(":")
    for password in (env["POSTGRES_PASSWORD"], env["REDIS_PASSWORD"], flower_password):
        assert password.isascii() and password.isalnum(), password


def test_worker_scales_and_takes_its_sizes_from_the_environment(services: dict[str, dict]) -> None:
    worker = services["worker"]
    assert not {"container_name", "hostname", "ports"} & worker.keys()  # N copies must not collide
    env = read_env_file(ENV_EXAMPLE) | {"MNISTQ_WORKER_CONCURRENCY": "3", "MNISTQ_BLAS_THREADS": "2"}
    sized = compose_services(env)["worker"]["environment"]
    assert (sized["MNISTQ_WORKER_CONCURRENCY"], sized["MNISTQ_BLAS_THREADS"]) == ("3", "2")


def test_worker_sizing_defaults_are_one_process_of_one_blas_thread_per_container(services: dict[str, dict]) -> None:
    """Containers scale with `--scale worker=N`, one per core; a container's thread default is mnistq's own."""
    sized = services["worker"]["environment"]
    assert sized["MNISTQ_WORKER_CONCURRENCY"] == "1"
    assert sized["MNISTQ_BLAS_THREADS"] == str(settings.read("MNISTQ_BLAS_THREADS", {})) == "1"


def test_start_order_waits_for_healthy_stores_and_the_migration(services: dict[str, dict]) -> None:
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("worker", "scheduler"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]
    assert "--maxmemory-policy noeviction" in services["redis"]["command"]
    assert "--appendonly yes" in services["redis"]["command"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])


def test_urls_point_at_the_compose_stores_with_their_credentials(services: dict[str, dict]) -> None:
    env = read_env_file(ENV_EXAMPLE)
    postgres = services["postgres"]["environment"]
    for name in MNISTQ_SERVICES:
        broker = urlsplit(services[name]["environment"]["MNISTQ_BROKER_URL"])
        assert (broker.scheme, broker.hostname, broker.port, broker.password) == (
            "redis", "redis", 6379, env["REDIS_PASSWORD"]
        )
        store = urlsplit(services[name]["environment"]["MNISTQ_DATABASE_URL"])
        assert (store.hostname, store.port, store.username, store.password, store.path) == (
            "postgres", 5432, postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], f"/{postgres['POSTGRES_DB']}"
        )


def test_other_hosts_reach_the_stores_through_the_environment() -> None:
    env = read_env_file(ENV_EXAMPLE) | {"MNISTQ_REDIS_HOST": "10.0.0.5", "MNISTQ_POSTGRES_HOST": "10.0.0.6"}
    worker_env = compose_services(env)["worker"]["environment"]
    assert urlsplit(worker_env["MNISTQ_BROKER_URL"]).hostname == "10.0.0.5"
    assert urlsplit(worker_env["MNISTQ_DATABASE_URL"]).hostname == "10.0.0.6"
