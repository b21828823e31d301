"""In a real browser (Debian's chromium via Playwright): home and XOR Lab as a visitor sees them."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import charts_drawn, exceptions, screenshot, wait_for_app, wait_for_charts

pytestmark = pytest.mark.browser


def test_home_draws_the_live_xor_boundary(app_server, page):
    page.goto(app_server + "/")
    wait_for_app(page)
    wait_for_charts(page, 1, timeout=60_000)  # the boundary, drawn
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
    page.get_by_text(re.compile(r"epoch ([2-9]\d|\d{3})/300")).first.wait_for(timeout=30_000)  # 20 or more
    page.get_by_role("button", name="⏸ Pause").click()
    page.get_by_role("button", name="▶ Play").wait_for(timeout=30_000)
    # while playing, a timed fragment reruns every 0.08 s: a second with no run at all means it stopped
    wait_for_app(page, quiet=1000)
    first = page.get_by_text(re.compile(r"epoch \d+/300")).first.inner_text()
    wait_for_app(page, quiet=1000)
    assert page.get_by_text(re.compile(r"epoch \d+/300")).first.inner_text() == first  # paused: no progress
    assert 20 <= int(re.search(r"epoch (\d+)", first).group(1)) < 300
    assert page.locator('[data-testid="nnlab-pg-diagram"]').count() >= 1 and not exceptions(page)  # our canvas view
    screenshot(page, "xor-playground")
