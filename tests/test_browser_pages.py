"""Every page in a real browser (Debian's chromium via Playwright): loads clean, draws its charts, a widget
change redraws, a shared URL restores the same state in a new browser context, a garbage link opens with
defaults and a notice. Pages whose file does not exist yet are skipped (they are not in the navigation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest

from core import digits
from core.explorer import CurvesConfig
from core.tuning import StudySettings
from tests.conftest import (
    CHART_PIXELS_JS,
    CHARTS_DRAWN_JS,
    ROOT,
    chart_pixels,
    charts_drawn,
    exceptions,
    screenshot,
    settle,
    wait_for_charts,
)

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Spec:
    path: str  # URL path = the page file's name
    query: str = ""  # opened first (small settings keep the test fast)
    label: str | None = None  # a number input whose value the URL holds
    key: str | None = None  # its URL key
    new: str | None = None  # the value the test types
    rerun: bool = True  # False: the control sits in a form (no rerun until submitted)
    expand: str | None = None  # an expander to open before typing
    charts: int = 1  # charts drawn at least
    garbage: str = ""  # a link with bad values for known keys (a notice is expected)
    default: float | None = None  # the control's value when the link's value for it is garbage


PAGES = {
    "home": Spec("", charts=1, garbage="zzz=%00&tab=nope"),  # the default page lives at /
    "activation_explorer": Spec("activations", label="x from", key="f_x_min", new="-3",
                                garbage="f_x_min=abc&f_functions=nope&zzz=1", default=CurvesConfig().x_min),
    "xor_lab": Spec("xor", label="Seed", key="p_seed", new="7", garbage="p_epochs=-5&p_gate=NOPE&zzz=1"),
    "digit_recognizer": Spec("digits", query="epochs=5", label="Epochs (at most)", key="epochs", new="6",
                             expand="Settings", garbage="epochs=abc&dropout=7&zzz=1",
                             default=digits.default_config("digits").epochs),
    "hyperparameter_tuner": Spec("tuner", label="Seed", key="t_seed", new="7", rerun=False,
                                 charts=0, garbage="t_seed=abc&s_lr_low=-1&zzz=1", default=StudySettings().seed),
}


def spec_for(name: str) -> Spec:
    if not (ROOT / "app_pages" / f"{name}.py").exists():
        pytest.skip(f"app_pages/{name}.py does not exist yet (not in the navigation)")
    return PAGES[name]


def numbers_shown(page) -> list[str]:
    """Metric values and alert texts (the page's results), minus timings."""
    texts = page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="stMetricValue"], [data-testid="stAlertContentSuccess"], [data-testid="stAlertContentError"]'
        )].map(e => e.innerText.trim())""")
    return [t for t in texts if not re.fullmatch(r"[\d.]+\s*(s|ms|min)", t)]


def wait_for_redraw(page, before: list[str], n: int, timeout: float = 60_000) -> None:
    """Wait until at least ``n`` charts are drawn and they differ from the fingerprint ``before``."""
    page.wait_for_function(f"""(before) => ({CHARTS_DRAWN_JS})() >= {int(n)}
        && JSON.stringify(({CHART_PIXELS_JS})()) !== JSON.stringify(before)""", arg=before, polling=100,
                           timeout=timeout)


def open_page(page, base: str, spec: Spec, query: str = "") -> None:
    page.goto(f"{base}/{spec.path}" + (f"?{query}" if query else ""))
    settle(page)
    if spec.label:  # a slow page can look idle before its widgets arrive
        page.locator(f'input[aria-label="{spec.label}"]').first.wait_for(state="attached", timeout=90_000)
        settle(page)
    if spec.charts:
        wait_for_charts(page, spec.charts)  # vega draws after the script has run
    assert not page.get_by_text("Page not found").is_visible()


def control(page, spec: Spec):
    if spec.expand:
        box = page.locator('[data-testid="stExpander"]', has_text=spec.expand).first
        if box.count() and not page.locator(f'input[aria-label="{spec.label}"]').first.is_visible():
            box.locator("summary").first.click()
    return page.locator(f'input[aria-label="{spec.label}"]').first


def value_of(page, spec: Spec) -> float:
    return float(control(page, spec).input_value().replace(",", ""))


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_redraws_and_its_link_restores_it(app_server, browser, name):
    spec = spec_for(name)
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    open_page(page, app_server, spec, spec.query)
    assert not exceptions(page), exceptions(page)
    assert charts_drawn(page) >= spec.charts
    screenshot(page, f"page-{name}")
    if spec.label is None:
        ctx.close()
        return

    # a widget change: the URL follows it and the charts are drawn again, differently
    before = chart_pixels(page)
    box = control(page, spec)
    box.fill(spec.new)
    box.press("Enter")
    if spec.rerun:
        page.wait_for_function(
            f"() => new URLSearchParams(location.search).get({spec.key!r}) !== null && "
            f"parseFloat(new URLSearchParams(location.search).get({spec.key!r})) === {float(spec.new)}",
            timeout=60_000)
        settle(page)
        if spec.charts:  # the charts are drawn again, differently
            wait_for_redraw(page, before, spec.charts)
        assert not exceptions(page), exceptions(page)
        shared = page.url
        shown = numbers_shown(page)
    else:  # a form: the link carries the value when the page is shared with it
        shared = f"{app_server}/{spec.path}?{spec.key}={spec.new}"
        shown = None
    ctx.close()

    # the shared link in a brand-new browser context: same control value, same results
    assert urlparse(shared).path.endswith("/" + spec.path)
    ctx2 = browser.new_context(viewport={"width": 1400, "height": 1000})
    page2 = ctx2.new_page()
    page2.goto(shared)
    settle(page2)
    if spec.charts:
        wait_for_charts(page2, spec.charts)
    assert not exceptions(page2), exceptions(page2)
    assert value_of(page2, spec) == float(spec.new)
    if shown is not None:
        assert numbers_shown(page2) == shown
    ctx2.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_garbage_link_opens_with_defaults_and_a_notice(app_server, page, name):
    spec = spec_for(name)
    open_page(page, app_server, spec, spec.garbage)
    assert not exceptions(page), exceptions(page)
    if name == "home":  # home owns no query params: unknown ones are simply ignored
        assert charts_drawn(page) >= 1
        return
    notice = page.get_by_text(re.compile(r"ignored", re.I)).first
    notice.wait_for(timeout=30_000)
    bad_key = spec.garbage.split("=")[0]
    notices = page.locator('[data-testid="stAlert"]', has_text=re.compile("ignored", re.I)).all_inner_texts()
    assert bad_key in " ".join(notices), notices  # the notice names what it ignored
    if spec.label is not None and spec.key == bad_key:  # the control shows the field's default
        assert spec.default is not None
        assert value_of(page, spec) == float(spec.default)
