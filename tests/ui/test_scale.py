"""The dashboard at 10,000 runs, on SQLite and PostgreSQL: the leaderboard pages through all of them in order,
the last page is the last, filters count right, plots that draw every run keep the best 1,000 and say so, and the
change endpoint sends only what was written since the client's cursor."""

from __future__ import annotations

import math
import time

import pytest
from starlette.testclient import TestClient

from bench.ui_store import seed_store
from db import open_store, session_scope
from db.queries import claim_run, count_runs, finish_run, heartbeat, list_runs, upsert_epoch
from ui.app import create_app
from ui.data import PAGE_SIZE

RUNS = 10_000


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def big_store(request, tmp_path_factory):
    from .stores import postgres_database

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('big') / 'big.db'}"
        yield url, seed_store(url, runs=RUNS, epochs=2, running=4)
        return
    for url in postgres_database(request.getfixturevalue("pg_admin_url")):
        yield url, seed_store(url, runs=RUNS, epochs=2, running=4)


@pytest.fixture
def client(big_store) -> TestClient:
    return TestClient(create_app(open_store(big_store[0])), raise_server_exceptions=False, base_url="http://127.0.0.1:8080")


def test_the_leaderboard_pages_through_ten_thousand_runs(client: TestClient, big_store) -> None:
    url, sweep = big_store
    pages = math.ceil(RUNS / PAGE_SIZE)
    first = client.get(f"/api/sweeps/{sweep}/runs").json()
    assert (first["total"], first["pages"], len(first["rows"])) == (RUNS, pages, PAGE_SIZE)
    last = client.get(f"/api/sweeps/{sweep}/runs", params={"page": pages}).json()
    assert len(last["rows"]) == RUNS - (pages - 1) * PAGE_SIZE
    past = client.get(f"/api/sweeps/{sweep}/runs", params={"page": pages + 1})
    assert past.status_code == 404 and f"page {pages + 1} is past the end: {RUNS} runs match" in past.json()["error"]
    with session_scope(open_store(url)) as session:
        expected = [r.id for r in list_runs(session, sweep_id=sweep, order_by="-val_acc", limit=PAGE_SIZE, offset=PAGE_SIZE * 7)]
        matching = count_runs(session, sweep_id=sweep, where="learning_rate < 0.05 and batch_size >= 128")
    middle = client.get(f"/api/sweeps/{sweep}/runs", params={"page": 8}).json()
    assert [row["id"] for row in middle["rows"]] == expected
    scores = [row["val_acc"] for row in first["rows"]]
    assert scores == sorted(scores, reverse=True)
    filtered = client.get(f"/api/sweeps/{sweep}/runs",
                          params={"where": "learning_rate < 0.05 and batch_size >= 128", "order": "batch_size,-id"}).json()
    assert filtered["total"] == matching > 0
    assert all(r["params"]["learning_rate"] < 0.05 and r["params"]["batch_size"] >= 128 for r in filtered["rows"])
    page = client.get(f"/sweeps/{sweep}", params={"page": pages}, headers={"accept": "text/html"})
    assert page.status_code == 200
    unscored = client.get(f"/api/runs/{first['rows'][0]['id']}/analysis")  # seeded runs have no weights
    assert unscored.status_code == 404 and "has no final weights" in unscored.json()["error"]


def test_plots_of_every_run_keep_the_best_thousand_and_say_so(client: TestClient, big_store) -> None:
    _, sweep = big_store
    effects = client.get(f"/api/sweeps/{sweep}/effects").json()
    assert effects["shown"] == 1000 and effects["completed"] > 9000
    worst_shown = min(y for key in effects["keys"][:1] for y in key["y"])
    best = client.get(f"/api/sweeps/{sweep}/runs", params={"page": 20}).json()["rows"]  # ranks 951-1000
    assert worst_shown == pytest.approx(best[-1]["val_acc"])


