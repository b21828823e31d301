"""Images and Convolutions' jobs and charts: the moves, maps, occlusion, fields, workload and chart specs."""

import numpy as np
import pandas as pd
import pytest

from core.convolutions import charts as cc
from core.convolutions import jobs as J
from core.convolutions.claims import default_results
from core.engine.conv import n_params
from core.serve.price import request_price


def test_shift_moves_pixels_and_loses_what_leaves():
    x = np.arange(16, dtype=np.float32).reshape(1, 16)
    right = J.shift_images(x, 4, 1, 0).reshape(4, 4)
    assert (right[:, 0] == 0).all() and (right[:, 1:] == x.reshape(4, 4)[:, :3]).all()
    up = J.shift_images(x, 4, 0, -2).reshape(4, 4)
    assert (up[:2] == x.reshape(4, 4)[2:]).all() and (up[2:] == 0).all()
    assert (J.shift_images(x, 4, 0, 0) == x).all()


def test_rotation_by_zero_is_the_image_and_by_90_turns_it():
    img = np.zeros((1, 8, 8), np.float32)
    img[0, 1, 2:6] = 1.0  # a bar near the top
    same = J.rotate_images(img.reshape(1, -1), 8, 0)
    assert np.allclose(same, img.reshape(1, -1))
    turned = J.rotate_images(img.reshape(1, -1), 8, 90).reshape(8, 8)
    assert turned[1].sum() < 1.5 and turned.sum() > 2  # the bar has left the top row


def test_the_two_models_have_a_similar_parameter_budget():
    for ds in J.DATASETS:
        cfg = J.ConvConfig(dataset=ds)
        mlp, cnn = J.param_counts(cfg)
        assert abs(mlp - cnn) <= 0.1 * mlp, (ds, mlp, cnn)
        assert cnn == n_params(J.cnn_config(cfg), J.SIDE[ds], 10)
    assert J.param_counts(J.ConvConfig()) == (12_060, 12_182)


def test_models_share_data_and_training_and_see_no_moved_digits():
    mlp, cnn = J.ConvConfig(seed=3).models()
    for f in ("dataset", "seed", "lr", "batch_size", "epochs", "patience", "val_fraction", "augment_copies"):
        assert getattr(mlp, f) == getattr(cnn, f), f
    assert mlp.augment_copies == 0 and cnn.channels == (6, 16)


def test_every_field_changes_the_cache_key():
    base = J.ConvConfig()
    k0 = J.key(base, "d")
    for cfg in (base.replace(dataset="mnist"), base.replace(epochs=41), base.replace(channels=(4, 8)),
                base.replace(seed=1), base.replace(train_limit=1000, dataset="mnist")):
        assert J.key(cfg, "d") != k0, cfg
    assert J.key(base, "other data") != k0


def test_the_cnn_price_grows_with_its_channels_and_epochs():
    a = request_price(J.ConvConfig())
    assert request_price(J.ConvConfig(channels=(32, 64))).seconds > 2 * a.seconds
    assert request_price(J.ConvConfig(epochs=400)).seconds > 5 * a.seconds
    assert request_price(J.ConvConfig(dataset="mnist")).seconds > 3 * a.seconds


@pytest.fixture(scope="module")
def results():
    return default_results()


def test_filters_maps_occlusion_on_the_default_cnn(results):
    mlp, cnn = results
    f = J.filters(cnn)
    assert list(f.columns) == ["filter", "row", "col", "weight"] and len(f) == 6 * 25
    w = cnn.state["1.weight"].numpy()
    assert np.isclose(f[(f["filter"] == 2) & (f.row == 1) & (f.col == 3)].weight.iloc[0], w[2, 0, 1, 3])
    img = J.data(J.ConvConfig()).X_test[0].numpy()
    maps = J.feature_maps(cnn, img)
    assert maps.groupby("layer").size().to_dict() == {1: 6 * 64, 2: 16 * 16}
    assert (maps.value >= 0).all()  # after ReLU
    occ, cls, p = J.occlusion(cnn, img, patch=2)
    assert len(occ) == 64 and cls == int(J.probs(cnn, img[None]).argmax()) and 0 < p <= 1
    blank = np.zeros_like(img)
    occ0, _, _ = J.occlusion(cnn, blank)
    assert np.allclose(occ0["drop"], 0, atol=1e-6)  # blanking an empty image changes nothing (float32 rounding aside)


