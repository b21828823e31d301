"""In a real browser: draw a digit on the canvas, upload digit files and a bad file, on the Digit Recognizer."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import exceptions, screenshot, wait_for_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
from tests.conftest import MNIST_SAMPLE  # noqa: E402

URL_PATH = "/digits"
LONG = 240_000  # ms: the default model may train on first use on a busy machine


def open_read_tab(page, app_server):
    page.goto(app_server + URL_PATH + "?tab=read")
    page.get_by_role("heading", name="Digit Recognizer").wait_for(timeout=60_000)
    page.locator('[data-testid="nnlab-digit-canvas"]').wait_for(timeout=LONG)  # the model is ready (trained or cached)
    wait_for_app(page, LONG)


def result_digit(page, name: str) -> str:
    """The digit the page shows for the input called ``name`` (waits for it)."""
    block = page.locator('[class*="st-key-d_read_"]', has_text=name).last
    block.wait_for(timeout=60_000)
    shown = block.locator('[class*="st-key-d_digit_"]')
    shown.wait_for(timeout=60_000)
    text = ""
    for _ in range(120):  # the container arrives before its markdown is drawn
        text = shown.inner_text().strip()
        if text:
            break
        page.wait_for_timeout(500)
    assert re.fullmatch(r"\d", text), text
    return text


def sample_digit_png(tmp_path: Path) -> tuple[Path, int]:
    """A real MNIST test digit as a dark-on-light PNG (as someone would scan one), or a drawn 1."""
    f = MNIST_SAMPLE / "t10k-images-idx3-ubyte.gz"
    if f.exists():
        raw = gzip.decompress(f.read_bytes())
        labels = gzip.decompress((MNIST_SAMPLE / "t10k-labels-idx1-ubyte.gz").read_bytes())[8:]
        img = np.frombuffer(raw[16:16 + 784], np.uint8).reshape(28, 28)
        label = labels[0]
        pil = Image.fromarray(255 - img).resize((140, 140), Image.Resampling.BILINEAR)
    else:
        a = np.full((140, 140), 255, np.uint8)
        a[20:120, 62:76] = 0
        pil, label = Image.fromarray(a), 1
    path = tmp_path / f"digit-{label}.png"
    buf = io.BytesIO()
    pil.save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path, int(label)


def test_drawing_on_the_canvas_is_read(app_server, page):
    open_read_tab(page, app_server)
    canvas = page.locator('[data-testid="nnlab-digit-canvas"]')
    box = canvas.bounding_box()
    assert box and box["width"] > 200
    x0, y0 = box["x"], box["y"]
    # a "7": the top bar, then the diagonal
    pts = [(70, 50), (210, 50), (120, 240)]
    page.mouse.move(x0 + pts[0][0], y0 + pts[0][1])
    page.mouse.down()
    for (ax, ay), (bx, by) in zip(pts, pts[1:]):
        for i in range(1, 13):
            page.mouse.move(x0 + ax + (bx - ax) * i / 12, y0 + ay + (by - ay) * i / 12)
    page.mouse.up()
    digit = result_digit(page, "your drawing")
    assert digit in "0123456789"
    wait_for_app(page, LONG)
    assert not exceptions(page)
    screenshot(page, "digits-canvas")
    # Clear empties the canvas and the reading goes away
    page.locator('[data-testid="nnlab-canvas-clear"]').click()
    page.locator('[class*="st-key-d_read_"]', has_text="your drawing").wait_for(state="detached", timeout=60_000)
    wait_for_app(page, LONG)
    # a finger: touch pointer events draw too (the canvas sets touch-action: none, so the page does not scroll)
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]

    def touch(kind, x, y):
        canvas.dispatch_event(kind, {"pointerType": "touch", "pointerId": 7, "isPrimary": True, "bubbles": True,
                                     "clientX": x0 + x, "clientY": y0 + y, "buttons": 1})

    touch("pointerdown", 140, 40)
    for i in range(1, 21):
        touch("pointermove", 140, 40 + i * 10)
    touch("pointerup", 140, 240)
    assert result_digit(page, "your drawing") in "0123456789"
    assert canvas.evaluate("e => getComputedStyle(e).touchAction") == "none"


def test_uploaded_digits_are_read_and_a_bad_file_gets_its_reason(app_server, page, tmp_path):
    open_read_tab(page, app_server)
    good, _label = sample_digit_png(tmp_path)
    bad = tmp_path / "shopping-list.png"  # the extension lies: it is text
    bad.write_text("milk, eggs, bread\n")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(good), str(bad)])
    digit = result_digit(page, good.name)
    assert digit in "0123456789"
    alert = page.locator('[data-testid="stAlert"]', has_text="shopping-list.png")
    alert.wait_for(timeout=60_000)
    assert "not an image" in alert.inner_text()
    assert "1 of 2 read" in page.locator('[data-testid="stMain"]').inner_text()
    assert not exceptions(page)
    screenshot(page, "digits-uploads")


def test_train_tab_shows_curves_and_the_kept_epoch(app_server, page):
    page.goto(app_server + URL_PATH)
    page.get_by_role("heading", name="Digit Recognizer").wait_for(timeout=60_000)
    page.get_by_text("Test accuracy").first.wait_for(timeout=LONG)
    wait_for_app(page, LONG)
    assert not exceptions(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Best epoch" in main and "Early stopping watched the validation loss" in main
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 1
    screenshot(page, "digits-train")


def test_clicking_a_confusion_cell_shows_its_images(app_server, page):
    page.goto(app_server + URL_PATH + "?tab=evaluate")
    page.get_by_text("The mistakes it was surest of").wait_for(timeout=LONG)
    wait_for_app(page, LONG)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first.locator("canvas, svg").first
    box = chart.bounding_box()
    assert box
    # the plot area of the 360 px chart (axes and title take the top-left margin): cell (true 0, predicted 0)
    x = box["x"] + box["width"] * (52 + 30.8 * 0.5) / 360
    y = box["y"] + box["height"] * (105 + 23.2 * 0.5) / 360
    page.mouse.click(x, y)
    heading = page.get_by_role("heading", name=re.compile(r"0s read right: \d+ test images"))
    heading.wait_for(timeout=60_000)
    wait_for_app(page, LONG)
    assert not exceptions(page)
    screenshot(page, "digits-evaluate")


@pytest.mark.skipif(not MNIST_SAMPLE.is_dir(), reason="MNIST sample folder not available")
def test_mnist_model_from_a_local_folder_reads_an_upload_the_mnist_way(app_server, page, tmp_path):
    q = (f"dataset=mnist&mnist_dir={MNIST_SAMPLE}&tab=read"
         "&hidden=64&epochs=3&patience=0&augment_copies=1&train_limit=2000")
    page.goto(app_server + URL_PATH + "?" + q)
    page.get_by_role("heading", name="Digit Recognizer").wait_for(timeout=60_000)
    page.get_by_role("button", name=re.compile("^Train")).click()  # MNIST waits for a click
    page.locator('[data-testid="nnlab-digit-canvas"]').wait_for(timeout=LONG)
    wait_for_app(page, LONG)
    good, _label = sample_digit_png(tmp_path)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(good)])
    assert result_digit(page, good.name) in "0123456789"
    block = page.locator('[class*="st-key-d_read_"]', has_text=good.name).last
    block.get_by_text("28x28, centred by mass").wait_for(timeout=60_000)  # the MNIST way, step by step
    assert "small one" in page.locator('[data-testid="stMain"]').inner_text()  # steered to the default model
    assert not exceptions(page)
    screenshot(page, "digits-mnist-read")
