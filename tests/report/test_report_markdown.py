"""`mnistq report SWEEP --format md -o DIR`: report.md plus one PNG per figure, user text escaped."""

from __future__ import annotations

import re

import pytest

from report.document import Code, Document, Paragraph, Section, Table
from report.markdown import md_escape, render_markdown

from .conftest import HOSTILE_ERROR, HOSTILE_NAME, Page
from .test_report_html import EXPECTED_IMAGES, SECTION_IDS


@pytest.mark.slow
def test_markdown_report_writes_text_and_pngs(page: Page, mnistq, tmp_path) -> None:
    out = tmp_path / "md"
    done = mnistq("report", str(page.sweep_id), "--format", "md", "-o", str(out), url=page.url)
    assert done.code == 0, done.err
    text = (out / "report.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(images) == EXPECTED_IMAGES
    assert sorted(images) == sorted(p.name for p in out.glob("*.png"))
    for name in images:
        assert (out / name).read_bytes().startswith(b"\x89PNG")
    for number, section_id in enumerate(SECTION_IDS, start=1):
        assert f'<a id="{section_id}"></a>' in text
        assert re.search(rf"^## {number}\. ", text, re.MULTILINE)
    outside_code = re.sub(r"^(`{3,})\n.*?\n\1$", "", text, flags=re.DOTALL | re.MULTILINE)
    assert text.count(HOSTILE_NAME) == 1 and HOSTILE_NAME not in outside_code  # only in the spec's code block
    assert "<img src=x" not in text
    assert f"# Sweep {page.sweep_id}: &lt;script&gt;alert\\(1\\)&lt;/script&gt;\n" in text  # reads as typed


def test_escaping_keeps_markdown_and_html_inert() -> None:
    assert md_escape("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    assert md_escape("*a* _b_ [c] | `d` # e") == r"\*a\* \_b\_ \[c\] \| \`d\` \# e"
    assert md_escape("two\nlines") == "two lines"
    assert md_escape(HOSTILE_ERROR).count("|") == md_escape(HOSTILE_ERROR).count(r"\|")


def test_table_cells_cannot_break_the_table_and_code_fences_hold() -> None:
    document = Document(
        title="t",
        subtitle="s",
        sections=(
            Section(
                "one",
                "One",
                (
                    Table(("a", "b"), (("x | y", "1"),)),
                    Code("```\n<script>\n```"),
                    Paragraph("# not a heading"),
                ),
            ),
        ),
    )
    text, files = render_markdown(document)
    assert files == {}
    assert "| x \\| y | 1 |" in text
    assert "````\n```\n<script>\n```\n````" in text  # a longer fence than any run of backticks inside
    assert "\n\\# not a heading" in text
