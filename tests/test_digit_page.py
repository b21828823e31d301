"""AppTest for the Digit Recognizer page: as a visitor clicks through it (small models where it can)."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from core import digits as _digits
from tests.conftest import MNIST_SAMPLE
from tests.pages import L_SHAPE, ONE, SEVEN, big_digit, digit_png, drawing, module_data_dir, plain, texts
from tests.pages import digit_page as page

# one data folder for this module: the default model trains once, later tests take it from the cache
shared_dir, _shared = module_data_dir("digit-page-data")

DEFAULT_CONFIG = _digits.default_config
SMALL_MNIST_READER = _digits.DigitsConfig(dataset="mnist", hidden=(32,), epochs=2, patience=0, augment_copies=0,
                                          batch_size=64, lr=0.003, val_fraction=0.0)


def test_renders_at_defaults_with_a_trained_model():
    at = page()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Digit Recognizer"
    labels = {m.label: m.value for m in at.metric}
    acc = float(labels["Test accuracy"].rstrip("%")) / 100
    assert acc > 0.9  # the tutorial's network on the 8x8 digits, trained now
    assert int(labels["Epochs run"]) < 200  # early stopping stopped it
    assert at.text_input(key="d_hidden").value == "100, 50"
    assert at.download_button  # the model can be downloaded
    # the same settings open from the cache at once (the URL holds nothing at defaults)
    assert not {k for k in at.query_params if k in ("hidden", "lr", "epochs")}


def test_an_upload_batch_is_read_and_a_bad_file_gets_its_message():
    at = page(tab="read")
    assert not at.exception, [e.value for e in at.exception]
    assert "Reading with the **built-in reader**" in texts(at, "info") and not at.warning  # ready, no homework
    at.file_uploader(key="d_files").set_value([
        ("one.png", digit_png(), "image/png"),
        ("notes.txt", b"this is not an image", "text/plain"),
        ("empty.png", b"", "image/png"),
        ("one-rgb.png", digit_png("RGB"), "image/png"),
    ]).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("notes.txt" in e and "text file" in e for e in errors)
    assert any("empty.png" in e and "empty" in e for e in errors)
    assert len(errors) == 2
    md = texts(at, "markdown")
    assert "2 of 4 read" in md and "one.png →" in md and "one-rgb.png →" in md
    assert sum("sure · read in" in c.value for c in at.caption) == 2  # one result block per image read


def test_a_foreign_model_file_is_refused_with_a_reason():
    at = page()
    at.file_uploader(key="d_model_file").set_value(("weights.pt", b"PK\x03\x04 not ours", "application/zip")).run()
    assert not at.exception
    assert "refused" in texts(at, "error") and "pickle" in texts(at, "error")


def test_a_setting_changes_the_url_and_bad_settings_get_a_notice():
    at = page(lr="-1", hidden="abc", train_limit="300")
    assert not at.exception
    notice = texts(at, "warning")
    assert "`lr" in notice and "`hidden" in notice
    at.text_input(key="d_hidden").set_value("10, x").run()
    assert "Setting not accepted" in texts(at, "error")
    at.text_input(key="d_hidden").set_value("24").run()
    at.toggle(key="d_es").set_value(False).run()
    assert not at.exception and not at.error
    assert at.query_params["hidden"] == "24" and at.query_params["patience"] == "0"
    assert at.query_params["train_limit"] == "300"  # settings the page has no widget for stay in the link


@pytest.mark.skipif(not MNIST_SAMPLE.is_dir(), reason="MNIST sample folder not available")
def test_mnist_from_a_local_folder_trains_on_a_click_and_reads_with_28x28_steps():
    at = page(dataset="mnist", mnist_dir=str(MNIST_SAMPLE), hidden="32", epochs="2", augment_copies="0",
              patience="0", train_limit="1000", tab="read")
    assert not at.exception, [e.value for e in at.exception]
    assert "small one" in texts(at, "warning") and "1,000 training digits" in texts(at, "warning")
    assert "Use the default MNIST model" in [b.label for b in at.button]
    train = [b for b in at.button if b.key and b.key.startswith("d_train")]
    assert train, "MNIST waits for a click before it trains"
    train[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.file_uploader(key="d_files").set_value(("one.png", digit_png(), "image/png")).run()
    assert "1 of 1" not in texts(at, "markdown")  # one file: no batch summary line, but the reading
    captions = texts(at, "caption")
    assert "sure" in captions and "28x28" not in texts(at, "error")
    assert at.query_params["mnist_dir"] == str(MNIST_SAMPLE)
    # steered to the default MNIST model: its settings replace the small ones (it waits for a click to train)
    next(b for b in at.button if b.key == "d_to_mnist").click().run()
    assert not at.exception, [e.value for e in at.exception]
    from core import digits

    want = digits.default_config("mnist")
    assert at.query_params["hidden"] == ",".join(str(w) for w in want.hidden)
    assert "train_limit" not in at.query_params


def test_mnist_without_network_or_folder_says_what_to_do(monkeypatch):
    monkeypatch.delenv("NNLAB_MNIST_DIR", raising=False)
    at = page(dataset="mnist")
    assert not at.exception
    assert "Download MNIST" in [b.label for b in at.button]
    assert "folder" in texts(at, "warning")
    assert len(at.tabs) == 4 and "Tab ③ reads your digits meanwhile" in texts(at, "info")  # the tabs stay
    at.text_input(key="d_mnist_dir").set_value("/no/such/folder").run()
    assert "does not exist" in texts(at, "error")


def test_mnist_without_network_the_read_tab_reads_with_the_built_in_reader_and_keeps_the_canvas(monkeypatch):
    """MNIST chosen, none here: the Read tab opens on the best reader (the built-in one), and with "the model
    trained in ①" it names no model that does not exist, never points at itself, and keeps the canvas."""
    monkeypatch.delenv("NNLAB_MNIST_DIR", raising=False)
    at = page(dataset="mnist", tab="read")
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="d_reader_mnist").value == "best"
    assert "Reading with the **built-in reader**" in texts(at, "info")
    assert "Draw a digit" in texts(at, "markdown")  # the canvas
    at.file_uploader(key="d_files").set_value([("one.png", digit_png(), "image/png")]).run()
    assert any("sure · read in" in c.value for c in at.caption)
    at.radio(key="d_reader_mnist").set_value("trained").run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join([texts(at, "info"), texts(at, "success"), texts(at, "warning")])
    assert "Tab ③" not in said and "reads your digits meanwhile" in said
    assert not at.success  # no verdict on an MNIST model that was never trained
    assert "Use the default MNIST model" not in [b.label for b in at.button]
    assert "Draw a digit" in texts(at, "markdown") and any("sure · read in" in c.value for c in at.caption)
    assert "Reading with: MNIST 28x28 CNN conv5x5 6-16" in texts(at, "caption")  # the built-in reader reads


