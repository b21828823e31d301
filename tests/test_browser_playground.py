"""In chromium: the Playground plays, its diagram changes frame to frame, hovering reads a weight, Pause stops."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import exceptions, screenshot, wait_for_app

pytestmark = pytest.mark.browser

EPOCH = re.compile(r"epoch (\d+)/(\d+)")
DIAGRAM = '[data-testid="nnlab-pg-diagram"]'


def shown_epoch(page) -> int:
    return int(EPOCH.search(page.get_by_text(EPOCH).first.inner_text()).group(1))


def diagram_pixels(page) -> str:
    return page.eval_on_selector(DIAGRAM, "c => c.toDataURL()")


# Each view (the component's root; a rerun may mount a new one) and the epochs it showed, in order, read
# from the data-epoch its draw() sets. The roots live in shadow roots, so they are found by a walk.
WATCH_VIEWS = """() => { const seen = new Map(); let roots = []; window.__nnlabViews = [];
    const find = () => { const out = [...document.querySelectorAll('.nnpg')];
        for (const h of document.querySelectorAll('*')) {
            if (h.shadowRoot) out.push(...h.shadowRoot.querySelectorAll('.nnpg')); }
        roots = out; };
    find(); setInterval(find, 100);
    setInterval(() => { for (const r of roots) {
        if (!seen.has(r)) { seen.set(r, {id: seen.size, last: undefined}); }
        const v = seen.get(r);
        if (r.dataset.epoch !== undefined && r.dataset.epoch !== v.last) {
            v.last = r.dataset.epoch; window.__nnlabViews.push([v.id, +r.dataset.epoch]); } } }, 4); }"""


def epochs_per_view(page) -> dict[int, list[int]]:
    seq: dict[int, list[int]] = {}
    for view, epoch in page.evaluate("() => window.__nnlabViews"):
        seq.setdefault(view, []).append(epoch)
    return seq


def test_play_redraws_the_diagram_and_the_epoch_advances_then_pause_stops(app_server, page):
    page.goto(app_server + "/xor?tab=playground&g_epochs=2000")
    wait_for_app(page)
    page.wait_for_selector(DIAGRAM, timeout=60_000)
    assert shown_epoch(page) == 0
    before = diagram_pixels(page)
    page.evaluate("() => { window.__nnlabPlayground = {draws: []}; }")
    page.evaluate(WATCH_VIEWS)
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
    # while playing, a timed fragment reruns every 0.08 s: a second with no run at all means it stopped
    wait_for_app(page, quiet=1000)
    paused = shown_epoch(page)
    expect(page.locator('[data-testid="nnlab-playground"]').first).to_have_attribute(
        "data-epoch", str(paused), timeout=10_000)  # the view catches up with the paused epoch, and stays
    wait_for_app(page, quiet=1000)
    assert shown_epoch(page) == paused  # paused: no progress
    assert page.locator('[data-testid="nnlab-playground"]').first.get_attribute("data-epoch") == str(paused)
    page.mouse.move(box["x"] + hit[0], box["y"] + hit[1])
    tip = page.locator(".nnpg .tip").first
    tip.wait_for(state="visible", timeout=5_000)
    assert re.search(r"→ .+: weight -?\d+\.\d{3}", tip.inner_text())
    assert not exceptions(page)
    screenshot(page, "xor-playground-diagram")
    # what a visitor saw: the view that played showed later and later epochs
    views = epochs_per_view(page)
    played = max(views.values(), key=len)
    assert len(set(played)) >= 3 and views[max(views)][-1] == paused  # the view on screen now: the paused epoch
    back = [(a, b) for seq in views.values() for a, b in zip(seq, seq[1:]) if b < a]
    assert not back, f"the view stepped back from epoch {back[0][0]} to {back[0][1]} while playing"


def test_the_numpy_tab_slides_through_the_hidden_space(app_server, page):
    page.goto(app_server + "/xor?tab=compare")
    wait_for_app(page)
    page.get_by_text("The hidden space").first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"hidden layer has made XOR linearly separable")).first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.get_by_text(re.compile(r"hidden layer has made XOR linearly separable")).count() == 2  # both nets
    assert not exceptions(page)


def test_clicking_a_weight_opens_its_editor_and_the_set_weight_is_drawn_and_linked(app_server, page):
    page.goto(app_server + "/xor?tab=playground&g_epochs=50")
    wait_for_app(page)
    page.wait_for_selector(DIAGRAM, timeout=60_000)
    wait_for_app(page, quiet=1000)
    box = page.locator(DIAGRAM).bounding_box()
    hit = page.eval_on_selector(DIAGRAM, """c => { const s = c.closest('.nnpg').__nnlab;
        const e = s.curves.find(k => k.l === 1 && Math.abs(k.y1 - k.y0) > 10);
        const t = 0.5, u = 1 - t;
        const x = u*u*u*e.x0 + 3*u*u*t*e.mx + 3*u*t*t*e.mx + t*t*t*e.x1;
        const y = u*u*u*e.y0 + 3*u*u*t*e.y0 + 3*u*t*t*e.y1 + t*t*t*e.y1;
        return [x * s.scale, y * s.scale, e.from, e.to, e.i, e.j]; }""")
    page.mouse.click(box["x"] + hit[0], box["y"] + hit[1])
    page.get_by_text(f"weight {hit[2]} → {hit[3]}").first.wait_for(timeout=20_000)
    value = page.get_by_label("New value (every seed's model)")
    value.fill("-3.25")
    value.press("Enter")
    wait_for_app(page, quiet=500)
    page.get_by_role("button", name="Set weight").click()
    page.wait_for_function(f"() => location.search.includes('g_edits=1.{hit[4]}.{hit[5]}')", timeout=20_000)
    page.wait_for_function(f"""() => {{ for (const h of [document, ...[...document.querySelectorAll('*')]
            .filter(x => x.shadowRoot).map(x => x.shadowRoot)]) {{
            for (const r of h.querySelectorAll('.nnpg')) {{ const s = r.__nnlab;
                if (s && s.d && s.d.weights[1][{hit[5]}][{hit[4]}] === -3.25) return true; }} }}
        return false; }}""", timeout=20_000)
    assert not exceptions(page)
    screenshot(page, "xor-playground-weight-set")
