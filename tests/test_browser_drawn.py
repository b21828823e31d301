"""In chromium, on a fresh install (a new data folder, no MNIST): the digits 0-9 drawn with mouse strokes on the
Read tab's canvas, each read right by the reader the page opens with (the built-in one), 10/10.

The strokes are handwriting-like: each digit one or two strokes through a few points (as a hand moves a
mouse), drawn with the canvas's own pen (20 px round on 280 px), sized and placed as people draw on it.
:func:`render` draws the same strokes offline the way the canvas does (tests/test_images.py reads them with
the built-in reader without a browser, so a failure here that passes there is the browser's path).
"""

from __future__ import annotations

import base64
import io
import math

import pytest

from tests import streamlit_server
from tests.conftest import ARTIFACTS, exceptions, wait_for_app

pytestmark = pytest.mark.browser

PEN = 20  # px: ui.canvas.digit_canvas's default line width on its 280 px canvas
LONG = 120_000


def _ring(cx: float, cy: float, rx: float, ry: float, n: int, start: float, turn: float) -> list[tuple[float, float]]:
    angles = [math.radians(start + turn * i / n) for i in range(n + 1)]
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


# canvas pixels (0-280); a list of strokes per digit, each a list of points
STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_ring(140, 140, 62, 95, 14, -95, 375)],
    1: [[(150, 45), (144, 110), (137, 175), (132, 238)]],
    2: [[(85, 95), (105, 60), (145, 45), (185, 62), (195, 102), (175, 145), (130, 190), (85, 235), (145, 232),
         (205, 230)]],
    3: [[(85, 68), (128, 44), (178, 55), (186, 95), (152, 128), (125, 135), (160, 138), (192, 165), (193, 208),
         (152, 236), (90, 225)]],
    4: [[(155, 40), (122, 100), (92, 160), (150, 160), (208, 158)], [(178, 92), (175, 165), (172, 240)]],
    5: [[(105, 48), (98, 88), (92, 128), (140, 114), (185, 137), (194, 187), (163, 228), (96, 222)],
        [(105, 48), (150, 46), (196, 44)]],
    6: [[(178, 45), (132, 82), (102, 138), (96, 195), (126, 236), (172, 226), (188, 182), (160, 146), (120, 150),
         (98, 182)]],
    7: [[(75, 50), (140, 50), (205, 50), (162, 145), (120, 240)]],
    8: [[(176, 72), (140, 42), (100, 64), (106, 110), (140, 135), (180, 165), (186, 210), (142, 238), (96, 212),
         (100, 166), (140, 135), (176, 106), (176, 72)]],
    9: [[(182, 78), (150, 48), (108, 60), (98, 100), (130, 126), (178, 106), (182, 78), (178, 160), (168, 240)]],
}


def render(strokes: list[list[tuple[float, float]]], width: int = PEN, scale: int = 4) -> bytes:
    """The strokes as the canvas draws them (round caps and joins, black on white, anti-aliased): 280 px PNG."""
    from PIL import Image, ImageDraw

    im = Image.new("L", (280 * scale, 280 * scale), 255)
    d = ImageDraw.Draw(im)
    w = width * scale
    for stroke in strokes:
        pts = [(x * scale, y * scale) for x, y in stroke]
        d.line(pts, fill=0, width=w, joint="curve")
        for x, y in pts:
            d.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=0)
    b = io.BytesIO()
    im.resize((280, 280), Image.Resampling.LANCZOS).save(b, "PNG")
    return b.getvalue()


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