def test_evaluate_tab_shows_accuracy_confusion_and_mistakes():
    at = page(tab="evaluate")
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    wrong, total = labels["Wrong test images"].split(" of ")
    assert int(total) == 360 and int(wrong) < 36
    assert any("mistakes it was surest of" in m.value for m in at.markdown)


def charts(at, text: str = "") -> list:
    """The page's Vega-Lite chart elements (in columns and tabs too) whose spec holds ``text``."""
    return [c.proto for c in at.get("vega_lite_chart") if text in c.proto.spec]


def test_evaluate_charts_are_each_models_own_and_a_loaded_file_draws_its_own():
    """The charts are kept per model (ui.vega): a loaded file is named by its weights, never by a config."""
    at = page(tab="evaluate")
    trained = charts(at)
    assert len(trained) == 2  # the confusion matrix, precision and recall
    at.session_state["d_loaded"] = _digits.compute([_digits.DigitsConfig(hidden=(8,), epochs=1, patience=0)])[0]
    at.run()
    at.radio(key="d_use").set_value("loaded").run()
    assert not at.exception, [e.value for e in at.exception]
    loaded = charts(at)
    assert len(loaded) == 2 and loaded[0] != trained[0] and loaded[1] != trained[1]
    at.radio(key="d_use").set_value("trained").run()
    assert charts(at) == trained


