"""In a real browser, on the Digit Recognizer: the train and evaluate tabs; a drawn digit and uploaded digits read
as their true labels (by the MNIST-format reader, which the page uses whenever MNIST is on the machine), a bad
file gets its reason, and a small MNIST model trained from a link's folder reads uploads the MNIST way."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import MNIST_SAMPLE, READER_READY, exceptions, screenshot, wait_for_app, wait_for_charts

pytestmark = pytest.mark.browser
needs_mnist = pytest.mark.skipif(not MNIST_SAMPLE.is_dir(), reason="MNIST sample folder not available")

URL_PATH = "/digits"
LONG = 240_000  # ms: the default model may train on first use on a busy machine
READER_WAIT = 240_000  # ms: the MNIST-format reader trains once per server, 20-60 s (more on a busy machine)
# t10k digits of the shared sample that each reader below reads right and surely (checked offline: p >= 0.99 for
# the default MNIST-format reader, >= 0.83 for the small model of the local-folder test), three labels each
FOR_THE_READER = (2, 5, 11)  # 3, 1, 8
FOR_THE_SMALL_MODEL = (8, 14, 4)  # 6, 1, 3


@pytest.fixture(scope="module", autouse=True)
def _reader_trains_meanwhile(request):
    """Start the MNIST-format reader's training first: it trains while the tests that do not need it run."""
    if MNIST_SAMPLE.is_dir():
        request.getfixturevalue("mnist_server")


def open_read_tab(page, app_server):
    page.goto(app_server + URL_PATH + "?tab=read")
    page.get_by_role("heading", name="Digit Recognizer").wait_for(timeout=60_000)
    page.locator('[data-testid="nnlab-digit-canvas"]').wait_for(timeout=LONG)  # the model is ready (trained or cached)
    wait_for_app(page, LONG)


def open_mnist_reader(page, mnist_server):
    """The Read tab once the page reads with the MNIST-format reader (it switches by itself when trained)."""
    page.goto(mnist_server + URL_PATH + "?tab=read")
    page.get_by_role("heading", name="Digit Recognizer").wait_for(timeout=60_000)
    page.get_by_text(READER_READY).wait_for(timeout=READER_WAIT)
    expect(page.get_by_text(re.compile(r"^Reading with: MNIST 28x28"))).to_be_visible(timeout=60_000)
    one_canvas(page)
    wait_for_app(page, LONG)


def one_canvas(page):
    """The canvas, once there is one (it is redrawn once when the MNIST-format reader takes over)."""
    canvas = page.locator('[data-testid="nnlab-digit-canvas"]')  # in the component's shadow root
    expect(canvas).to_have_count(1, timeout=60_000)
    expect(canvas).to_be_visible(timeout=60_000)
    return canvas


def draw(page, pts: list[tuple[int, int]]) -> None:
    """One mouse stroke through ``pts`` (canvas pixels)."""
    box = one_canvas(page).bounding_box()
    assert box and box["width"] > 200
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + pts[0][0], y0 + pts[0][1])
    page.mouse.down()
    for (ax, ay), (bx, by) in zip(pts, pts[1:]):
        for i in range(1, 13):
            page.mouse.move(x0 + ax + (bx - ax) * i / 12, y0 + ay + (by - ay) * i / 12)
    page.mouse.up()


def result_digit(page, name: str) -> str:
    """The digit the page shows for the input called ``name`` (waits for it)."""
    block = page.locator('[class*="st-key-d_read_"]', has_text=name).last
    block.wait_for(timeout=60_000)
    shown = block.locator('[class*="st-key-d_digit_"]')
    expect(shown).to_have_text(re.compile(r"^\s*\d\s*$"), timeout=60_000)  # the container comes before its text
    return shown.inner_text().strip()


def mnist_digit_png(tmp_path: Path, i: int) -> tuple[Path, int]:
    """The sample's t10k digit ``i`` as a dark-on-light 140 px PNG (as someone would scan one), and its label."""
    raw = gzip.decompress((MNIST_SAMPLE / "t10k-images-idx3-ubyte.gz").read_bytes())
    labels = gzip.decompress((MNIST_SAMPLE / "t10k-labels-idx1-ubyte.gz").read_bytes())[8:]
    img = np.frombuffer(raw[16 + 784 * i:16 + 784 * (i + 1)], np.uint8).reshape(28, 28)
    path = tmp_path / f"mnist-{i}-{labels[i]}.png"
    buf = io.BytesIO()
    Image.fromarray(255 - img).resize((140, 140), Image.Resampling.BILINEAR).save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path, int(labels[i])


def upload(page, paths: list[Path]) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(p) for p in paths])


