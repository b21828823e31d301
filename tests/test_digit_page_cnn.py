"""AppTest for the Digit Recognizer with the CNN chosen: Train, Evaluate, Read (insides, not-a-digit flag, Teach
it) and Compare, on a few epochs of the 8x8 digits; and a link without ``model`` still opens the MLP."""

from __future__ import annotations

from core import digits
from core.digits import metrics as dm
from tests.pages import L_SHAPE, ONE, drawing, module_data_dir, texts
from tests.pages import digit_page as page

QUICK = dict(model="cnn", epochs="8", cmp_epochs="6")  # seconds on the 8x8 digits

# one data folder for this module: the quick CNN trains once, later tests take it from the cache
shared_dir, _shared = module_data_dir("digit-cnn-data", keep_mnist_dir=False)


def test_a_link_without_model_opens_the_mlp_and_the_widget_switches_to_the_default_cnn():
    at = page(epochs="8")
    assert not at.exception, [e.value for e in at.exception]
    assert at.segmented_control(key="d_model").value == "mlp"
    assert "64-100-50-10 ReLU" in at.expander[0].label
    assert "model" not in at.query_params
    at.segmented_control(key="d_model").set_value("cnn").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "CNN 8x8, conv 8, 16 (5x5, 2x2 pools), dense 128-10" in at.expander[0].label
    assert at.text_input(key="d_channels").value == "8, 16" and at.text_input(key="d_hidden").value == "128"
    assert at.query_params["model"] == "cnn" and "hidden" not in at.query_params  # the CNN's own defaults


def test_train_tab_trains_the_cnn_and_says_why_there_is_no_model_file_when_files_hold_mlps_only():
    at = page(**QUICK)
    assert not at.exception, [e.value for e in at.exception]
    assert "Test accuracy" in [m.label for m in at.metric]
    info = texts(at, "info")
    refused = "model files hold MLPs only" in info
    offered = any(b.label.startswith("Download this model") for b in at.get("download_button"))
    assert refused != offered  # one or the other, by what core.digits.model_file reads back
    at.text_input(key="d_channels").set_value("4, 8").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["channels"] == "4,8"


def test_evaluate_shows_the_cnns_filters_instead_of_units_as_images():
    at = page(tab="evaluate", **QUICK)
    assert not at.exception, [e.value for e in at.exception]
    assert any("What each first-layer filter looks for" in m.value for m in at.markdown)
    assert not any("first-layer neuron" in m.value for m in at.markdown)
    assert "each slid over the whole image" in texts(at, "info")
    assert list(at.table[0].value.index) == [f"digit {d}" for d in range(10)]
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any('"filter"' in s for s in specs)  # the filters chart, faceted by filter


def test_read_with_the_cnn_shows_its_feature_maps_flags_a_non_digit_and_fine_tunes():
    at = page(tab="read", **QUICK)
    assert at.radio(key="d_reader_digits_cnn").value == "trained"  # the CNN chosen in ① reads
    at.file_uploader(key="d_files").set_value([("L.png", drawing(L_SHAPE), "image/png"),
                                               ("one.png", drawing(ONE), "image/png")]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Reading with: 8x8 digits CNN conv5x5 8-16 + 128-10" in texts(at, "caption")
    assert any(m.value.startswith("Measured on this model") for m in at.markdown)  # the flag fits the CNN too
    caps = texts(at, "caption")
    assert "What each filter makes of your digit" in caps and "Layer 2's maps" in caps
    assert "dense layer after the convolutions" in caps
    assert "their weights are not pictures of ink" in texts(at, "info")
    assert any("of the 8 nearest training images are" in c.value for c in at.caption)
    convs = lambda: [c.proto for c in at.get("vega_lite_chart") if '"filter"' in c.proto.spec  # noqa: E731
                     or '"map"' in c.proto.spec]
    before = convs()
    assert len(before) == 3  # the filters, layer 1's maps, layer 2's maps
    at.button(key="d_add_r").click().run()
    at.button(key="d_tune_r").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "fine-tuned on your 1 drawing" in texts(at, "caption")
    assert all(a != b for a, b in zip(convs(), before))  # the fine-tuned weights' own charts, never the base's


def test_compare_puts_the_mlp_beside_the_cnn_with_their_sizes_and_times():
    at = page(tab="compare", **QUICK)
    assert not at.exception, [e.value for e in at.exception]
    assert any("MLP or CNN" in m.value for m in at.markdown)
    frame = next(d.value for d in at.dataframe if "parameters" in d.value.columns)
    assert list(frame.model) == ["MLP", "CNN"]
    mlp, cnn = dm.model_pair(digits.DigitsConfig.from_query(QUICK)[0])
    assert frame.parameters.tolist() == [12_060, 13_034] and mlp.hidden == (100, 50) and cnn.hidden == (128,)
    md = texts(at, "markdown")
    assert "the CNN reads" in md and ("The CNN took" in md or "The CNN trained in" in md)
    assert "**Dropout: off vs on**" in md  # the CNN pairs train as one stack each
