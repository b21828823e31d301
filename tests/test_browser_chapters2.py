"""The two chapter pages in a real browser (Debian's chromium via Playwright): each tab and sweep opens by its
link, draws its charts, raises nothing; screenshots at 1440 and 1024 px wide for a look."""

from __future__ import annotations

import pytest

from tests.conftest import charts_drawn, exceptions, screenshot, settle, wait_for_charts

pytestmark = pytest.mark.browser

LINKS = {
    "when-duel": ("when-to-use", "d_dataset=iris&d_models=forest,boosting,mlp&d_folds=2", 3),
    "when-scaling": ("when-to-use", "tab=scaling&s_dataset=iris&s_models=forest,mlp&s_folds=2", 1),
    "when-noise": ("when-to-use", "tab=noise&n_dataset=iris&n_ks=0,5&n_rotate=1&n_models=forest,mlp&n_folds=2", 1),
    "when-curve": ("when-to-use", "tab=curve&c_dataset=iris&c_fractions=0.3,1", 1),
    **{f"hp-{s}": ("hyperparameters", f"sweep={s}&{s}_seeds=1&{s}_epochs=3", n)
       for s, n in (("lr", 2), ("batch", 3), ("capacity", 3), ("activation", 2), ("dropout", 3))},
}


def open_link(page, base: str, path: str, query: str, charts: int) -> None:
    page.goto(f"{base}/{path}" + (f"?{query}" if query else ""))
    settle(page, timeout=120_000)
    wait_for_charts(page, charts, timeout=120_000)  # vega draws its marks after the script has run
    assert not page.get_by_text("Page not found").is_visible()


@pytest.mark.parametrize("name", list(LINKS))
def test_each_tab_and_sweep_opens_by_its_link_and_draws(app_server, page, name):
    path, query, charts = LINKS[name]
    open_link(page, app_server, path, query, charts)
    assert not exceptions(page), exceptions(page)
    assert charts_drawn(page) >= charts


@pytest.mark.parametrize("width", [1440, 1024])
@pytest.mark.parametrize("path, charts", [("when-to-use", 3), ("hyperparameters", 2),
                                          ("hyperparameters?sweep=batch", 3)])
def test_default_pages_at_two_widths(app_server, browser, path, charts, width):
    ctx = browser.new_context(viewport={"width": width, "height": 1000})
    page = ctx.new_page()
    base, _, query = path.partition("?")
    open_link(page, app_server, base, query, charts)
    assert not exceptions(page), exceptions(page)
    assert charts_drawn(page) >= charts
    screenshot(page, f"chapters2-{path.replace('?', '-').replace('=', '-')}-{width}")
    ctx.close()
