"""The Digit Recognizer page's own core: batch reading, its charts, the canvas's data-URL decoding."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw

from core import digits
from core.digits import charts as dc
from core.digits import reading as dr
from core.engine import TrainResult


def png(draw=None, size=(120, 120), mode="L", bg=255) -> bytes:
    im = Image.new(mode, size, bg)
    if draw:
        draw(ImageDraw.Draw(im))
    b = io.BytesIO()
    im.save(b, "PNG")
    return b.getvalue()


def one(d):
    d.line([(60, 15), (60, 105)], fill=0, width=10)


@pytest.fixture(scope="module")
def tiny_model() -> TrainResult:
    """A quick 8x8 model (the page's shape, few epochs): enough to exercise reading, not to be right."""
    cfg = digits.DigitsConfig(epochs=3, patience=0, hidden=(32,))
    return digits.compute([cfg])[0]


def test_a_batch_reads_the_good_files_and_gives_each_bad_one_a_reason(tiny_model):
    bomb = bytearray(png(one))  # a small PNG whose header claims 30,000 x 30,000 pixels
    bomb[16:24] = struct.pack(">II", 30_000, 30_000)
    bomb[29:33] = struct.pack(">I", zlib.crc32(bytes(bomb[12:29])))
    items = [
        ("one.png", png(one)),
        ("empty.png", b""),
        ("notes.txt", b"just some words, not an image at all"),
        ("blank.png", png()),
        ("cut.png", png(one)[:60]),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'),
        ("bomb.png", bytes(bomb)),
        ("rgba.png", png(lambda d: d.line([(60, 15), (60, 105)], fill=(0, 0, 0, 255), width=10),
                         mode="RGBA", bg=(255, 255, 255, 0))),  # a canvas export: ink on transparency
    ]
    out = dr.read_many(items, tiny_model)
    assert [x.name for x in out] == [n for n, _ in items]  # order kept, nothing dropped
    ok = {x.name for x in out if x.ok}
    assert ok == {"one.png", "rgba.png"}
    for x in out:
        if x.ok:
            assert 0 <= x.digit <= 9 and x.probs.shape == (10,) and abs(x.probs.sum() - 1) < 1e-4
            assert x.steps.x.shape == (64,)
        else:
            assert x.error and "\n" not in x.error and len(x.error) < 160
    reasons = {x.name: x.error for x in out}
    assert "empty" in reasons["empty.png"]
    assert "text" in reasons["notes.txt"]
    assert "ink" in reasons["blank.png"]
    assert "SVG" in reasons["drawing.svg"]
    assert "huge" in reasons["bomb.png"] or "limit" in reasons["bomb.png"]


def test_reading_respects_the_size_limit(tiny_model):
    x = dr.read_one("big.png", png(one), tiny_model, max_bytes=100)
    assert not x.ok and "limit" in x.error


def test_kept_metrics_are_those_of_the_kept_weights():
    h = pd.DataFrame({"epoch": [1, 2, 3], "train_acc": [0.5, 0.8, 0.9], "val_acc": [0.4, 0.7, 0.6],
                      "test_acc": [0.45, 0.75, 0.65], "test_loss": [1.0, 0.5, 0.6]})
    cfg = digits.DigitsConfig(patience=1)
    r = TrainResult(cfg, h, {}, {}, 64, 10, stopped_epoch=3, best_epoch=2)
    assert dr.kept_metrics(r)["val_acc"] == 0.7 and dr.kept_metrics(r)["test_acc"] == 0.75
    r.metrics["final_test_acc"] = 0.76  # the trainer's own measure of the kept weights wins
    assert dr.kept_metrics(r)["test_acc"] == 0.76
    r2 = TrainResult(cfg.replace(patience=0), h, {}, {}, 64, 10, stopped_epoch=3, best_epoch=2)
    assert dr.kept_metrics(r2)["val_acc"] == 0.6  # no early stopping: the last epoch


def test_stage_image_enlarges_small_stages_keeping_pixels_visible():
    a = np.zeros((8, 8), np.float32)
    a[2, 3] = 1.0
    im = dr.stage_image(a, 96)
    assert im.size == (96, 96)
    px = np.asarray(im)
    assert px[2 * 12 + 5, 3 * 12 + 5] == 255 and px[0, 0] == 0  # nearest neighbour: crisp cells
    assert dr.stage_image(np.full((20, 10), 200, np.uint8), 96).size == (48, 96)


def _history(n=20, stop=None):
    e = np.arange(1, n + 1)
    return pd.DataFrame({"epoch": e, "train_loss": 1 / e, "train_eval_loss": 1 / e, "train_acc": 1 - 0.5 / e,
                         "val_loss": 1 / e + 0.01 * e, "val_acc": 0.9 - 0.001 * e, "test_loss": 1 / e + 0.02,
                         "test_acc": 0.85 + 0 * e})


def test_training_curves_mark_the_best_epoch_and_show_train_and_validation():
    spec = dc.training_curves(_history(), best_epoch=7).to_dict()
    text = str(spec)
    assert "best epoch 7" in text
    loss_panel = spec["hconcat"][0]["layer"]
    assert loss_panel[0]["encoding"]["y"]["scale"]["type"] == "log"
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert set(data["series"]) >= {"training rows", "validation rows"}
    assert "test rows" not in str(loss_panel[0]["encoding"]["color"]["scale"]["domain"])
    assert "best epoch" not in str(dc.training_curves(_history()).to_dict())


def test_confusion_heatmap_is_clickable_by_cell():
    conf = pd.DataFrame({"true": np.repeat(np.arange(10), 10), "predicted": np.tile(np.arange(10), 10),
                         "count": np.eye(10, dtype=int).ravel() * 30 + 1})
    spec = dc.confusion_heatmap(conf).to_dict()
    params = spec["params"]  # altair lifts a layer's selection to the top level
    assert params[0]["name"] == "cell"
    assert params[0]["select"]["fields"] == ["true", "predicted"] and params[0]["select"]["on"] == "click"
    assert spec["layer"][1]["mark"]["type"] == "text"


def test_probability_bars_highlight_the_chosen_digit():
    p = np.full(10, 0.02)
    p[7] = 0.82
    spec = dc.probability_bars(p).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["digit"] for r in rows if r["chosen"]] == [7]
    assert spec["encoding"]["y"]["scale"]["domain"] == [0, 1]


