"""In chromium, on a fresh install (a new data folder, no MNIST): the digits 0-9 drawn with mouse strokes on the
Read tab's canvas, each read right by the reader the page opens with (the built-in one), 10/10.

The strokes are handwriting-like: each digit one or two strokes through a few points (as a hand moves a
mouse), drawn with the canvas's own pen (20 px round on 280 px), sized and placed as people draw on it.
The strokes live in bench/uploads.py (STROKES), whose :func:`~bench.uploads.drawn_png` draws them offline the way
the canvas does: tests/test_images.py and bench.reader read those with the built-in reader without a browser, so
a failure here that passes there is the browser's path.
"""

from __future__ import annotations

import base64

import pytest

from bench.uploads import STROKES
from tests import streamlit_server
from tests.conftest import ARTIFACTS, exceptions, wait_for_app

pytestmark = pytest.mark.browser

LONG = 120_000


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory):
    """A server on a new, empty data folder with no MNIST anywhere it looks."""
    from pathlib import Path

    from tests.conftest import CHROMIUM, need

    need("chromium", Path(CHROMIUM).exists(), "NNLAB_REQUIRE_BROWSER")
    try:
        proc, url = streamlit_server.start(tmp_path_factory.mktemp("fresh-data"), env_extra={"NNLAB_MNIST_DIR": ""},
                                           timeout=90)
    except RuntimeError as e:
        pytest.fail(str(e))
    yield url
    streamlit_server.stop(proc)


def _canvas(page):
    c = page.locator('[data-testid="nnlab-digit-canvas"]')
    c.wait_for(timeout=LONG)
    return c


def _stroke(page, pts: list[tuple[float, float]]) -> None:
    """One mouse stroke: press at the first point, move through the others (a few events between each, as a
    real mouse reports), release."""
    box = _canvas(page).bounding_box()
    assert box and box["width"] >= 270, box
    sx, sy = box["width"] / 280, box["height"] / 280
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + pts[0][0] * sx, y0 + pts[0][1] * sy)
    page.mouse.down()
    for bx, by in pts[1:]:  # steps: mouse events between two points, on the line joining them
        page.mouse.move(x0 + bx * sx, y0 + by * sy, steps=3)
    page.mouse.up()


def _reading(page) -> str:
    block = page.locator('[class*="st-key-d_read_"]', has_text="your drawing").last
    block.wait_for(timeout=LONG)
    shown = block.locator('[class*="st-key-d_digit_"]')
    shown.wait_for(timeout=LONG)
    return shown.inner_text().strip()


def test_digits_drawn_with_the_mouse_are_read_right_on_a_fresh_install(fresh_server, page):
    page.goto(fresh_server + "/digits?tab=read")
    page.get_by_role("heading", name="Digit Recognizer").wait_for(timeout=60_000)
    page.get_by_text("Reading with the built-in reader").wait_for(timeout=LONG)  # no training, no download
    _canvas(page)
    wait_for_app(page, LONG)
    got, wrong = {}, []
    for digit, strokes in STROKES.items():
        page.locator('[data-testid="nnlab-canvas-clear"]').click()
        page.locator('[class*="st-key-d_read_"]', has_text="your drawing").wait_for(state="detached", timeout=LONG)
        wait_for_app(page, LONG)
        for s in strokes:
            _stroke(page, s)
            wait_for_app(page, LONG)  # each stroke's end sends the drawing and reads it
        got[digit] = _reading(page)
        if got[digit] != str(digit):  # keep what the canvas sent, to read offline
            ARTIFACTS.mkdir(exist_ok=True)
            url = _canvas(page).evaluate("c => c.toDataURL('image/png')")
            (ARTIFACTS / f"drawn-{digit}-read-{got[digit]}.png").write_bytes(base64.b64decode(url.split(",", 1)[1]))
            wrong.append(f"{digit} read as {got[digit]}")
    print("drawn digits read:", " ".join(f"{d}->{r}" for d, r in got.items()))
    assert not exceptions(page)
    assert not wrong, f"{10 - len(wrong)}/10 right; " + ", ".join(wrong)
