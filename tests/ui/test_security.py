"""The dashboard's gates: read-only methods, the token rule (refusing to start without it off the loopback, and
every request carrying it), the cookie a browser gets, and secrets kept out of pages and errors."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import httpx2
import pytest
from starlette.testclient import TestClient

from db import open_store
from ui.app import create_app
from ui.security import COOKIE, session_value

from ..queue.helpers import ROOT, mnistq
from .stores import HOSTILE, TrainedStore

TOKEN = "s3cret-token-0123456789abcdef"
LOCAL = "http://127.0.0.1:8080"
HTML = {"accept": "text/html"}
PATHS = ("/", "/sweeps/1", "/runs/1", "/api/sweeps", "/api/sweeps/1/changes?since=0", "/sweeps/1/runs.csv",
         "/runs/1/weights.npz", "/login", "/auth", "/static/app.css", "/no/such/path")


@pytest.fixture
def sqlite_store(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    open_store(url, create=True)
    return url


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", PATHS)
def test_only_get_and_head_are_allowed(sqlite_store: str, method: str, path: str) -> None:
    for token in (None, TOKEN):  # refused before the token is even looked at
        client = TestClient(create_app(open_store(sqlite_store), token=token), base_url=LOCAL)
        got = client.request(method, path)
        assert got.status_code == 405 and got.headers["allow"] == "GET, HEAD"


def test_head_is_answered_like_get(sqlite_store: str) -> None:
    client = TestClient(create_app(open_store(sqlite_store)), base_url=LOCAL)
    assert client.head("/").status_code == client.get("/").status_code == 200


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "localhost", "127.0.0.2:8080"])
def test_without_a_token_it_answers_loopback_names(sqlite_store: str, host: str) -> None:
    client = TestClient(create_app(open_store(sqlite_store)))
    assert client.get("/api/sweeps", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "10.0.0.5:8080", ""])
def test_without_a_token_other_host_names_are_refused(sqlite_store: str, host: str) -> None:
    """A page of another site rebound to 127.0.0.1 (DNS rebinding) arrives under its own name: refused."""
    client = TestClient(create_app(open_store(sqlite_store)))
    got = client.get("/api/sweeps", headers={"host": host})
    assert got.status_code == 403 and "127.0.0.1" in got.text
    with_token = TestClient(create_app(open_store(sqlite_store), token=TOKEN))
    assert with_token.get("/api/sweeps", headers={"host": host or "x", "authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_without_a_token_nothing_but_the_login_page_is_served(sqlite_store: str) -> None:
    client = TestClient(create_app(open_store(sqlite_store), token=TOKEN), follow_redirects=False)
    page = client.get("/", headers=HTML)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    for path in ("/api/sweeps", "/sweeps/1/runs.csv", "/runs/1/weights.npz", "/static/common.js"):
        got = client.get(path)
        assert got.status_code == 401 and got.headers["www-authenticate"] == "Bearer"
    assert client.get("/login", headers=HTML).status_code == 200
    assert client.get("/static/app.css").status_code == 200 and client.get("/static/login.js").status_code == 200
    wrong = client.get("/api/sweeps", headers={"authorization": "Bearer not-the-token-at-all"})
    assert wrong.status_code == 401
    assert client.get("/api/sweeps?token=" + TOKEN).status_code == 401  # never read from a URL


def test_a_bearer_header_or_the_login_cookie_admits(sqlite_store: str) -> None:
    client = TestClient(create_app(open_store(sqlite_store), token=TOKEN), follow_redirects=False)
    assert client.get("/api/sweeps", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
    refused = client.get("/auth", headers={"authorization": "Bearer wrong-token-0123456789"})
    assert refused.status_code == 401 and COOKIE not in refused.headers.get("set-cookie", "")
    login = client.get("/auth", headers={"authorization": f"Bearer {TOKEN}"})
    assert login.status_code == 204
    cookie = login.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={session_value(TOKEN)};") and TOKEN not in cookie
    assert "HttpOnly" in cookie and re.search(r"SameSite=strict", cookie, re.I) and "Path=/" in cookie
    assert client.get("/", headers=HTML).status_code == 200  # the client keeps the cookie, like a browser
    forged = TestClient(create_app(open_store(sqlite_store), token=TOKEN), follow_redirects=False,
                        cookies={COOKIE: "forged"})
    assert forged.get("/", headers=HTML).status_code == 303


def test_the_token_never_appears_in_an_answer(store: TrainedStore) -> None:
    client = TestClient(create_app(open_store(store.url), token=TOKEN), raise_server_exceptions=False,
                        headers={"authorization": f"Bearer {TOKEN}"})
    for path in (*PATHS, f"/sweeps/{store.grid_sweep}?where={TOKEN}", f"/sweeps/{store.grid_sweep}?order={TOKEN}",
                 f"/api/filter?where=x%20%3D%20{TOKEN}"):
        got = client.get(path, headers=HTML)
        assert TOKEN not in got.text, path
        assert "***" in got.text or TOKEN[:10] not in got.text


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return mnistq("ui", *args, env=env, timeout=60)


def test_ui_refuses_another_address_without_a_token(sqlite_store: str) -> None:
    env = {"MNISTQ_DATABASE_URL": sqlite_store, "MNISTQ_UI_TOKEN": ""}
    done = _cli("--host", "0.0.0.0", "--port", "0", env=env)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "MNISTQ_UI_TOKEN is not set" in done.stderr and "--host 0.0.0.0" in done.stderr
    short = _cli("--host", "0.0.0.0", "--port", "0", env={**env, "MNISTQ_UI_TOKEN": "short"})
    assert short.returncode == 2 and "at least 16 characters" in short.stderr and "short" not in short.stderr.replace("MNISTQ_UI_TOKEN has 5", "")


def test_ui_reports_a_port_in_use_and_a_missing_store(sqlite_store: str, tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = _cli("--port", str(port), env={"MNISTQ_DATABASE_URL": sqlite_store})
    assert done.returncode == 2 and f"127.0.0.1:{port}: in use" in done.stderr and "Traceback" not in done.stderr
    missing = _cli(env={"MNISTQ_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"})
    assert missing.returncode == 2 and "none.db" in missing.stderr and not (tmp_path / "none.db").exists()
    bad = _cli("--port", "70000", env={"MNISTQ_DATABASE_URL": sqlite_store})
    assert bad.returncode == 2 and "70000" in bad.stderr


def test_ui_serves_until_stopped_and_masks_the_database_password(pg_url: str) -> None:
    """A real server on a free port: it prints where it listens (never the password), serves, and stops."""
    open_store(pg_url, create=True)
    scheme, rest = pg_url.split("://", 1)
    with_password = f"{scheme}://postgres:hunter2-pass@{rest.split('@', 1)[-1]}"  # trust auth ignores it
    server = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "ui", "--port", "0"], cwd=ROOT,
                              env={**os.environ, "MNISTQ_DATABASE_URL": with_password},
                              stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline()
        assert "hunter2" not in line
        address = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert address, line
        page = httpx2.get(f"http://127.0.0.1:{address.group(1)}/", headers=HTML, timeout=30)
        assert page.status_code == 200 and "hunter2" not in page.text
    finally:
        server.terminate()
        assert server.wait(timeout=60) in (0, -15)


def test_stored_config_strings_and_error_texts_are_escaped(tmp_path) -> None:
    """A CSV path and a label column (config strings) and a run's error text, all hostile, render as text."""
    from db import NewRun, session_scope
    from db.queries import claim_run, create_sweep, fail_run
    from model.config import TrainConfig

    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    engine = open_store(url, create=True)
    config = TrainConfig(dataset=f"csv:/data/{HOSTILE}.csv", label_column=HOSTILE).to_dict()
    run = NewRun(engine="numpy", config=config, config_hash="f" * 64)
    spec = {"name": HOSTILE, "grid": {"dataset": [config["dataset"]]}}
    with session_scope(engine) as session:
        sweep_id = create_sweep(session, HOSTILE, spec, [run]).sweep.id
    with session_scope(engine) as session:
        run_id = claim_run(session, 1, worker="w", lease_seconds=60, max_attempts=3).id
        fail_run(session, run_id, worker="w", error=f"ValueError: {HOSTILE}", final=True)
    client = TestClient(create_app(engine), base_url=LOCAL)
    for path in ("/", f"/sweeps/{sweep_id}", f"/sweeps/{sweep_id}?where=status%20%3D%20'failed'", f"/runs/{run_id}"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200 and HOSTILE not in page.text, path
    run_page = client.get(f"/runs/{run_id}", headers=HTML).text
    assert "ValueError: &lt;script&gt;alert(1)&lt;/script&gt;" in run_page  # the error, shown as text
    assert "csv:/data/&lt;script&gt;alert(1)&lt;/script&gt;.csv" in run_page