def test_a_model_file_of_ours_loads():
    from core import digits

    tiny = digits.compute([digits.DigitsConfig(hidden=(16,), epochs=2, patience=0)])[0]
    at = page()
    at.file_uploader(key="d_model_file").set_value(("mine.safetensors", digits.export_model(tiny),
                                                     "application/octet-stream")).run()
    assert not at.exception
    assert "Loaded **mine.safetensors**" in texts(at, "success") and "64-16-10" in texts(at, "success")


def test_compare_tab_runs_both_pairs_and_the_sklearn_baseline():
    at = page(tab="compare", train_limit="400", epochs="4", cmp_epochs="6")
    assert not at.exception, [e.value for e in at.exception]
    md = texts(at, "markdown")
    assert "dropout 0.2 narrowed the gap" in md or "dropout 0.2 did not narrow the gap" in md
    assert "Early stopping did not trigger in 6 epochs" in md  # patience 10 cannot fire in 6: the page says so
    frames = [d.value for d in at.dataframe]
    pair, sk = frames[0], frames[1]
    assert list(pair["run"])[0] == "the tutorial's code (raw pixels 0-16)"
    assert abs(float(pair["test accuracy"].iloc[0]) - 0.967) < 0.0005  # the tutorial's exact code and number
    assert list(sk["model"])[1].startswith("scikit-learn MLPClassifier")
    assert 0.5 < float(sk["test accuracy"].iloc[1]) <= 1.0
    assert list(frames[2]["model"]) == ["MLP", "CNN"]  # the MLP beside the CNN of about its size
    assert "loss gap" in frames[3].columns
    assert at.query_params["cmp_epochs"] == "6"
    pairs = charts(at)
    assert len(pairs) == 2  # the dropout pair, the early-stopping pair
    at.number_input(key="d_cmp_epochs").set_value(7).run()
    assert not at.exception, [e.value for e in at.exception]
    assert all(a != b for a, b in zip(charts(at), pairs)) and len(charts(at)) == 2  # kept per pair's configs