def poll(client: TestClient, sweep: int, answer: dict) -> dict:
    """The next answer of the changes endpoint, asked as the page asks: from the previous `answer`."""
    params = {"since": answer["cursor"], "seen": answer["seen"]}
    return client.get(f"/api/sweeps/{sweep}/changes", params=params).json()


def summary_sent(client: TestClient, sweep: int, answer: dict, timeout: float = 120) -> dict:
    """Poll on from `answer` until an answer carries a summary (the one refreshed in the background)."""
    deadline = time.monotonic() + timeout
    while (answer := poll(client, sweep, answer))["sweep"] is None:
        assert time.monotonic() < deadline, "no new summary was sent"
        time.sleep(0.1)
    return answer


def test_changes_carry_only_what_was_written_since_the_cursor(client: TestClient, big_store) -> None:
    url, sweep = big_store
    body = client.get(f"/api/sweeps/{sweep}/changes", params={"since": 0}).json()
    assert body["reload"] is True  # everything changed since 0: too much to send piecemeal
    assert body["sweep"]["total"] == RUNS  # the first summary of the sweep, computed there and then
    quiet = poll(client, sweep, body)
    assert quiet["runs"] == [] and quiet["epochs"] == [] and quiet["sweep"] is None and not quiet["reload"]
    engine = open_store(url)
    with session_scope(engine) as session:
        queued = list_runs(session, sweep_id=sweep, where="status = 'queued'", limit=1)[0]
        claim_run(session, queued.id, worker="test-worker", lease_seconds=60, max_attempts=3)
    with session_scope(engine) as session:
        upsert_epoch(session, queued.id, {"epoch": 1, "train_loss": 0.5, "train_acc": 0.8, "val_loss": 0.6,
                                          "val_acc": 0.75, "seconds": 0.2})
        heartbeat(session, queued.id, "test-worker")
    changed = poll(client, sweep, quiet)
    assert [row["id"] for row in changed["runs"]] == [queued.id] and changed["runs"][0]["status"] == "running"
    assert [(e["run_id"], e["epoch"], e["val_acc"]) for e in changed["epochs"]] == [(queued.id, 1, 0.75)]
    # that poll saw changes: a new summary is computed in the background, and a later poll carries it, once
    refreshed = summary_sent(client, sweep, changed)
    assert refreshed["sweep"]["counts"]["running"] == 5 and refreshed["runs"] == []
    with session_scope(engine) as session:
        heartbeat(session, queued.id, "test-worker")  # a heartbeat alone is no news
    after = poll(client, sweep, refreshed)
    assert after["runs"] == [] and after["epochs"] == []
    # no new summary either, unless one was refreshed for its age meanwhile (a training sweep's ETA moves on)
    assert after["sweep"] is None or after["sweep"]["counts"] == refreshed["sweep"]["counts"]


def test_analyses_are_kept_until_a_run_completes(client: TestClient, big_store) -> None:
    url, sweep = big_store
    before = client.get(f"/api/sweeps/{sweep}/effects").json()
    assert client.get(f"/api/sweeps/{sweep}/effects").json() == before  # kept: the same state, the same answer
    engine = open_store(url)
    with session_scope(engine) as session:
        run = list_runs(session, sweep_id=sweep, where="status = 'queued'", order_by="-id", limit=1)[0]
        claim_run(session, run.id, worker="test-worker", lease_seconds=60, max_attempts=3)
    with session_scope(engine) as session:
        finish_run(session, run.id, worker="test-worker", status="completed",
                   metrics={"val_acc": 0.9999, "test_acc": 0.99, "val_loss": 0.01, "best_epoch": 2})
    after = client.get(f"/api/sweeps/{sweep}/effects").json()
    assert after["completed"] == before["completed"] + 1
    assert after["keys"][0]["run"][0] == run.id  # the new best run leads every plot
    pairs = client.get(f"/api/sweeps/{sweep}/pairs").json()
    assert pairs["metric"] == "val_acc"
