import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _data_dir(tmp_path_factory, monkeypatch):
    """Every test gets a private data folder (cache, downloads, tuning storage)."""
    d = tmp_path_factory.mktemp("nnlab-data")
    monkeypatch.setenv("NNLAB_DATA_DIR", str(d))
    monkeypatch.delenv("NNLAB_HOSTED", raising=False)
    monkeypatch.delenv("NNLAB_STORAGE", raising=False)
    yield d


def _mnist_sample() -> Path:
    """The shared 5,000-digit MNIST sample (never in the repo): $NNLAB_MNIST_SAMPLE, ../shared, /work/shared."""
    candidates = [os.environ.get("NNLAB_MNIST_SAMPLE"), ROOT.parent / "shared" / "data" / "mnist-sample",
                  Path("/work/shared/data/mnist-sample")]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return ROOT.parent / "shared" / "data" / "mnist-sample"


MNIST_SAMPLE = _mnist_sample()


# ---- a real server and a real browser, for tests marked "browser" ------------------------------
from tests import streamlit_server  # noqa: E402

CHROMIUM = os.environ.get("NNLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"


def need(what: str, ok: bool, env: str) -> None:
    """Skip when a system dependency is missing, unless CI demands it (then fail)."""
    if ok:
        return
    if os.environ.get(env):
        pytest.fail(f"{what} is required here ({env} is set) but missing")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """`streamlit run app.py` on 127.0.0.1 with a private data folder; yields its base URL."""
    need("chromium", Path(CHROMIUM).exists(), "NNLAB_REQUIRE_BROWSER")
    try:
        proc, url = streamlit_server.start(tmp_path_factory.mktemp("server-data"), timeout=60)
    except RuntimeError as e:
        pytest.fail(str(e))
    yield url
    streamlit_server.stop(proc)


READER_READY = "held-out test digits"  # ui.digits.best_reader once the reader is trained (either reader reads)
READER_TRAINING = "The MNIST-format reader is training on this server"  # meanwhile (the 8x8 reader answers)


@pytest.fixture(scope="session")
def mnist_server(tmp_path_factory, browser):
    """A server with MNIST on the machine (NNLAB_MNIST_DIR = the shared sample) whose MNIST-format reader has
    started training: it trains once per server, in a background thread, for about 20-60 s. One for the session,
    so the digit tests share one training; started by the first test that asks, then left to train."""
    if not MNIST_SAMPLE.is_dir():
        pytest.skip(f"MNIST sample folder not available ({MNIST_SAMPLE})")
    try:
        proc, url = streamlit_server.start(tmp_path_factory.mktemp("mnist-server-data"),
                                           env_extra={"NNLAB_MNIST_DIR": str(MNIST_SAMPLE)}, timeout=90)
    except RuntimeError as e:
        pytest.fail(str(e))
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.goto(url + "/digits?tab=read")  # the Read tab starts the training; it goes on after the page closes
    page.get_by_text(re.compile(f"{READER_TRAINING}|{READER_READY}")).first.wait_for(timeout=120_000)
    ctx.close()
    yield url
    streamlit_server.stop(proc)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    need("chromium", Path(CHROMIUM).exists(), "NNLAB_REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    p = ctx.new_page()
    yield p
    ctx.close()


# What the page shows, read in the browser. Streamlit marks its app element with the script's state
# (data-test-script-state: initial, running, notRunning, ...) and the connection's; a timed fragment's
# rerun flips it to running too. Vega charts are drawn (SVG here, canvas possible) after the script ends.
_IDLE_JS = """() => {
    const a = document.querySelector('[data-testid="stApp"]');
    return !!a && a.dataset.testConnectionState === 'CONNECTED' && a.dataset.testScriptState === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]'); }"""

_QUIET_JS = """([quiet, key]) => {
    const idle = (""" + _IDLE_JS + """)();
    const now = performance.now();
    if (!idle) { window[key] = null; return false; }
    window[key] = window[key] || now;
    return now - window[key] >= quiet; }"""

CHARTS_DRAWN_JS = """() => [...document.querySelectorAll('.vega-embed')].filter(e => {
    const s = e.querySelector('svg.marks');
    if (s) { const b = s.getBoundingClientRect();
             return b.width > 50 && b.height > 20 && !!s.querySelector('.role-mark > *'); }
    const c = e.querySelector('canvas');
    if (!c || c.width <= 50 || c.height <= 50) return false;
    const probe = document.createElement('canvas'); probe.width = probe.height = 64;
    const ctx = probe.getContext('2d'); ctx.drawImage(c, 0, 0, 64, 64);
    const px = ctx.getImageData(0, 0, 64, 64).data;
    for (let i = 3; i < px.length; i += 4) if (px[i]) return true;
    return false; }).length"""

CHART_PIXELS_JS = """() => [...document.querySelectorAll('.vega-embed')].map(e => {
    const c = e.querySelector('canvas'); const s = e.querySelector('svg.marks');
    const t = c ? c.toDataURL() : (s ? s.innerHTML : '');
    let h = 0; for (let i = 0; i < t.length; i++) { h = (h * 31 + t.charCodeAt(i)) | 0; }
    return t.length + ':' + h; })"""


def wait_for_app(page, timeout: float = 60_000, quiet: float = 300) -> None:
    """Wait until the script has run and stayed idle for ``quiet`` ms (connected, not running, no status
    widget or skeleton): a rerun that a click or a timed fragment starts a moment later resets the wait."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.evaluate("() => { window.__nnlabIdleSince = null; }")  # idle before this call does not count
    page.wait_for_function(_QUIET_JS, arg=[quiet, "__nnlabIdleSince"], polling=50, timeout=timeout)


def settle(page, timeout: float = 90_000) -> None:
    """A page opened by a link: its title is drawn and the script has been idle for half a second."""
    wait_for_app(page, timeout=timeout, quiet=500)
    page.wait_for_selector("h1", timeout=timeout)


def charts_drawn(page) -> int:
    """Vega charts that have drawn their marks (SVG mark items, or a canvas with painted pixels)."""
    return page.evaluate(CHARTS_DRAWN_JS)


def wait_for_charts(page, n: int, timeout: float = 90_000) -> None:
    """Wait until at least ``n`` vega charts have drawn their marks (vega draws after the script ends)."""
    page.wait_for_function(f"() => ({CHARTS_DRAWN_JS})() >= {int(n)}", polling=100, timeout=timeout)


def chart_pixels(page) -> list[str]:
    """A fingerprint of every chart (canvas pixels or SVG markup): compare two to see a redraw."""
    return page.evaluate(CHART_PIXELS_JS)


def wait_for_still_layout(page, timeout: float = 30_000, quiet: float = 300) -> None:
    """Wait until the app is idle, images and fonts are loaded, and the page's layout (main height, every
    chart's and image's size) has not changed for ``quiet`` ms: e.g. charts redrawn at a new width."""
    wait_for_app(page, timeout=timeout)
    page.evaluate("() => { window.__nnlabLayout = null; }")
    page.wait_for_function("""([quiet]) => {
        if (document.fonts && document.fonts.status !== 'loaded') return false;
        if ([...document.images].some(i => !i.complete)) return false;
        const m = document.querySelector('[data-testid="stMain"]');
        const boxes = [...document.querySelectorAll('.vega-embed svg, .vega-embed canvas, img')].map(e => {
            const b = e.getBoundingClientRect(); return Math.round(b.width) + 'x' + Math.round(b.height); });
        const sig = [m ? m.scrollHeight : 0, ...boxes].join(',');
        const now = performance.now();
        if (sig !== window.__nnlabLayout) { window.__nnlabLayout = sig; window.__nnlabLayoutSince = now; return false; }
        return now - window.__nnlabLayoutSince >= quiet; }""", arg=[quiet], polling=50, timeout=timeout)


def exceptions(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]


def screenshot(page, name: str) -> Path:
    """Save a PNG under test-artifacts/ (the README's screenshots come from here)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # Streamlit scrolls inside its main container, so grow the viewport to the content first
    height = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                           " return m ? m.scrollHeight : 1000 }")
    size = page.viewport_size or {"width": 1400, "height": 1000}
    page.set_viewport_size({"width": size["width"], "height": int(min(max(height, 800), 5000))})
    wait_for_still_layout(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database URL from NNLAB_TEST_POSTGRES (.ci/run starts one on 127.0.0.1)."""
    url = os.environ.get("NNLAB_TEST_POSTGRES")
    need("PostgreSQL (NNLAB_TEST_POSTGRES)", bool(url), "NNLAB_REQUIRE_POSTGRES")
    return url



@pytest.fixture(scope="session", autouse=True)
def _component_scan_once():
    """Streamlit's AppTest scans every installed package's metadata for custom components on each new AppTest
    (a tenth of a second to a second on a busy machine, the same answer all session): scan once, share it."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:  # a Streamlit without them: nothing to share
        yield
        return
    scan = manifest_scanner.scan_component_manifests
    found: list = []

    def once(*args, **kwargs):
        if not found:
            found.append(scan(*args, **kwargs))
        return list(found[0])

    manifest_scanner.scan_component_manifests = once
    yield
    manifest_scanner.scan_component_manifests = scan
