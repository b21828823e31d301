"""Home in a real browser: a first visit draws the XOR chart, lists the path, and step 1's link opens the XOR
Lab on its perceptron tab, whose 'Try next' leads on to the Activation Explorer. The neuron under the chart
loads no script of its own beyond the sliders' and segmented controls', and its numbers follow a slider.
(Timing is measured by bench/first_paint.py, never asserted here: the machine is shared.)"""

from __future__ import annotations

import pytest

from tests.conftest import charts_drawn, exceptions, wait_for_app
from ui import links

pytestmark = pytest.mark.browser

CHART = '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'


def test_home_draws_its_chart_and_leads_through_the_path(page, app_server):
    page.goto(app_server)
    page.wait_for_selector(CHART, timeout=120_000)  # the first chart: no torch needed for it
    wait_for_app(page, timeout=120_000)
    assert not exceptions(page)
    stops = links.stops()
    for k, stop in enumerate(stops, start=1):
        assert page.get_by_role("link", name=f"{k}. {stop.label}").count() == 1, stop.label
    steps = links.path()
    page.get_by_role("link", name=f"1. {stops[0].label}").click()  # XOR Lab, perceptron tab
    page.wait_for_url("**/xor**", timeout=60_000)
    page.get_by_text("not learned after").wait_for(timeout=120_000)
    nxt = links.next_step(steps[0].id)
    link = page.get_by_role("link", name=f"Try next: {nxt.title}")
    link.wait_for(timeout=60_000)
    link.click()
    page.wait_for_url("**/activations**", timeout=60_000)
    page.get_by_text("The table, measured").wait_for(timeout=120_000)
    wait_for_app(page, timeout=120_000)
    assert not exceptions(page)


def test_try_next_within_a_page_opens_the_next_tab(page, app_server):
    page.goto(f"{app_server}/activations?tab=shapes")
    page.get_by_text("The table, measured").wait_for(timeout=120_000)
    page.get_by_role("button", name="Try next: Activation Explorer ② Softmax").click()
    page.get_by_text("Each class's probability as T changes").wait_for(timeout=60_000)
    wait_for_app(page, timeout=60_000)
    assert "tab=softmax" in page.url
    assert not exceptions(page)


# scripts a fresh visitor fetched before Home's first chart when the neuron used a code block, a table, metrics,
# a select box and a second chart (bench/first_paint.py: warm first chart 1.50 -> 1.75 s)
HEAVY_SCRIPTS = ("StreamlitSyntaxHighlighter", "arrowFormatUtils", "Selectbox", "Metric", "Table.", "rehype-raw")


def test_homes_neuron_loads_no_heavy_script_and_follows_its_sliders(page, app_server):
    fetched: list[str] = []
    page.on("requestfinished", lambda r: fetched.append(r.url.rsplit("/", 1)[-1]))
    page.goto(app_server)
    page.wait_for_selector(CHART, timeout=120_000)
    wait_for_app(page, timeout=120_000)
    assert not exceptions(page)
    assert not [f for f in fetched if f.endswith(".js") and f.startswith(HEAVY_SCRIPTS)]
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 1 and charts_drawn(page) == 1
    img = page.get_by_role("img", name="One neuron:")
    img.wait_for(timeout=30_000)
    assert page.evaluate("i => i.complete && i.naturalWidth > 0", img.element_handle())
    assert page.get_by_text("Weighted sum z = w·x + b = 0.1,").count() == 1
    sliders = page.get_by_role("slider")
    assert sliders.count() == 5  # x1, x2, w1, w2 and the bias
    page.locator('[data-testid="stSlider"]').filter(has_text="Bias b").get_by_role("slider").press("ArrowRight")
    page.get_by_text("Weighted sum z = w·x + b = 0.2,").wait_for(timeout=60_000)
    wait_for_app(page, timeout=60_000)
    assert "n_b=-0.6" in page.url and not exceptions(page)
    page.get_by_text("Glossary:").click()  # filled when opened
    page.get_by_text("The share of examples the network answers correctly.").wait_for(timeout=60_000)
