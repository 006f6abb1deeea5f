"""The HTML report of a real stored sweep: every section, its plots, escaping, and nothing fetched."""

from __future__ import annotations

import base64
import html
import re

import pytest

from .conftest import HOSTILE_ERROR, HOSTILE_NAME, Page, rows, section

SECTION_IDS = ("summary", "leaderboard", "curves", "engines", "effects", "best-run", "dataset", "failures")
# histogram + 8 learning curves + engine scatter + 2 engine curves + effects + confusion + mistakes + 4 dataset
EXPECTED_IMAGES = 19


def test_every_section_in_order_with_a_toc_link(page: Page) -> None:
    positions = [page.html.index(f'<section id="{sid}">') for sid in SECTION_IDS]
    assert positions == sorted(positions)
    for sid in SECTION_IDS:
        assert f'href="#{sid}"' in page.html


def test_plots_are_embedded_pngs(page: Page) -> None:
    sources = re.findall(r'<img src="([^"]*)"', page.html)
    assert len(sources) == EXPECTED_IMAGES
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    curves = section(page.html, "curves")
    assert curves.count("<img") == 8  # one panel per completed run (top 10 of 8)


def test_nothing_is_fetched_and_no_script_runs(page: Page) -> None:
    references = re.findall(r'(?:src|href)="([^"]*)"', page.html)
    assert references and all(ref.startswith(("data:", "#")) for ref in references)
    assert not re.search(r"https?://|url\(|@import", page.html)
    assert "<script" not in page.html.lower()


def test_user_text_is_escaped(page: Page) -> None:
    assert HOSTILE_NAME not in page.html
    assert html.escape(HOSTILE_NAME) in page.html
    assert "<img src=x" not in page.html
    assert html.escape(HOSTILE_ERROR) in section(page.html, "failures")


def test_summary_counts_and_best_run(page: Page) -> None:
    summary = section(page.html, "summary")
    counts = dict(rows(summary)[:8])
    assert counts == {
        "queued": "0",
        "running": "0",
        "completed": "8",
        "failed": "1",
        "diverged": "1",
        "cancelled": "1",
        "pruned": "0",
        "total": "11",
    }
    assert "Best run: run " in summary and "&quot;grid&quot;" in summary  # the spec, as escaped JSON


def test_leaderboard_ranks_completed_runs_by_val_accuracy(page: Page) -> None:
    table = rows(section(page.html, "leaderboard"))
    assert [row[0] for row in table] == [str(i) for i in range(1, 9)]
    val = [float(row[3].rstrip("%")) for row in table]
    assert val == sorted(val, reverse=True)
    best = max(page.trained.values(), key=lambda t: t.result.val_acc)
    assert table[0][3] == f"{100 * best.result.val_acc:.2f}%"
    assert table[0][2] == best.config.engine


def test_leaderboard_names_the_epoch_whose_weights_were_kept(page: Page) -> None:
    """The stored best_epoch is the kept epoch (the last one here: no early stopping), not "best"."""
    leaderboard = section(page.html, "leaderboard")
    assert [row[7] for row in rows(leaderboard)] == ["3/3, kept 3"] * 8
    assert "the one whose weights were kept (the lowest validation loss with early stopping, else the last)" in (
        html.unescape(leaderboard)
    )


def test_engine_comparison_pairs_configs_over_seeds(page: Page) -> None:
    engines = section(page.html, "engines")
    table = [row for row in rows(engines) if row[0].startswith("learning_rate=")]
    assert sorted(row[0] for row in table) == ["learning_rate=0.05", "learning_rate=0.2"]
    assert all("(n=2)" in cell for row in table for cell in row[1:])  # two seeds per engine
    assert "2 configs completed with both engines" in html.unescape(engines)


def test_effects_list_every_varied_key_but_the_seed(page: Page) -> None:
    keys = {row[0] for row in rows(section(page.html, "effects"))}
    assert keys == {"engine", "learning_rate"}


def test_best_run_is_rescored_to_its_stored_accuracy(page: Page) -> None:
    text = html.unescape(section(page.html, "best-run"))
    match = re.search(r"accuracy (\d+\.\d+)% \(stored test accuracy (\d+\.\d+)%\)", text)
    assert match and match.group(1) == match.group(2)
    assert "misclassified" in text


def test_dataset_analysis_shows_nan_correlations(page: Page) -> None:
    text = html.unescape(section(page.html, "dataset"))
    assert "digits: 1797 images of 8x8 = 64 pixels" in text
    assert "3 of 64 correlations are NaN" in text  # digits has three constant pixels


def test_failures_list_each_unfinished_run(page: Page) -> None:
    table = rows(section(page.html, "failures"))
    assert [row[1] for row in table] == ["failed", "diverged", "cancelled"]
    assert table[0][5] == HOSTILE_ERROR


@pytest.mark.slow
def test_cli_writes_the_same_page_except_the_footer(page: Page, mnistq, tmp_path) -> None:
    target = tmp_path / "out.html"
    done = mnistq("report", str(page.sweep_id), "-o", str(target), url=page.url)
    assert done.code == 0, done.err
    assert f"sweep {page.sweep_id}: wrote {target}" in done.out
    written = target.read_text(encoding="utf-8")
    footer = re.compile(r'<footer id="footer">.*?</footer>')
    assert footer.sub("", written) == footer.sub("", page.html)  # deterministic given the store
    assert footer.search(written).group(0) != footer.search(page.html).group(0)