def test_a_camera_photo_is_read():
    at = page(tab="read")
    at.toggle(key="d_cam_on").set_value(True).run()
    photo = Image.new("RGB", (320, 240), (200, 190, 170))  # greyish paper, a dark pen stroke
    ImageDraw.Draw(photo).line([(160, 40), (160, 200)], fill=(30, 30, 40), width=14)
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=85)
    at.camera_input(key="d_camera").set_value(("photo.jpg", buf.getvalue(), "image/jpeg")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(plain(m.value) == "camera photo" for m in at.markdown)


def test_hosted_mode_caps_a_link_that_asks_for_too_much(monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    at = page(epochs="90000", hidden="5000,10", train_limit="300", tab="evaluate")
    assert not at.exception, [e.value for e in at.exception]
    assert "caps what one visitor may train" in texts(at, "warning")


def test_hosted_upload_caps_read_the_first_files_and_refuse_a_big_one(monkeypatch):
    """A hosted server reads at most max_uploads files at once and none over max_upload_mb; the rest still read."""
    from core import settings

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    lim = settings.limits()
    at = page(tab="read")
    big = Image.effect_noise((1400, 1400), 64).convert("RGB")  # noise compresses badly: several MB as BMP
    b = io.BytesIO()
    big.save(b, "BMP")
    assert len(b.getvalue()) > lim.max_upload_mb * 1_000_000
    files = [("big.bmp", b.getvalue(), "image/bmp")]
    files += [(f"d{i}.png", digit_png(), "image/png") for i in range(lim.max_uploads)]  # one over the cap
    at.file_uploader(key="d_files").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"reading the first {lim.max_uploads}" in w.value for w in at.warning)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "big.bmp" in errors[0] and "MB" in errors[0]
    assert f"{lim.max_uploads - 1} of {lim.max_uploads} read" in texts(at, "markdown")
    # the uploaders carry the limit themselves, so the browser refuses an over-size file before sending it
    assert at.file_uploader(key="d_files").proto.max_upload_size_mb == lim.max_upload_mb == 5


# ---- the views inside the network (issue 16) ----------------------------------------------------------
def test_evaluate_shows_what_each_first_layer_unit_looks_for():
    at = page(tab="evaluate")
    assert not at.exception, [e.value for e in at.exception]
    assert any("What each first-layer neuron looks for" in m.value for m in at.markdown)
    units = [c.value for c in at.caption if c.value.startswith("unit ")]
    assert len(units) == 32
    at.radio(key="d_units_order").set_value("usefulness").run()
    at.number_input(key="d_units_n").set_value(16).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len([c for c in at.caption if c.value.startswith("unit ")]) == 16
    # the precision/recall table has all ten digits
    table = at.table[0].value
    assert list(table.index) == [f"digit {d}" for d in range(10)]
    assert list(table.columns) == ["precision", "recall", "images"]


def test_read_looks_inside_flags_a_non_digit_and_fine_tunes_in_the_session(shared_dir, monkeypatch):
    monkeypatch.delenv("NNLAB_MNIST_DIR", raising=False)
    at = page(tab="read")
    at.radio(key="d_reader_digits").set_value("trained").run()  # the 8x8 model of ① (quick to fine-tune)
    at.file_uploader(key="d_files").set_value([("L.png", drawing(L_SHAPE), "image/png"),
                                               ("one.png", drawing(ONE), "image/png")]).run()
    assert not at.exception, [e.value for e in at.exception]
    warn = [w.value for w in at.warning if "does not look like a digit" in w.value]
    assert len(warn) == 1 and warn[0].startswith("**L.png")  # the L is flagged; the 1 is not
    assert "(not digit-like)" in texts(at, "markdown") and "one.png → 1" in texts(at, "markdown")
    measured = next(m.value for m in at.markdown if m.value.startswith("Measured on this model"))
    assert "of 120 made non-digits" in measured and "of the 360 real digits" in measured
    assert [h.value for h in at.subheader] == ["Inside the network", "Teach it"]
    assert any("of the 8 nearest training images are" in c.value for c in at.caption)
    assert len([c for c in at.caption if c.value.startswith("a **")]) == 8  # eight nearest images
    assert len(at.get("vega_lite_chart")) >= 5  # probabilities x2, activation strips, two contribution charts
    next(r for r in at.radio if r.key and r.key.startswith("d_space_")).set_value("pixel").run()
    assert any("Cosine distance in pixel space" in c.value for c in at.caption)

    # teach it: the L is a 7 (say); fine-tune; the reading changes; nothing new on disk
    was = next(m.value for m in at.markdown if m.value.startswith("<div"))
    assert was != big_digit(7)
    files_before = sorted(p.name for p in shared_dir.rglob("*"))
    next(b for b in at.selectbox if b.key and b.key.startswith("d_truth_r_")).set_value(7).run()
    at.button(key="d_add_r").click().run()
    assert "Your drawings: 1 (7)" in texts(at, "caption")
    at.button(key="d_tune_r").click().run()
    assert not at.exception, [e.value for e in at.exception]
    digits_shown = [m.value for m in at.markdown if m.value.startswith("<div")]
    assert digits_shown[0] == big_digit(7)  # the L now reads as the taught 7
    assert digits_shown[1] == big_digit(1)  # the 1 is still a 1
    assert "fine-tuned on your 1 drawing" in texts(at, "caption")
    assert any(c.value.startswith("Before fine-tuning the model read it as") for c in at.caption)
    assert sorted(p.name for p in shared_dir.rglob("*")) == files_before  # the drawings live in the session only
    at.button(key="d_forget_r").click().run()
    assert "Your drawings: 0" in texts(at, "caption") and "fine-tuned" not in texts(at, "caption")


def test_settings_summary_follows_the_widgets_at_once():
    at = page()
    assert "64-100-50-10" in at.expander[0].label
    at.text_input(key="d_hidden").set_value("24").run()
    assert not at.exception
    assert "64-24-10" in at.expander[0].label  # not one change behind
    at.slider(key="d_dropout").set_value(0.0).run()
    assert "dropout" not in at.expander[0].label.split("·")[1]


@pytest.mark.skipif(not MNIST_SAMPLE.is_dir(), reason="MNIST sample folder not available")
def test_the_read_tab_switches_to_the_mnist_reader_once_it_is_trained(monkeypatch):
    """MNIST on the machine: the built-in reader answers while the MNIST-format reader trains, then the one that
    reads more held-out digits reads."""
    import time

    from core import digits
    from core.digits.reader import READER

    monkeypatch.setenv("NNLAB_MNIST_DIR", str(MNIST_SAMPLE))
    # a small MNIST-format reader trains in seconds and, like the default one, reads fewer held-out digits
    # than the built-in reader: the same path as at the defaults (training, then the measured choice)
    monkeypatch.setattr(digits, "default_config", lambda dataset="digits", model="mlp": SMALL_MNIST_READER
                        if (dataset, model) == ("mnist", "mlp") else DEFAULT_CONFIG(dataset, model))
    monkeypatch.setattr(READER, "_jobs", {})  # this process's reader starts afresh and is forgotten afterwards
    at = page(tab="read")
    assert not at.exception, [e.value for e in at.exception]
    state = READER.status(start=False)
    if state.state == "training":
        assert "The built-in reader answers meanwhile" in texts(at, "info")
    t0 = time.time()
    while READER.status(start=False).state == "training" and time.time() - t0 < 600:
        time.sleep(1)
    assert READER.status(start=False).state == "ready"
    at.file_uploader(key="d_files").set_value([("seven.png", drawing(SEVEN),
                                                "image/png")]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "held-out test digits" in texts(at, "success") + texts(at, "info")  # the better of the two reads
    assert big_digit(7) in [m.value for m in at.markdown]
    assert "Reading with: MNIST 28x28" in texts(at, "caption")


def test_inside_the_network_explains_the_current_reading_after_the_drawing_changes(monkeypatch):
    """The view below the reading takes apart the digit read now, not the one a first drawing read."""
    from core import digits
    from core.datasets import mnist
    from core.digits import reader
    from core.engine.conv import is_cnn

    monkeypatch.delenv("NNLAB_MNIST_DIR", raising=False)
    if is_cnn(reader.shipped_reader().config):  # these views take apart an MLP: a small one reads here
        mlp = digits.DigitsConfig(dataset="mnist", hidden=(64,), epochs=5, patience=0, augment_copies=0)
        monkeypatch.setattr(reader, "_SHIPPED", {"r": digits.train(mlp, folder=mnist.SAMPLE_DIR)})
    at = page(tab="read")
    at.file_uploader(key="d_files").set_value([("drawing.png", drawing(ONE), "image/png")]).run()
    assert not at.exception, [e.value for e in at.exception]

    def shown() -> tuple[str, int]:
        read = next(m.value for m in at.markdown if m.value.startswith("<div"))
        box = next(b for b in at.selectbox if b.key and b.key.startswith("d_explain_"))
        return read, int(box.value)

    assert shown() == (big_digit(1), 1)
    assert "pushed the score of 1" in texts(at, "caption")
    inside = lambda: charts(at, "share of the layer") + charts(at, "units pushing towards")  # noqa: E731
    one = inside()
    assert len(one) == 3  # the activation strips, the last and the first layer's units
    seven = drawing(SEVEN)
    at.file_uploader(key="d_files").set_value([("drawing.png", seven, "image/png")]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert shown() == (big_digit(7), 7)
    assert "pushed the score of 7" in texts(at, "caption") and "pushed the score of 1" not in texts(at, "caption")
    assert all(a != b for a, b in zip(inside(), one))
    seven_as_7 = inside()
    truth = next(b for b in at.selectbox if b.key and b.key.startswith("d_truth_"))
    assert truth.value == 7  # "Teach it" starts from the current reading too
    explain = lambda: next(b for b in at.selectbox if b.key and b.key.startswith("d_explain_"))  # noqa: E731
    explain().set_value(3).run()
    assert all(a != b for a, b in zip(inside(), seven_as_7))  # the charts are kept per digit explained
    at.file_uploader(key="d_files").set_value([("drawing.png", drawing(ONE), "image/png")]).run()
    explain().set_value(7).run()
    assert all(a != b for a, b in zip(inside(), seven_as_7))  # and per image: the 1's own, explained as 7
