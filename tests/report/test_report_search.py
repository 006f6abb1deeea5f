"""The Adaptive search section, on a real store: a grid, an ASHA and a median-stopping sweep submitted through
`mnistq submit` in local mode on SQLite, then reported. The section's numbers are checked against the store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from db import dispose_engines, open_store, session_scope
from db.queries import list_runs, run_histories, rung_summaries, sweep_decisions
from db.status import COMPLETED, PRUNED
from report.build import build_document
from report.document import Document, Figure, Paragraph, Section, Table
from report.html import render_html
from report.markdown import render_markdown
from report.plots.search import Trace, search_curves_png

from .conftest import WHEN, rows, section
from .test_report_html import SECTION_IDS

ROOT = Path(__file__).resolve().parents[2]
RATES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]  # 3 and 10 blow up on digits: pruned at once
FIXED = '[fixed]\ndataset = "digits"\nhidden = [16]\nepochs = 9\n'
GRID = f'name = "plain"\n{FIXED}[grid]\nlearning_rate = [0.1, 0.3]\n'  # two configs the ASHA sweep reuses
ASHA = f'name = "asha"\n{FIXED}[grid]\nlearning_rate = {RATES}\n[search]\nstrategy = "asha"\neta = 3\n'
MEDIAN = (
    f'name = "median"\n{FIXED}seed = 1\n[grid]\nlearning_rate = {RATES}\n[search]\nstrategy = "median"\n'
)


@dataclass(frozen=True)
class Store:
    url: str
    grid: int
    asha: int
    median: int


def submit(url: str, spec: Path) -> int:
    """`mnistq submit SPEC --workers 1` in local mode: one process, so the rung decisions are reproducible."""
    env = {**os.environ, "MNISTQ_DATABASE_URL": url, "MNISTQ_BROKER_URL": "", "MNISTQ_BLAS_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "submit", str(spec), "--workers", "1", "--json"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    return int(json.loads(done.stdout)["sweep_id"])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("search")
    url = f"sqlite:///{folder / 'store.db'}"
    ids = []
    for name, text in (("grid", GRID), ("asha", ASHA), ("median", MEDIAN)):
        spec = folder / f"{name}.toml"
        spec.write_text(text)
        ids.append(submit(url, spec))
    yield Store(url, *ids)
    dispose_engines()


def document(store: Store, sweep_id: int) -> Document:
    with session_scope(open_store(store.url)) as session:
        return build_document(session, sweep_id, generated_at=WHEN)


def search_of(doc: Document) -> Section:
    found = [s for s in doc.sections if s.id == "search"]
    assert len(found) == 1
    return found[0]


def expected_rung_rows(store: Store, sweep_id: int) -> list[tuple[str, ...]]:
    with session_scope(open_store(store.url)) as session:
        summaries = rung_summaries(sweep_decisions(session, sweep_id))
    return [(str(s.rung), str(s.arrived), str(s.kept), str(s.pruned), str(s.diverged)) for s in summaries]


def spend(store: Store, sweep_id: int) -> tuple[int, int, list]:
    """(epochs stored, epochs configured, runs) of the sweep, straight from the store."""
    with session_scope(open_store(store.url)) as session:
        runs = list_runs(session, sweep_id=sweep_id, order_by="id")
        histories = run_histories(session, [run.id for run in runs])
    return sum(len(h) for h in histories.values()), sum(run.config["epochs"] for run in runs), runs


def text_of(sect: Section) -> str:
    return " ".join(block.text for block in sect.blocks if isinstance(block, Paragraph))


@pytest.mark.slow
def test_a_grid_sweep_has_no_search_section(store: Store) -> None:
    doc = document(store, store.grid)
    assert tuple(s.id for s in doc.sections) == SECTION_IDS
    assert "pruned" not in doc.subtitle


@pytest.mark.slow
def test_asha_section_matches_the_store(store: Store) -> None:
    doc = document(store, store.asha)
    assert [s.id for s in doc.sections][:3] == ["summary", "leaderboard", "search"]
    sect = search_of(doc)
    (table,) = [b for b in sect.blocks if isinstance(b, Table)]
    expected = expected_rung_rows(store, store.asha)
    assert [row[:5] for row in table.rows] == expected
    assert [row[0] for row in table.rows] == ["1", "3"]  # the rungs of 9 epochs with eta 3
    pruned_at = {int(row[0]): int(row[3]) for row in table.rows}
    assert sum(pruned_at.values()) >= 1  # 3.0 and 10.0 blow up at epoch 1
    text = text_of(sect)
    assert "ASHA on val_loss (lower is better), min_epochs 1, eta 3" in text
    assert "epochs 1, 3 of 9" in text
    assert "; ".join(f"{n} at epoch {rung}" for rung, n in pruned_at.items()) in text
    _, _, runs = spend(store, store.asha)
    pruned = [run for run in runs if run.status == PRUNED]
    assert f"Of 9 runs: {sum(run.status == COMPLETED for run in runs)} completed, {len(pruned)} pruned" in text
    assert "2 runs have no decision of this sweep (2 reused from earlier sweeps, 0 not judged yet" in text
    assert int(table.rows[0][1]) == 9 - 2  # the reused runs, trained before, never reach this sweep's rungs
    assert f"· {len(pruned)} pruned ·" in doc.subtitle


@pytest.mark.slow
def test_the_winner_is_the_best_completed_run_by_the_plan_metric(store: Store) -> None:
    doc = document(store, store.asha)
    _, _, runs = spend(store, store.asha)
    completed = [run for run in runs if run.status == COMPLETED and run.val_loss is not None]
    best = min(completed, key=lambda run: (run.val_loss, run.id))
    assert f"Winner: run {best.id} (learning_rate=" in text_of(search_of(doc))
    pruned_ids = {str(run.id) for run in runs if run.status == PRUNED}
    html = render_html(doc)
    leaderboard_ids = {row[1] for row in rows(section(html, "leaderboard"))}
    failure_ids = {row[0] for row in rows(section(html, "failures"))}
    assert leaderboard_ids and not leaderboard_ids & pruned_ids  # pruned runs' early metrics never rank
    assert not failure_ids & pruned_ids  # pruning is no failure
    assert dict(rows(section(html, "summary"))[:8])["pruned"] == str(len(pruned_ids)) != "0"


@pytest.mark.slow
def test_epochs_spent_against_the_full_grid_count_reused_runs(store: Store) -> None:
    trained, planned, runs = spend(store, store.asha)
    assert trained < planned == 9 * len(RATES)  # the pruned runs stopped early
    reused = [run for run in runs if run.sweep_id != store.asha]
    assert len(reused) == 2  # the grid sweep's two configs, trained in full before
    text = text_of(search_of(document(store, store.asha)))
    assert f"Trained {trained:,} of the {planned:,} epochs ({100 * trained / planned:.0f} %)" in text
    assert "2 of the runs were created by earlier sweeps and reused here; their 18 stored epochs" in text


@pytest.mark.slow
def test_median_section_has_no_rung_lines_and_matches_the_store(store: Store) -> None:
    sect = search_of(document(store, store.median))
    (table,) = [b for b in sect.blocks if isinstance(b, Table)]
    assert [row[:5] for row in table.rows] == expected_rung_rows(store, store.median)
    assert {row[0] for row in table.rows} <= {str(e) for e in range(2, 9)}  # judged after epochs 2..8
    text = text_of(sect)
    assert "Median stopping on val_loss" in text and "after every epoch from 2 to 8 of 9" in text
    (figure,) = [b for b in sect.blocks if isinstance(b, Figure)]
    assert "judges every epoch after min_epochs 1" in figure.caption
    trained, planned, _ = spend(store, store.median)
    assert f"Trained {trained:,} of the {planned:,} epochs" in text and "reused" not in text


@pytest.mark.slow
def test_html_and_markdown_both_render_the_section(store: Store) -> None:
    doc = document(store, store.asha)
    (figure,) = [b for b in search_of(doc).blocks if isinstance(b, Figure)]
    assert figure.name == "search-curves" and figure.png.startswith(b"\x89PNG\r\n\x1a\n")
    html = render_html(doc)
    assert 'href="#search"' in html and "3. Adaptive search" in html
    fragment = section(html, "search")
    assert fragment.count("<img") == 1
    assert rows(fragment) == [list(row) for row in search_of(doc).blocks[3].rows]
    text, files = render_markdown(doc)
    assert '<a id="search"></a>\n\n## 3. Adaptive search' in text
    assert "](search-curves.png)" in text and files["search-curves.png"] == figure.png
    rung_lines = re.findall(r"^\| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| [^|]+ \|$", text, re.MULTILINE)
    assert [list(line) for line in rung_lines] == [list(r) for r in expected_rung_rows(store, store.asha)]


def test_the_figure_stays_one_picture_for_hundreds_of_runs() -> None:
    """300 runs of every kind, a blow-up to 1e31, a diverged run with no finite value and an empty history."""
    rng = np.random.default_rng(0)
    kinds = ("completed", "pruned", "diverged", "other")
    traces = [
        Trace(i, np.exp(-np.arange(1, 1 + int(rng.integers(1, 28))) * rng.uniform(0.01, 0.3)), kinds[i % 4])
        for i in range(300)
    ]
    traces += [
        Trace(300, np.array([2.0, 1e31]), "pruned"),
        Trace(301, np.array([np.nan]), "diverged"),
        Trace(302, np.array([]), "other"),
    ]
    picture = search_curves_png(traces, "validation loss", loss=True, rungs=(1, 3, 9), winner=0)
    assert picture.startswith(b"\x89PNG\r\n\x1a\n")
    accuracy = search_curves_png(traces[:10], "validation accuracy", loss=False)
    assert accuracy.startswith(b"\x89PNG\r\n\x1a\n")
