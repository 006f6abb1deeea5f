"""The report in a real browser: it loads offline, runs no script, logs nothing, and draws its plots."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from .browser import render
from .conftest import HOSTILE_NAME, Page
from .test_report_html import EXPECTED_IMAGES, SECTION_IDS


@pytest.mark.slow
def test_report_loads_offline_without_console_messages(page: Page, tmp_path) -> None:
    html_file = tmp_path / "report.html"
    html_file.write_text(page.html, encoding="utf-8")
    rendering = render(html_file, tmp_path)
    assert rendering.console == []
    for section_id in SECTION_IDS:
        assert f'id="{section_id}"' in rendering.dom
    assert rendering.dom.count("<img") == EXPECTED_IMAGES
    assert HOSTILE_NAME not in rendering.dom.split("<body", 1)[1]  # text in the DOM, never an element
    with Image.open(rendering.screenshot) as shot:
        pixels = np.asarray(shot.convert("RGB"))
    assert pixels.shape == (3000, 1200, 3)
    ink = (pixels < 200).any(axis=2).mean()  # share of non-background pixels: text, tables and plots
    assert ink > 0.01
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 500  # plot colours, not just text on white


@pytest.mark.slow
def test_console_capture_catches_script_errors(tmp_path) -> None:
    """The check above can fail: a page with a script error is caught."""
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><script>missingFunction()</script></body></html>", encoding="utf-8")
    rendering = render(broken, tmp_path, width=200, height=200)
    assert any("Uncaught ReferenceError" in message for message in rendering.console)
