"""Reports of awkward sweeps still render, and each affected section says why it is empty."""

from __future__ import annotations

import html

import pytest
from threadpoolctl import threadpool_limits

from db import session_scope
from model.config import TrainConfig
from model.data.prepare import prepare
from model.train import train
from report.build import build_document
from report.html import render_html

from .conftest import TINY, Trained, rows, section, store_sweep

MISSING_DATASET = "idx:/nonexistent/mnistq-report-test"


def report_of(engine, sweep_id: int) -> str:
    with session_scope(engine) as session:
        return html.unescape(render_html(build_document(session, sweep_id)))


@pytest.fixture(scope="module")
def without_val() -> list[Trained]:
    """Two tiny numpy models trained without a validation split (val_fraction = 0)."""
    out = []
    with threadpool_limits(limits=1):
        for seed in (0, 1):
            config = TrainConfig.from_dict({**TINY, "val_fraction": 0.0, "seed": seed})
            out.append(Trained(config, train(config, prepare(config))))
    return out


def numpy_runs(trained) -> list[Trained]:
    return [t for key, t in sorted(trained.items()) if key[0] == "numpy"]


def test_no_completed_runs(sqlite_store) -> None:
    page = report_of(sqlite_store, store_sweep(sqlite_store, [], name="all failed"))
    assert "no best run" in section(page, "summary")
    assert "No completed runs to rank yet." in section(page, "leaderboard")
    assert "No completed runs: no learning curves" in section(page, "curves")
    assert "only one engine (numpy)" in section(page, "engines")
    assert "No completed runs: no hyperparameter effects" in section(page, "effects")
    assert "No completed runs: there is no best run" in section(page, "best-run")
    assert section(page, "dataset").count("<img") == 4  # the dataset of the runs that failed
    assert len(rows(section(page, "failures"))) == 3


def test_runs_without_validation_split_rank_by_test_accuracy(sqlite_store, without_val) -> None:
    page = report_of(sqlite_store, store_sweep(sqlite_store, without_val, failures=False))
    leaderboard = section(page, "leaderboard")
    assert "by test accuracy" in leaderboard and "val_fraction = 0" in leaderboard
    assert [row[3] for row in rows(leaderboard)] == ["—", "—"]  # val acc column
    best = max(without_val, key=lambda t: t.result.test_acc)
    assert rows(leaderboard)[0][4] == f"{100 * best.result.test_acc:.2f}%"
    curves = section(page, "curves")
    assert curves.count("<img") == 2 and "training curves only" in curves


def test_a_single_engine_has_no_pairs(sqlite_store, trained) -> None:
    page = report_of(sqlite_store, store_sweep(sqlite_store, numpy_runs(trained), failures=False))
    assert "The sweep used only one engine (numpy): no paired configs to compare." in section(page, "engines")
    assert "<img" not in section(page, "engines")
    assert {row[0] for row in rows(section(page, "effects"))} == {"learning_rate"}
    assert "No failed, diverged or cancelled runs." in section(page, "failures")


def test_an_unavailable_dataset_is_explained(sqlite_store, trained) -> None:
    runs = numpy_runs(trained)
    sweep_id = store_sweep(sqlite_store, runs, failures=False, config_changes={"dataset": MISSING_DATASET})
    page = report_of(sqlite_store, sweep_id)
    best = section(page, "best-run")
    assert "cannot be re-scored" in best and MISSING_DATASET in best and "<img" not in best
    dataset = section(page, "dataset")
    assert f"Dataset {MISSING_DATASET} is unavailable" in dataset and "<img" not in dataset
    assert section(page, "curves").count("<img") == len(runs)  # the rest of the report is unaffected


def test_latest_is_the_newest_sweep(sqlite_store, sqlite_url, trained, mnistq, tmp_path) -> None:
    store_sweep(sqlite_store, [], name="older")
    newest = store_sweep(sqlite_store, numpy_runs(trained)[:1], name="newer & better", failures=False)
    target = tmp_path / "latest.html"
    done = mnistq("report", "latest", "-o", str(target), "--top", "1", url=sqlite_url)
    assert done.code == 0 and done.err == ""  # no progress bar when stderr is not a terminal
    assert f"sweep {newest}: wrote" in done.out
    assert "<title>Sweep 2: newer &amp; better</title>" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("99", "mnistq: error: no sweep 99; see `mnistq sweeps`"),
        ("first", "mnistq: error: sweep 'first': expected a sweep id (an integer from 1 to 2**63 - 1, see `mnistq sweeps`) or 'latest'"),
        ("latest", "mnistq: error: no sweeps in the store yet; submit one with `mnistq submit SPEC`"),
    ],
)
def test_bad_sweep_references_are_one_line_errors(
    sqlite_store, sqlite_url, mnistq, tmp_path, ref, message
) -> None:
    target = tmp_path / "never.html"
    done = mnistq("report", ref, "-o", str(target), url=sqlite_url)
    assert (done.code, done.err, done.out) == (2, message + "\n", "")
    assert not target.exists()


def test_output_into_a_missing_folder_is_a_user_error(sqlite_store, sqlite_url, mnistq, tmp_path) -> None:
    sweep_id = store_sweep(sqlite_store, [], name="x", failures=False)
    done = mnistq("report", str(sweep_id), "-o", str(tmp_path / "nope" / "r.html"), url=sqlite_url)
    assert done.code == 2 and "folder" in done.err and "nope" in done.err


def test_markdown_output_onto_a_file_is_a_user_error(sqlite_store, sqlite_url, mnistq, tmp_path) -> None:
    sweep_id = store_sweep(sqlite_store, [], name="x", failures=False)
    existing = tmp_path / "report.md"
    existing.write_text("keep me")
    done = mnistq("report", str(sweep_id), "--format", "md", "-o", str(existing), url=sqlite_url)
    assert done.code == 2 and "is a regular file: expected a new or existing folder" in done.err
    assert existing.read_text() == "keep me"
