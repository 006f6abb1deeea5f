"""The same report from PostgreSQL: the queries behind every section work on both backends."""

from __future__ import annotations

import html
import re

import pytest

from db import dispose_engines, open_store, session_scope
from report.build import build_document
from report.html import render_html

from .conftest import WHEN, Page, rows, section, store_sweep
from .test_report_html import EXPECTED_IMAGES, SECTION_IDS


@pytest.mark.postgres
@pytest.mark.slow
def test_report_from_postgresql_matches_sqlite(pg_url: str, trained, page: Page) -> None:
    engine = open_store(pg_url, create=True)
    try:
        sweep_id = store_sweep(engine, list(trained.values()))
        with session_scope(engine) as session:
            text = render_html(build_document(session, sweep_id, generated_at=WHEN))
    finally:
        dispose_engines()
    for section_id in SECTION_IDS:
        assert f'<section id="{section_id}">' in text
    assert text.count("<img") == EXPECTED_IMAGES
    for section_id in ("leaderboard", "engines", "effects", "failures"):  # same store content, same tables
        assert rows(section(text, section_id)) == rows(section(page.html, section_id))
    best = html.unescape(section(text, "best-run"))
    match = re.search(r"accuracy (\d+\.\d+)% \(stored test accuracy (\d+\.\d+)%\)", best)
    assert match and match.group(1) == match.group(2)