def test_train_tab_shows_curves_and_the_kept_epoch(app_server, page):
    page.goto(app_server + URL_PATH)
    page.get_by_role("heading", name="Digit Recognizer").wait_for(timeout=60_000)
    page.get_by_text("Test accuracy").first.wait_for(timeout=LONG)
    wait_for_app(page, LONG)
    assert not exceptions(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Best epoch" in main and "Early stopping watched the validation loss" in main
    wait_for_charts(page, 1)  # the training curves, drawn
    screenshot(page, "digits-train")


def test_clicking_a_confusion_cell_shows_its_images(app_server, page):
    page.goto(app_server + URL_PATH + "?tab=evaluate")
    page.get_by_text("The mistakes it was surest of").wait_for(timeout=LONG)
    wait_for_app(page, LONG)
    wait_for_charts(page, 1)
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


@needs_mnist
def test_mnist_model_from_a_local_folder_reads_an_upload_the_mnist_way(app_server, page, tmp_path):
    q = (f"dataset=mnist&mnist_dir={MNIST_SAMPLE}&tab=read"
         "&hidden=64&epochs=3&patience=0&augment_copies=1&train_limit=2000")
    page.goto(app_server + URL_PATH + "?" + q)
    page.get_by_role("heading", name="Digit Recognizer").wait_for(timeout=60_000)
    page.get_by_role("button", name=re.compile("^Train")).click()  # MNIST waits for a click
    page.locator('[data-testid="nnlab-digit-canvas"]').wait_for(timeout=LONG)
    wait_for_app(page, LONG)
    digits = [mnist_digit_png(tmp_path, i) for i in FOR_THE_SMALL_MODEL]
    assert len({label for _, label in digits}) == 3  # a reader stuck on one answer cannot pass
    upload(page, [p for p, _ in digits])
    for path, label in digits:
        assert result_digit(page, path.name) == str(label), path.name
    block = page.locator('[class*="st-key-d_read_"]', has_text=digits[0][0].name).last
    block.get_by_text("28x28, centred by mass").wait_for(timeout=60_000)  # the MNIST way, step by step
    assert "small one" in page.locator('[data-testid="stMain"]').inner_text()  # steered to the default model
    assert not exceptions(page)
    screenshot(page, "digits-mnist-read")


@needs_mnist
def test_drawing_on_the_canvas_is_read(mnist_server, page):
    open_mnist_reader(page, mnist_server)
    draw(page, [(70, 50), (210, 50), (120, 240)])  # a "7": the top bar, then the diagonal
    assert result_digit(page, "your drawing") == "7"
    wait_for_app(page, LONG)
    assert not exceptions(page)
    screenshot(page, "digits-canvas")
    # Clear empties the canvas and the reading goes away
    page.locator('[data-testid="nnlab-canvas-clear"]').click()
    page.locator('[class*="st-key-d_read_"]', has_text="your drawing").wait_for(state="detached", timeout=60_000)
    wait_for_app(page, LONG)
    # a finger: touch pointer events draw too (the canvas sets touch-action: none, so the page does not scroll)
    canvas = one_canvas(page)
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]

    def touch(kind, x, y):
        canvas.dispatch_event(kind, {"pointerType": "touch", "pointerId": 7, "isPrimary": True, "bubbles": True,
                                     "clientX": x0 + x, "clientY": y0 + y, "buttons": 1})

    touch("pointerdown", 140, 40)  # a "1": one stroke down
    for i in range(1, 21):
        touch("pointermove", 140, 40 + i * 10)
    touch("pointerup", 140, 240)
    assert result_digit(page, "your drawing") == "1"
    assert canvas.evaluate("e => getComputedStyle(e).touchAction") == "none"


@needs_mnist
def test_uploaded_digits_are_read_and_a_bad_file_gets_its_reason(mnist_server, page, tmp_path):
    open_mnist_reader(page, mnist_server)
    digits = [mnist_digit_png(tmp_path, i) for i in FOR_THE_READER]
    assert len({label for _, label in digits}) == 3  # a reader stuck on one answer cannot pass
    bad = tmp_path / "shopping-list.png"  # the extension lies: it is text
    bad.write_text("milk, eggs, bread\n")
    upload(page, [p for p, _ in digits] + [bad])
    for path, label in digits:
        assert result_digit(page, path.name) == str(label), path.name
    alert = page.locator('[data-testid="stAlert"]', has_text="shopping-list.png")
    alert.wait_for(timeout=60_000)
    assert "this is a text file, not an image" in alert.inner_text()
    summary = page.get_by_text(re.compile(r"^3 of 4 read: "))
    expect(summary).to_have_text("3 of 4 read: " + ", ".join(f"{p.name} → {label}" for p, label in digits))
    wait_for_app(page, LONG)
    assert not exceptions(page)
    screenshot(page, "digits-uploads")
