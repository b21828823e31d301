"""In a real browser (Debian's chromium via Playwright): home and XOR Lab as a visitor sees them."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import exceptions, screenshot, wait_for_app

pytestmark = pytest.mark.browser


def charts_drawn(page) -> int:
    """Vega charts that have rendered a non-empty canvas or SVG."""
    return page.evaluate("""() => [...document.querySelectorAll('.vega-embed')].filter(e => {
        const c = e.querySelector('canvas'); const s = e.querySelector('svg.marks');
        return (c && c.width > 50 && c.height > 50) || (s && s.getBoundingClientRect().width > 50);
    }).length""")


def test_home_draws_the_live_xor_boundary(app_server, page):
    page.goto(app_server + "/")
    wait_for_app(page)
    page.wait_for_function("() => document.querySelectorAll('.vega-embed').length > 0", timeout=60_000)
    page.wait_for_timeout(1000)
    assert charts_drawn(page) >= 1
    assert not exceptions(page)
    assert page.get_by_text("A 2-4-1 network").first.is_visible() and page.get_by_text("solving XOR").first.is_visible()
    screenshot(page, "home")


def test_shared_link_restores_the_xor_lab_in_a_new_browser(app_server, browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1400})
    page = ctx.new_page()
    page.goto(app_server + "/xor?p_gate=AND&p_seed=7")
    wait_for_app(page)
    page.get_by_text(re.compile(r"AND\*?\*? learned in \d+ epoch")).first.wait_for(timeout=60_000)
    assert not page.get_by_text("Page not found").is_visible()
    assert not exceptions(page)
    # the number input can show a stale value for a moment while the script finishes: wait for it
    expect(page.locator('input[aria-label="Seed"]').first).to_have_value("7", timeout=30_000)
    screenshot(page, "xor-perceptron")
    ctx.close()


def test_playground_plays_and_pauses(app_server, page):
    page.goto(app_server + "/xor?tab=playground&g_epochs=300")
    wait_for_app(page)
    page.get_by_text("Setting A").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="▶ Play").click()
    page.get_by_text(re.compile(r"epoch ([1-9]\d*)/300")).first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="⏸ Pause").click()
    wait_for_app(page)
    first = page.get_by_text(re.compile(r"epoch \d+/300")).first.inner_text()
    page.wait_for_timeout(1500)
    assert page.get_by_text(re.compile(r"epoch \d+/300")).first.inner_text() == first  # paused: no progress
    assert int(re.search(r"epoch (\d+)", first).group(1)) > 0
    assert page.locator('[data-testid="nnlab-pg-diagram"]').count() >= 1 and not exceptions(page)  # our canvas view
    screenshot(page, "xor-playground")
