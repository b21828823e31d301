import os
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


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script (no 'running' indicator) and nothing errors."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    page.wait_for_timeout(300)


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
    page.wait_for_timeout(700)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database URL from NNLAB_TEST_POSTGRES (.ci/run starts one on 127.0.0.1)."""
    url = os.environ.get("NNLAB_TEST_POSTGRES")
    need("PostgreSQL (NNLAB_TEST_POSTGRES)", bool(url), "NNLAB_REQUIRE_POSTGRES")
    return url

