"""The dashboard over HTTP (Starlette's TestClient), on SQLite and on PostgreSQL: every page and endpoint on a
store trained for real, stored text escaped everywhere, downloads equal to the CLI's, and 4xx with the one-line
reason for every bad parameter."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from starlette.testclient import TestClient

from db import FilterError, open_store, session_scope
from db.export import runs_csv
from db.filters import parse_where
from db.queries import get_run, list_runs, load_artifact, sweep_run_ids
from ui.app import create_app
from ui.vendor import plotly_file

from .stores import HOSTILE, TrainedStore

HTML = {"accept": "text/html"}


@pytest.fixture
def client(store: TrainedStore) -> TestClient:
    return TestClient(create_app(open_store(store.url)), raise_server_exceptions=False, base_url="http://127.0.0.1:8080")


def reason(page: str) -> str:
    found = re.search(r'<p class="error" id="reason">(.*?)</p>', page, re.S)
    assert found, page[:500]
    return found.group(1)


def initial(page: str) -> dict:
    found = re.search(r'<script id="initial" type="application/json">(.*?)</script>', page, re.S)
    assert found
    return json.loads(found.group(1))


def test_sweeps_page_lists_every_sweep_with_counts(client: TestClient, store: TrainedStore) -> None:
    page = client.get("/", headers=HTML)
    assert page.status_code == 200
    data = initial(page.text)
    by_id = {s["id"]: s for s in data["sweeps"]}
    assert set(by_id) == {store.grid_sweep, store.asha_sweep}
    grid = by_id[store.grid_sweep]
    assert grid["name"] == HOSTILE and grid["counts"]["completed"] == grid["total"] == 8
    assert grid["progress"] == 1.0 and grid["eta_seconds"] is None and 0.5 < grid["best_val_acc"] <= 1
    assert by_id[store.asha_sweep]["strategy"] == "asha" and by_id[store.asha_sweep]["counts"]["pruned"] > 0
    assert isinstance(data["cursor"], int)


@pytest.mark.parametrize("path", ["/", "/sweeps/{grid}", "/sweeps/{grid}?where=engine%20%3D%20'numpy'",
                                  "/runs/{run}", "/login", "/sweeps/{grid}?page=9"])
def test_stored_text_is_escaped_on_every_page(client: TestClient, store: TrainedStore, path: str) -> None:
    with session_scope(open_store(store.url)) as session:
        run = sweep_run_ids(session, store.grid_sweep)[0]
    page = client.get(path.format(grid=store.grid_sweep, run=run), headers=HTML)
    assert HOSTILE not in page.text and "<script>alert" not in page.text
    if "sweeps/" in path and "page=9" not in path:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text  # shown, as text


def test_sweep_page_has_the_leaderboard_curves_and_downloads(client: TestClient, store: TrainedStore) -> None:
    page = client.get(f"/sweeps/{store.grid_sweep}", headers=HTML)
    assert page.status_code == 200
    data = initial(page.text)
    board = data["board"]
    assert board["total"] == 8 and board["pages"] == 1 and board["order"] == "-val_acc"
    accuracies = [row["val_acc"] for row in board["rows"]]
    assert accuracies == sorted(accuracies, reverse=True)
    assert set(board["columns"]) == {"hidden", "learning_rate"}
    assert len(data["curves"]) == 5 and all(len(c["epochs"]) == 3 for c in data["curves"])
    assert data["rungs"] is None
    for link in ("report.html", "runs.csv", "runs.json"):
        assert f'href="/sweeps/{store.grid_sweep}/{link}"' in page.text


def test_filter_and_order_use_the_runs_language(client: TestClient, store: TrainedStore) -> None:
    got = client.get(f"/api/sweeps/{store.grid_sweep}/runs", params={"where": "engine = 'sklearn'", "order": "learning_rate"})
    assert got.status_code == 200
    body = got.json()
    assert body["total"] == 4 and {r["engine"] for r in body["rows"]} == {"sklearn"}
    rates = [r["params"]["learning_rate"] for r in body["rows"]]
    assert rates == sorted(rates)


@pytest.mark.parametrize("where", ["val_acc >", "nosuch = 1", "engine = 'numpy' and", "hidden ~ 3"])
def test_a_bad_filter_is_a_400_with_the_cli_one_line_error(client: TestClient, store: TrainedStore, where: str) -> None:
    with pytest.raises(FilterError) as expected:
        parse_where(where)
    page = client.get(f"/sweeps/{store.grid_sweep}", params={"where": where}, headers=HTML)
    assert page.status_code == 400
    shown = reason(page.text)
    assert "\n" not in shown and shown.startswith(str(expected.value)[:60].replace("'", "&#39;"))
    api = client.get(f"/api/sweeps/{store.grid_sweep}/runs", params={"where": where})
    assert api.status_code == 400 and api.json()["error"].startswith(str(expected.value)[:60])
    check = client.get("/api/filter", params={"where": where})
    assert check.status_code == 200 and check.json()["error"].startswith(str(expected.value)[:60])
    assert client.get("/api/filter", params={"where": "val_acc > 0.5"}).json() == {"error": None}


@pytest.mark.parametrize(("path", "status", "says"), [
    ("/sweeps/9999", 404, "no sweep 9999"),
    ("/runs/99999", 404, "run 99999"),
    ("/sweeps/{grid}?page=2", 404, "page 2 is past the end: 8 runs match, on 1 page of 50"),
    ("/sweeps/{grid}?page=0", 400, "page = 0: expected a page number from 1"),
    ("/sweeps/{grid}?page=x", 400, "page = &#39;x&#39;: expected a page number from 1"),
    ("/sweeps/{grid}?order=nosuch", 400, "unknown field &#39;nosuch&#39;"),
    ("/no/such/page", 404, "no page at /no/such/page"),
    ("/sweeps/abc", 404, "no page at /sweeps/abc"),
])
def test_bad_parameters_get_a_4xx_page_with_the_reason(client: TestClient, store: TrainedStore, path: str,
                                                      status: int, says: str) -> None:
    page = client.get(path.format(grid=store.grid_sweep), headers=HTML)
    assert page.status_code == status
    assert says in reason(page.text) and "Traceback" not in page.text


@pytest.mark.parametrize(("path", "status"), [
    ("/api/sweeps/9999/changes?since=0", 404), ("/api/sweeps/{grid}/changes?since=-1", 400),
    ("/api/sweeps/{grid}/changes", 400), ("/api/runs/99999/history", 404), ("/api/sweeps/9999/effects", 404),
    ("/api/sweeps/9999/pairs", 404), ("/api/sweeps?since=abc", 400), ("/sweeps/9999/runs.csv", 404),
    ("/runs/99999/weights.npz", 404), ("/static/vendor/plotly-0.0.0.min.js", 404),
])
def test_bad_api_parameters_get_a_json_4xx(client: TestClient, store: TrainedStore, path: str, status: int) -> None:
    got = client.get(path.format(grid=store.grid_sweep))
    assert got.status_code == status
    if path.startswith("/api/"):
        assert got.json()["error"] and "\n" not in got.json()["error"]


def test_run_page_and_its_analysis(client: TestClient, store: TrainedStore) -> None:
    with session_scope(open_store(store.url)) as session:
        run = get_run(session, sweep_run_ids(session, store.grid_sweep)[0])
    page = client.get(f"/runs/{run.id}", headers=HTML)
    assert page.status_code == 200
    view = initial(page.text)
    assert view["run"]["status"] == "completed" and view["run"]["attempts"] == 1
    assert view["config"]["dataset"] == "digits" and view["config"]["hidden"] == json.dumps(run.config["hidden"])
    assert [e["epoch"] for e in view["history"]] == [1, 2, 3] and view["analysable"]
    analysis = client.get(f"/api/runs/{run.id}/analysis").json()
    confusion = np.array(analysis["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == analysis["n_test"] > 0
    assert analysis["n_mistakes"] == analysis["n_test"] - np.trace(confusion)
    assert analysis["test_acc"] == pytest.approx(run.test_acc, abs=1e-6)
    assert analysis["mistakes_png"].startswith("data:image/png;base64,")


def test_downloads_match_the_cli(client: TestClient, store: TrainedStore) -> None:
    engine = open_store(store.url)
    with session_scope(engine) as session:
        runs = list_runs(session, sweep_id=store.grid_sweep)
        weights = load_artifact(session, runs[0].id, "final")
    csv = client.get(f"/sweeps/{store.grid_sweep}/runs.csv")
    assert csv.status_code == 200 and csv.text == runs_csv(runs)
    assert "attachment" in csv.headers["content-disposition"]
    listed = client.get(f"/sweeps/{store.grid_sweep}/runs.json").json()
    assert [row["id"] for row in listed] == [run.id for run in runs] and listed[0]["config"] == runs[0].config
    npz = client.get(f"/runs/{runs[0].id}/weights.npz")
    assert npz.content == weights
    with np.load(io.BytesIO(npz.content), allow_pickle=False) as loaded:
        assert {"W1", "b1", "norm_mean", "norm_std"} <= set(loaded.files)
    report = client.get(f"/sweeps/{store.grid_sweep}/report.html")
    assert report.status_code == 200 and report.text.lstrip().lower().startswith("<!doctype html")
    assert HOSTILE not in report.text


def test_adaptive_sweep_shows_its_rungs(client: TestClient, store: TrainedStore) -> None:
    data = initial(client.get(f"/sweeps/{store.asha_sweep}", headers=HTML).text)
    rungs = data["rungs"]
    assert rungs["strategy"] == "asha" and rungs["metric"] == "val_loss"
    first = rungs["rungs"][0]
    assert first["rung"] == 1 and first["arrived"] == 6 and first["pruned"] > 0
    assert first["continued"] + first["pruned"] + first["diverged"] == first["arrived"]
    pruned = client.get(f"/api/sweeps/{store.asha_sweep}/runs", params={"where": "status = 'pruned'"}).json()
    assert pruned["total"] == data["sweep"]["counts"]["pruned"] > 0


def test_effects_and_pairs(client: TestClient, store: TrainedStore) -> None:
    effects = client.get(f"/api/sweeps/{store.grid_sweep}/effects").json()
    assert effects["shown"] == effects["completed"] == 8
    keys = {k["key"]: k for k in effects["keys"]}
    assert set(keys) == {"engine", "hidden", "learning_rate"}
    assert sorted(set(keys["learning_rate"]["x"])) == [0.05, 0.2] and len(keys["engine"]["run"]) == 8
    pairs = client.get(f"/api/sweeps/{store.grid_sweep}/pairs").json()["pairs"]
    assert len(pairs) == 4 and all(len(p["numpy"]["runs"]) == len(p["sklearn"]["runs"]) == 1 for p in pairs)


def test_the_chart_library_is_served_by_the_app(client: TestClient) -> None:
    page = client.get("/sweeps/1", headers=HTML).text
    script = re.search(r'<script src="(/static/vendor/plotly-[^"]+\.min\.js)"></script>', page).group(1)
    got = client.get(script)
    assert got.status_code == 200 and "javascript" in got.headers["content-type"]
    assert got.headers["content-encoding"] == "gzip" and got.content == plotly_file().read_bytes()
    assert "immutable" in got.headers["cache-control"] and len(got.content) > 1_000_000
    plain = client.get(script, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == got.content
    assert not re.search(r'(src|href)="(https?:)?//', page)  # no other host, no CDN


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    got = client.get("/", headers=HTML)
    assert "default-src 'self'" in got.headers["content-security-policy"]
    assert got.headers["x-content-type-options"] == "nosniff" and got.headers["x-frame-options"] == "DENY"