def test_receptive_field_is_the_square_around_the_unit():
    f = J.receptive_field(J.cnn_config(J.ConvConfig(dataset="mnist")), 28, 7, 7)
    seen = f[f.seen]
    # pooled cells 5-9 are pixels 10-19, and the first 5x5 kernel adds 2 more each side
    assert (seen.row.min(), seen.row.max(), seen.col.min(), seen.col.max()) == (8, 21, 8, 21)
    assert len(seen) == 14 * 14 and f.unit.sum() == 4
    corner = J.receptive_field(J.cnn_config(J.ConvConfig(dataset="mnist")), 28, 0, 0)
    assert J.field_size(corner) == 8  # cut by the image's edge


def test_shift_table_shape_and_zero_shift_is_test_accuracy(results):
    d = J.data(J.ConvConfig())
    t = J.shift_table(results, d, 8, (0, 1))
    assert list(t.columns) == ["model", "shift", "accuracy"] and len(t) == 4
    assert np.isclose(t[(t.model == "MLP") & (t["shift"] == 0)].accuracy.iloc[0],
                      results[0].metrics["final_test_acc"], atol=1e-6)
    assert J.drop(pd.DataFrame({"model": ["A", "A"], "s": [0, 1], "accuracy": [0.9, 0.6]}), "A", "s") == \
        pytest.approx(30.0)


def test_charts_encode_what_they_say():
    t = pd.DataFrame({"model": ["MLP", "CNN"], "shift": [1, 1], "accuracy": [0.5, 0.7]})
    spec = cc.accuracy_lines(t, "shift", "shift (pixels)").to_dict()
    assert spec["encoding"]["x"]["field"] == "shift" and spec["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert spec["encoding"]["color"]["scale"]["domain"] == ["MLP", "CNN"]
    f = pd.DataFrame({"filter": [0, 0], "row": [0, 1], "col": [0, 0], "weight": [-0.5, 0.25]})
    fs = cc.filters_chart(f).to_dict()
    assert fs["facet"]["field"] == "filter"
    assert fs["spec"]["encoding"]["color"]["scale"]["domain"] == [-0.5, 0.5]  # symmetric: 0 is white
    o = pd.DataFrame({"row": [0], "col": [0], "drop": [0.2]})
    assert cc.occlusion_chart(o).to_dict()["encoding"]["color"]["field"] == "drop"
    field = pd.DataFrame({"row": [0, 1], "col": [0, 1], "seen": [True, False], "unit": [False, True]})
    img = pd.DataFrame({"row": [0, 1], "col": [0, 1], "value": [0.0, 1.0]})
    layers = cc.field_chart(field, img).to_dict()["layer"]
    assert len(layers) == 3 and layers[1]["mark"]["stroke"] == "#1f77b4"
    p = cc.params_chart(pd.DataFrame({"model": ["MLP"], "params": [10], "accuracy": [0.9]})).to_dict()
    enc = p["layer"][1]["encoding"] if "layer" in p else p["encoding"]
    assert enc["x"]["scale"]["type"] == "log" and enc["y"]["scale"]["zero"] is False
    assert [m["mark"]["type"] for m in p["layer"]] == ["line", "point"]


def test_sizes_run_prices_every_model_and_keys_on_every_field():
    s = J.SizesConfig()
    models = s.models()
    assert [getattr(m, "channels", None) for m in models[4:]] == [(2, 4), (3, 8), (6, 16), (12, 32)]
    assert [m.hidden for m in models[:4]] == [(25, 12), (50, 25), (100, 50), (200, 100)]
    assert request_price(s).seconds > request_price(J.ConvConfig()).seconds
    assert request_price(s.replace(epochs=400)).seconds > 5 * request_price(s).seconds
    assert len({J.sizes_key(s), J.sizes_key(s.replace(seed=1)), J.sizes_key(s.replace(epochs=41))}) == 3


def test_a_drawing_is_read_and_explained_like_a_test_digit(results):
    import io

    from PIL import Image, ImageDraw

    from core.digits.images import ImageError

    im = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(im).line([(140, 30), (140, 250)], fill=0, width=20)  # a one
    b = io.BytesIO()
    im.save(b, "PNG")
    x = J.drawing_image(b.getvalue(), "digits")
    assert x.shape == (64,) and x.max() > 0.5
    occ, cls, p = J.occlusion(results[1], x)
    assert cls == 1 and occ["drop"].max() > 0  # some pixel of the stroke mattered
    assert J.feature_maps(results[1], x).groupby("layer").size().to_dict() == {1: 384, 2: 256}
    blank = io.BytesIO()
    Image.new("L", (280, 280), 255).save(blank, "PNG")
    with pytest.raises(ImageError):
        J.drawing_image(blank.getvalue(), "digits")
