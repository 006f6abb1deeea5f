"""Page loads of the dashboard in headless Chromium (Debian's, driven by Playwright; never a downloaded one), for
bench/ui.py: the sweep page until it marks `mnistq:drawn`, cold (fresh context, empty cache) and cached
(reloaded in the same context), and the sweeps page until its `load` event. Milliseconds from navigation start,
as the page's own Performance timeline measures them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from tests.ui.browser import LAUNCH_FLAGS

# functions, not expressions: Playwright polls an expression with eval, which the pages' CSP forbids
DRAWN = "() => document.body.dataset.drawn === '1'"
DRAWN_AT = "performance.getEntriesByName('mnistq:drawn')[0].startTime"
LOADED_AT = "performance.getEntriesByType('navigation')[0].loadEventEnd"
# bytes of the chart library that came over the network: 0 when the browser cache served it
PLOTLY_BYTES = (
    "performance.getEntriesByType('resource').filter(e => e.name.includes('plotly'))"
    ".reduce((sum, e) => sum + e.transferSize, 0)"
)
TIMEOUT_MS = 120_000  # a busy 2-core machine: waits end as soon as the page is drawn


@dataclass(frozen=True)
class Loads:
    cold_ms: list[float]  # sweep page, navigation start -> mnistq:drawn, each in a fresh context
    cached_ms: list[float]  # the same, reloaded in one context after a first load
    cold_plotly_bytes: int  # the chart library's transfer size on the last cold load
    cached_plotly_bytes: int  # ... and on the last cached one (0: from the cache)
    sweeps_ms: list[float]  # sweeps page, navigation start -> load event end, each in a fresh context


def chromium_binary() -> str | None:
    """Debian's chromium, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def measure_loads(base: str, sweep_id: int, repeat: int) -> Loads:
    """`repeat` cold and `repeat` cached loads of /sweeps/`sweep_id`, and `repeat` cold loads of / at `base`."""
    from playwright.sync_api import sync_playwright

    binary = chromium_binary()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    sweep_url = f"{base}sweeps/{sweep_id}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=LAUNCH_FLAGS, timeout=TIMEOUT_MS)
        try:
            cold, cold_bytes = [], 0
            for _ in range(repeat):
                context = _context(browser)
                page = context.new_page()
                cold.append(_drawn(page, lambda page=page: page.goto(sweep_url, wait_until="load")))
                cold_bytes = int(page.evaluate(PLOTLY_BYTES))
                context.close()
            context = _context(browser)
            page = context.new_page()
            _drawn(page, lambda: page.goto(sweep_url, wait_until="load"))  # fills the cache
            cached = [_drawn(page, lambda: page.reload(wait_until="load")) for _ in range(repeat)]
            cached_bytes = int(page.evaluate(PLOTLY_BYTES))
            context.close()
            sweeps = []
            for _ in range(repeat):
                context = _context(browser)
                page = context.new_page()
                page.goto(base, wait_until="load")
                page.wait_for_function(f"() => {LOADED_AT} > 0", timeout=TIMEOUT_MS)
                sweeps.append(float(page.evaluate(LOADED_AT)))
                context.close()
        finally:
            browser.close()
    return Loads(cold, cached, cold_bytes, cached_bytes, sweeps)


def _context(browser):
    context = browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


def _drawn(page, navigate) -> float:
    """Navigate, wait until the sweep page says it is drawn, return when it did (ms after navigation start)."""
    navigate()
    page.wait_for_function(DRAWN, timeout=TIMEOUT_MS, polling=50)
    return float(page.evaluate(DRAWN_AT))