def test_per_class_and_compare_charts_build():
    pc = pd.DataFrame({"digit": range(10), "precision": np.linspace(0.9, 1, 10), "recall": np.linspace(1, 0.9, 10)})
    spec = dc.per_class_bars(pc).to_dict()
    assert spec["encoding"]["xOffset"]["field"] == "measure"
    spec = dc.compare_runs({"off": _history(30), "on": _history(12)}, {"off": None, "on": 5}).to_dict()
    assert len(spec["hconcat"]) == 2 and spec["resolve"]["scale"]["y"] == "shared"
    assert "kept epoch 5" in str(spec)


def test_canvas_data_urls_decode_and_junk_is_ignored():
    pytest.importorskip("streamlit")
    from ui.canvas import decode_data_url

    raw = png(one)
    assert decode_data_url("data:image/png;base64," + base64.b64encode(raw).decode()) == raw
    for junk in (None, "", "data:image/png;base64,@@@", "data:text/html;base64,PGI+", "x" * 10):
        assert decode_data_url(junk) is None
    assert decode_data_url("data:image/png;base64," + "A" * 3_000_000) is None


def test_advice_is_computed_from_the_model():
    good, why = dr.advice(digits.default_config("mnist"), 0.985)
    assert good and "reads real handwriting well" in why
    good, why = dr.advice(digits.default_config("mnist").replace(augment_copies=0, train_limit=2000), 0.91)
    assert not good and "without augmented copies" in why and "2,000" in why and "91.0%" in why
    good, why = dr.advice(digits.DigitsConfig())
    assert not good and "66%" in why


def test_advice_names_the_model_that_reads_real_handwriting():
    assert "MNIST" in dr.ADVICE["digits"] and "66%" in dr.ADVICE["digits"] and "97%" in dr.ADVICE["digits"]
    r = TrainResult(digits.DigitsConfig(), _history(), {"final_test_acc": 0.97}, {}, 64, 10, 20, 20)
    assert dr.model_summary(r) == "8x8 digits MLP 64-100-50-10 (relu), test accuracy 97.0%"


def test_file_names_wrap_at_separators_and_are_escaped():
    """At 1024 px an upload's name broke mid-word; it now breaks after _ - . (and camelCase), escaped as HTML."""
    from ui.digits import NAME_STYLE, name_html

    got = name_html("handwritten_seven-photo.PNG")
    assert got == f"<span style='{NAME_STYLE}'>handwritten_<wbr>seven-<wbr>photo.<wbr>PNG</span>"
    assert "overflow-wrap:anywhere" in NAME_STYLE and "word-break:normal" in NAME_STYLE
    assert "<script>" not in name_html("<script>x</script>.png") and "&lt;script&gt;" in name_html("<script>.png")
    assert name_html("myDigit.png", bold=True).endswith("<b>my<wbr>Digit.<wbr>png</b></span>")
