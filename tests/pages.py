"""What the AppTest page tests share: a page opened through app.py by its link, a module's shared data folder,
and the Digit Recognizer's drawings and texts (tests/test_digit_page.py and tests/test_digit_page_cnn.py)."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(path: str, timeout: float = 120, **params) -> AppTest:
    """``path`` (app_pages/...) opened through app.py with ``params`` in its link, run once."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()  # st.navigation registers the pages (and their url paths) on a first run
    at.switch_page(path)
    return at.run()


def qp(at: AppTest, key: str) -> str | None:
    """The last value of ``key`` in the page's link (None when it is not there)."""
    v = at.query_params.get(key)
    return v[-1] if isinstance(v, list) else v


def module_data_dir(name: str, keep_mnist_dir: bool = True):
    """Two fixtures for a test module, ``shared_dir, _shared = module_data_dir(...)``: one data folder for the
    whole module (what one test trains, a later one takes from the cache) set for every test in it; without
    ``keep_mnist_dir``, NNLAB_MNIST_DIR unset too."""

    @pytest.fixture(scope="module")
    def shared_dir(tmp_path_factory):
        return tmp_path_factory.mktemp(name)

    @pytest.fixture(autouse=True)
    def _shared(shared_dir, monkeypatch):
        monkeypatch.setenv("NNLAB_DATA_DIR", str(shared_dir))
        if not keep_mnist_dir:
            monkeypatch.delenv("NNLAB_MNIST_DIR", raising=False)

    return shared_dir, _shared


# ---- the Digit Recognizer -------------------------------------------------------------------------------
DIGIT_PAGE = "app_pages/digit_recognizer.py"


def digit_page(**params) -> AppTest:
    """The Digit Recognizer opened by a link (its models train here: a long timeout)."""
    return open_page(DIGIT_PAGE, timeout=300, **params)


def plain(text: str) -> str:
    """What a reader sees of a markdown string with inline HTML (file names carry <wbr> break points)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def texts(at: AppTest, kind: str) -> str:
    return "\n".join(plain(str(e.value)) for e in getattr(at, kind))


def digit_png(mode: str = "L") -> bytes:
    """A 140x140 vertical stroke (a 1), as a PNG in ``mode``."""
    im = Image.new("L", (140, 140), 255)
    ImageDraw.Draw(im).line([(70, 20), (70, 120)], fill=0, width=12)
    b = io.BytesIO()
    im.convert(mode).save(b, "PNG")
    return b.getvalue()


def drawing(lines, width: int = 20) -> bytes:
    """A canvas-like drawing: 280x280, dark strokes on white."""
    im = Image.new("L", (280, 280), 255)
    for line in lines:
        ImageDraw.Draw(im).line(line, fill=0, width=width)
    b = io.BytesIO()
    im.save(b, "PNG")
    return b.getvalue()


L_SHAPE = [[(90, 40), (90, 230), (200, 230)]]
ONE = [[(140, 30), (140, 250)]]
SEVEN = [[(60, 50), (220, 50), (120, 250)]]


def big_digit(text: str) -> str:
    """How the page shows the digit it read."""
    return f"<div style='font-size:3.2rem;font-weight:700;line-height:1'>{text}</div>"
