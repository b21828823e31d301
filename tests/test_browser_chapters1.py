"""Network Shapes and Backprop Step by Step in a real browser (Debian's chromium via Playwright): each opens by
its link, draws its charts without an exception, and is screenshotted at 1440 and 1024 px wide."""

from __future__ import annotations

import pytest

from tests.conftest import charts_drawn, exceptions, screenshot, settle, wait_for_charts

pytestmark = pytest.mark.browser

LINKS = [
    ("architectures", "", 2, "Network Shapes"),
    ("architectures", "tab=approx", 3, "Network Shapes"),
    ("backprop", "", 3, "Backprop Step by Step"),
]


def open_link(page, base: str, path: str, query: str, charts: int) -> None:
    page.goto(f"{base}/{path}" + (f"?{query}" if query else ""))
    settle(page, timeout=180_000)
    wait_for_charts(page, charts, timeout=120_000)  # vega draws its marks after the script has run


@pytest.mark.parametrize("path,query,charts,title", LINKS)
def test_page_opens_by_its_link_and_draws_its_charts(app_server, browser, path, query, charts, title):
    for width in (1440, 1024):
        ctx = browser.new_context(viewport={"width": width, "height": 1000})
        page = ctx.new_page()
        open_link(page, app_server, path, query, charts)
        assert page.locator("h1", has_text=title).count() == 1
        assert not exceptions(page), exceptions(page)
        assert charts_drawn(page) >= charts
        assert not page.get_by_text("Page not found").is_visible()
        screenshot(page, f"chapters1-{path}{'-' + query.split('=')[-1] if query else ''}-{width}")
        ctx.close()


def test_backprop_buttons_step_and_the_link_keeps_the_step(app_server, browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    open_link(page, app_server, "backprop", "", 3)
    page.get_by_role("button", name="Next epoch").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('step') === '4'", timeout=60_000)
    settle(page)
    assert not exceptions(page), exceptions(page)
    assert page.get_by_text("Epoch 2, example 1 of 4").count() == 1
    assert page.get_by_text("Autograd agrees to 1e-9").count() == 1
    shared = page.url
    ctx.close()
    ctx2 = browser.new_context(viewport={"width": 1440, "height": 1000})
    page2 = ctx2.new_page()
    page2.goto(shared)
    settle(page2)
    assert page2.get_by_text("Epoch 2, example 1 of 4").count() == 1
    ctx2.close()
