"""In chromium: clicking a trial on a two-objective study's Pareto front shows that trial's settings."""

from __future__ import annotations

import os

import pytest

from core import tuning
from core.tuning import pareto
from tests import streamlit_server
from tests.conftest import CHROMIUM, exceptions, need, screenshot, wait_for_app
from tests.test_tuning import SMALL

pytestmark = pytest.mark.browser

# the chart is drawn as SVG: the front's dots are the data symbols (not the legend's) filled with its colour;
# the cheapest is the leftmost (cost grows to the right). It is marked data-nnlab-pick for Playwright to scroll
# to and click.
FIND_CHEAPEST = """(colour) => {
  const dots = [...document.querySelectorAll('svg .mark-symbol path')]
    .filter(p => (p.getAttribute('fill') || '').toLowerCase() === colour && !p.closest('.role-legend'))
    .sort((a, b) => a.getBoundingClientRect().left - b.getBoundingClientRect().left);
  if (!dots.length) return false;
  dots[0].setAttribute('data-nnlab-pick', '1'); return true; }"""


@pytest.fixture
def pareto_server(tmp_path, monkeypatch):
    need("chromium", os.path.exists(CHROMIUM), "NNLAB_REQUIRE_BROWSER")
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))
    st = tuning.StudySettings(sampler="random", pruner="none", n_trials=12, epochs=2, objective="accuracy+params")
    tuning.create_study("mo", SMALL, st, None)
    tuning.run_worker(None, "mo")
    frame = tuning.read_study(None, "mo")
    tuning.close_storages()
    proc, url = streamlit_server.start(tmp_path, timeout=60)
    yield url, frame
    streamlit_server.stop(proc)


def test_clicking_the_cheapest_front_trial_shows_its_settings(pareto_server, page):
    url, frame = pareto_server
    front = pareto.front_frame(frame.trials)
    on = front[front["front"]]
    if len(on) < 2:
        pytest.skip("this seeded study's front has a single trial")  # the same every run: seeded
    cheapest, best = int(on["number"].iloc[0]), int(on["number"].iloc[-1])
    page.goto(url + "/tuner?study=mo")
    wait_for_app(page)
    page.get_by_text("Pareto front", exact=True).first.click()
    shown = page.locator("strong", has_text="Trial ")  # the picked trial's line: **Trial N** (on the front): ...
    shown.filter(has_text=f"Trial {best}").first.wait_for(timeout=30_000)  # at first: the front's most accurate
    wait_for_app(page, quiet=1000)
    assert page.evaluate(FIND_CHEAPEST, pareto.FRONT_COLOUR), "no dot of the front's colour"
    dot = page.locator('[data-nnlab-pick="1"]')
    dot.scroll_into_view_if_needed()
    box = dot.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    try:
        shown.filter(has_text=f"Trial {cheapest}").first.wait_for(timeout=30_000)
    except Exception:
        screenshot(page, "tuner-pareto-click-failed")
        raise AssertionError(f"clicked at {box}; the page shows {shown.all_inner_texts()}") from None
    assert page.get_by_text("(on the front)").count() >= 1 and not exceptions(page)
    screenshot(page, "tuner-pareto-clicked")
