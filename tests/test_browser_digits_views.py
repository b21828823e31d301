"""In a real browser, with MNIST on the machine: the Read tab switches to the MNIST-format reader, reads a
drawn 7 and an uploaded MNIST digit as their true labels, shows what the network sees, flags a drawn L,
and fine-tunes on a correction. Screenshots of every tab at 1440 and 1024 px go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.conftest import MNIST_SAMPLE, exceptions, screenshot, wait_for_app, wait_for_charts
from tests.test_browser_digits import draw, mnist_digit_png, open_mnist_reader, result_digit

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not MNIST_SAMPLE.is_dir(), reason="MNIST sample folder not available")]

URL_PATH = "/digits"
LONG = 240_000  # ms: a tab's model may train on first use on a busy machine


def clear(page) -> None:
    page.locator('[data-testid="nnlab-canvas-clear"]').click()
    page.locator('[class*="st-key-d_read_"]', has_text="your drawing").wait_for(state="detached", timeout=60_000)
    wait_for_app(page, LONG)


def test_mnist_reader_reads_right_looks_inside_flags_and_learns(mnist_server, page, tmp_path):
    page.set_viewport_size({"width": 1440, "height": 1000})
    open_mnist_reader(page, mnist_server)  # the 8x8 reader answers meanwhile, then the page switches by itself
    draw(page, [(70, 50), (210, 50), (120, 240)])  # a plain 7
    assert result_digit(page, "your drawing") == "7"
    wait_for_app(page, LONG)
    main = page.locator('[data-testid="stMain"]')
    for text in ("Inside the network", "What the network sees in your drawing", "The nearest training images",
                 "Teach it"):
        main.get_by_text(text, exact=True).first.wait_for(timeout=60_000)
    assert "your drawing does not look like a digit" not in main.inner_text()  # a 7 is not flagged
    wait_for_charts(page, 4)  # the hidden layers, the two contribution bars, the probabilities: drawn
    assert not exceptions(page)
    screenshot(page, "digits-read-inside-1440")
    page.set_viewport_size({"width": 1024, "height": 900})
    wait_for_app(page, LONG)
    screenshot(page, "digits-read-inside-1024")
    page.set_viewport_size({"width": 1440, "height": 1000})

    # an uploaded real MNIST test digit is read as its label
    good, label = mnist_digit_png(tmp_path, 1)  # a 4
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(good)])
    assert result_digit(page, good.name) == str(label)
    wait_for_app(page, LONG)

    # a drawn L is flagged as not digit-like
    clear(page)
    draw(page, [(80, 40), (80, 240), (220, 240)])
    result_digit(page, "your drawing")
    main.get_by_text("your drawing does not look like a digit").wait_for(timeout=60_000)
    wait_for_app(page, LONG)
    screenshot(page, "digits-read-flagged")
    assert not exceptions(page)


@pytest.mark.parametrize("tab", ["train", "evaluate", "read", "compare"])
@pytest.mark.parametrize("width", [1440, 1024])
def test_every_tab_at_two_widths(mnist_server, page, tab, width):
    """Screenshots to look at; nothing errors, and the precision/recall table shows all ten digits."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(mnist_server + URL_PATH + f"?tab={tab}")
    page.get_by_role("heading", name="Digit Recognizer").wait_for(timeout=60_000)
    ready = {"train": "Best epoch", "evaluate": "What each first-layer neuron looks for", "read": "Draw a digit",
             "compare": "Early stopping stopped at epoch"}[tab]
    page.get_by_text(ready).first.wait_for(timeout=LONG)
    wait_for_app(page, LONG)
    if tab == "train" and width == 1440:  # the settings panel stays open and its summary follows each change
        page.get_by_text("Settings ·").first.click()
        box = page.get_by_label("Hidden layers (widths)", exact=True)
        box.wait_for(timeout=60_000)
        box.fill("32")
        box.press("Enter")
        page.get_by_text("64-32-10 ReLU").first.wait_for(timeout=LONG)
        wait_for_app(page, LONG)
        assert page.get_by_label("Hidden layers (widths)", exact=True).is_visible()  # still open
        screenshot(page, "digits-train-settings-open")
        page.goto(page.url.split("?")[0] + "?tab=train")  # back to the defaults for the screenshot below
        page.get_by_text(ready).first.wait_for(timeout=LONG)
        wait_for_app(page, LONG)
    if tab == "evaluate":
        page.get_by_text("What each first-layer neuron looks for").wait_for(timeout=LONG)
        table = page.locator('[data-testid="stTable"]').first
        for d in range(10):
            cell = table.get_by_text(f"digit {d}", exact=True)
            cb, tb = cell.bounding_box(), table.bounding_box()
            assert cb and tb and cb["y"] + cb["height"] <= tb["y"] + tb["height"] + 1  # not cut off
            assert cb["x"] + cb["width"] <= tb["x"] + tb["width"] + 1
    wait_for_app(page, LONG)
    assert not exceptions(page)
    screenshot(page, f"digits-{tab}-{width}")
