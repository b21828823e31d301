"""In chromium: the Playground plays, its diagram changes frame to frame, hovering reads a weight, Pause stops."""

import re

import pytest

from tests.conftest import exceptions, screenshot, wait_for_app

pytestmark = pytest.mark.browser

EPOCH = re.compile(r"epoch (\d+)/(\d+)")
DIAGRAM = '[data-testid="nnlab-pg-diagram"]'


def shown_epoch(page) -> int:
    return int(EPOCH.search(page.get_by_text(EPOCH).first.inner_text()).group(1))


def diagram_pixels(page) -> str:
    return page.eval_on_selector(DIAGRAM, "c => c.toDataURL()")


def test_play_redraws_the_diagram_and_the_epoch_advances_then_pause_stops(app_server, page):
    page.goto(app_server + "/xor?tab=playground&g_epochs=2000")
    wait_for_app(page)
    page.wait_for_selector(DIAGRAM, timeout=60_000)
    assert shown_epoch(page) == 0
    before = diagram_pixels(page)
    page.evaluate("() => { window.__nnlabPlayground = {draws: []}; }")
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function("() => window.__nnlabPlayground.draws.filter(d => d[1] > 0).length >= 3",
                           timeout=30_000)
    first = diagram_pixels(page)
    e1 = shown_epoch(page)
    page.wait_for_function(f"() => window.__nnlabPlayground.draws.some(d => d[1] > {e1 + 20})", timeout=30_000)
    second = diagram_pixels(page)
    e2 = shown_epoch(page)
    assert e2 > e1 > 0
    assert len({before, first, second}) == 3  # the diagram is redrawn as the weights change
    draws = page.evaluate("() => window.__nnlabPlayground.draws.map(d => d[1])")
    assert draws == sorted(draws) and len(set(draws)) >= 3  # frames arrive in order, each a later epoch

    # hover a connection: the tooltip reads that connection's weight, as drawn
    box = page.locator(DIAGRAM).bounding_box()
    hit = page.eval_on_selector(DIAGRAM, """c => { const s = c.closest('.nnpg').__nnlab;
        const e = s.curves.find(k => Math.abs(k.y1 - k.y0) > 10) || s.curves[0];
        const t = 0.5, u = 1 - t;
        const x = u*u*u*e.x0 + 3*u*u*t*e.mx + 3*u*t*t*e.mx + t*t*t*e.x1;
        const y = u*u*u*e.y0 + 3*u*u*t*e.y0 + 3*u*t*t*e.y1 + t*t*t*e.y1;
        return [x * s.scale, y * s.scale, e.from, e.to]; }""")
    page.get_by_role("button", name="⏸ Pause").click()
    page.get_by_role("button", name="▶ Play").wait_for(timeout=10_000)
    wait_for_app(page)
    paused = shown_epoch(page)
    page.wait_for_timeout(1000)
    assert shown_epoch(page) == paused  # paused: no progress
    page.mouse.move(box["x"] + hit[0], box["y"] + hit[1])
    tip = page.locator(".nnpg .tip").first
    tip.wait_for(state="visible", timeout=5_000)
    assert re.search(r"→ .+: weight -?\d+\.\d{3}", tip.inner_text())
    assert not exceptions(page)
    screenshot(page, "xor-playground-diagram")


def test_the_numpy_tab_slides_through_the_hidden_space(app_server, page):
    page.goto(app_server + "/xor?tab=compare")
    wait_for_app(page)
    page.get_by_text("The hidden space").first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"hidden layer has made XOR linearly separable")).first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.get_by_text(re.compile(r"hidden layer has made XOR linearly separable")).count() == 2  # both nets
    assert not exceptions(page)
