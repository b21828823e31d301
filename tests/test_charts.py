"""Chart builders: pure functions whose Vega-Lite specs say what they draw."""

import numpy as np
import pandas as pd

from core import datasets, xor
from core.plotting import wrapped_labels
from core.xor import charts


def layer_marks(spec: dict) -> list[str]:
    marks = []
    for layer in spec.get("layer", [spec]):
        m = layer.get("mark")
        marks.append(m if isinstance(m, str) else m["type"])
    return marks


def test_perceptron_view_draws_points_and_the_line():
    h, _ = xor.run_perceptron(xor.PerceptronConfig(gate="AND"))
    lines = xor.perceptron_lines(h)
    X, y = datasets.gate("AND")
    pts = pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "target": y.astype(int)})
    spec = charts.perceptron_view(pts, lines[lines.epoch == len(h.errors)], title="AND").to_dict()
    assert layer_marks(spec) == ["point", "line"]
    assert spec["width"] == spec["height"] == 240
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [-0.5, 1.5]


def test_error_bars_span_every_epoch():
    spec = charts.error_bars([4, 3, 1, 0]).to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["scale"]["domain"] == [0.5, 4.5]
    assert spec["encoding"]["y"]["scale"]["domain"] == [0, 4]


def test_decision_surface_is_a_heatmap_with_points_on_top():
    g = datasets.grid(1.0, 5)
    grid = pd.DataFrame({"x1": g[:, 0], "x2": g[:, 1], "p": np.linspace(0, 1, len(g))})
    pts = pd.DataFrame({"x1": [0.0], "x2": [1.0], "label": [1], "split": ["train"]})
    spec = charts.decision_surface(grid, pts, size=200, extent=6.0).to_dict()
    assert layer_marks(spec) == ["rect", "point"]
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [0.0, 1.0]
    assert spec["layer"][1]["encoding"]["shape"]["field"] == "split"
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [-6.0, 6.0]


def test_many_curves_faint_lines_and_a_bold_median():
    df = pd.DataFrame({"model": np.repeat(np.arange(5), 10), "epoch": np.tile(np.arange(1, 11), 5),
                       "loss": np.random.default_rng(0).random(50) + 0.1})
    spec = charts.many_curves(df, y="loss").to_dict()
    faint, median = spec["layer"][:2]
    assert faint["mark"]["opacity"] < 0.5 and faint["encoding"]["detail"]["field"] == "model"
    assert median["mark"]["strokeWidth"] == 3
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"


def test_downsample_keeps_the_last_point_and_bounds_size():
    df = pd.DataFrame({"epoch": np.arange(1, 2001), "loss": np.ones(2000)})
    d = charts.downsample(df, "epoch", 100)
    assert len(d) == 100 and d.epoch.iloc[-1] == 2000 and d.epoch.iloc[0] == 1


def test_band_curves_median_inside_band():
    df = pd.DataFrame({"model": np.repeat(np.arange(4), 5), "epoch": np.tile(np.arange(5), 4),
                       "loss": np.arange(20) + 1.0, "series": "train"})
    spec = charts.band_curves(df, y="loss").to_dict()
    assert layer_marks(spec) == ["area", "line"]
    assert spec["layer"][0]["encoding"]["y2"]["field"] == "hi"


def test_heatmap_grid_one_facet_per_unit():
    g = datasets.grid(1.0, 4)
    df = pd.concat([pd.DataFrame({"x1": g[:, 0], "x2": g[:, 1], "unit": u, "a": 0.5}) for u in ("h1", "h2")])
    spec = charts.heatmap_grid(df, "unit", "a", columns=2).to_dict()
    assert spec["facet"]["field"] == "unit" and spec["columns"] == 2
    assert spec["spec"]["mark"]["type"] == "rect"


def test_explorer_epoch_axes_tick_whole_epochs():
    """A 2-epoch run must not show epoch 1.2, 1.4, ... on its axis."""
    import pandas as pd

    from core.explorer import charts as ac

    acc = ac.acc_lines(pd.DataFrame({"function": ["relu"] * 2, "epoch": [1, 2], "test_acc": [0.1, 0.2]}))
    assert acc.to_dict()["encoding"]["x"]["axis"] == {"format": "d", "tickMinStep": 1}


def test_long_legend_labels_break_onto_lines_at_spaces():
    expr = wrapped_labels(["NumPy (gradient descent, hand-written backprop)", "PyTorch (Adam, autograd)"], 24)
    assert '["NumPy (gradient descent,", "hand-written backprop)"]' in expr  # never split at the hyphen
    assert "PyTorch" not in expr and expr.endswith("datum.label")  # short labels stay as they are


def test_xor_loss_legend_sits_below_and_wraps_so_it_fits_half_a_1024_px_page():
    names = ["NumPy (gradient descent, hand-written backprop)", "PyTorch (Adam, autograd)"]
    df = pd.DataFrame({"epoch": [1, 2] * 2, "loss": [0.7, 0.5, 0.7, 0.1], "net": [n for n in names for _ in (1, 2)]})
    spec = charts.loss_curves(df, color="net").to_dict()
    legend = spec["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["direction"] == "vertical"
    assert "hand-written backprop)" in legend["labelExpr"]
    assert spec["autosize"]["type"] == "fit-x"


def test_softmax_charts_keep_their_height_and_upright_class_names():
    from core import explorer as ex
    from core.explorer import charts as ac

    bars = ac.softmax_bars(ex.softmax_frame((2.0, 1.0, 0.1, -1.0), 2.0)).to_dict()
    assert bars["autosize"]["type"] == "fit-x"  # not squeezed under its legend by Streamlit's "fit"
    assert bars["encoding"]["x"]["axis"]["labelAngle"] == 0 and bars["encoding"]["y"]["axis"]["format"] == ".0%"
    sweep = ac.softmax_sweep_chart(ex.softmax_sweep((2.0, 1.0, 0.1, -1.0)), 2.0).to_dict()
    assert sweep["autosize"]["type"] == "fit-x"
    assert sweep["layer"][0]["encoding"]["color"]["legend"]["orient"] == "bottom"  # beside, the plot was 110 px


def test_depth_charts_label_powers_of_ten_and_fit_two_maps_in_1024_px():
    from core.explorer import charts as ac
    from core.plotting import LOG_LABELS

    grad = pd.DataFrame({"function": ["relu"] * 3, "epoch": [0] * 3, "layer": [1, 2, 3],
                         "grad_norm": [1e-7, 1e-3, 1.0]})
    spec = ac.grad_lines(grad).to_dict()
    assert spec["encoding"]["y"]["axis"]["labelExpr"] == LOG_LABELS
    assert spec["encoding"]["x"]["axis"]["labelAngle"] == 0
    heat = ac.layer_heatmap(grad, "grad_norm", log=True).to_dict()
    assert heat["spec"]["encoding"]["color"]["title"] == ["log10", "grad norm"]  # a narrow legend



def test_backprop_loss_chart_keeps_its_declared_height():
    from core import backprop as bp
    from core.backprop import charts as bc

    spec = bc.loss_chart(bp.loss_history(bp.BackpropConfig(step=3)), 3).to_dict()
    assert spec["autosize"]["type"] == "fit-x" and spec["height"] == 220  # "fit" left a 90 px plot


def test_network_shapes_charts_keep_their_height_and_legends_sit_below():
    from core.architectures import charts as rc

    curves = pd.DataFrame({"shape": ["Shallow"] * 2 + ["Wide"] * 2, "epoch": [1, 2] * 2, "test_acc": [0.5, 0.8] * 2,
                           "lo": [0.4, 0.7] * 2, "hi": [0.6, 0.9] * 2})
    spec = rc.curves_chart(curves).to_dict()
    assert spec["autosize"]["type"] == "fit-x"
    line, band = spec["layer"]
    assert line["mark"]["type"] == "line" and line["encoding"]["color"]["legend"]["symbolOpacity"] == 1
    assert band["encoding"]["color"]["legend"] is None  # the legend comes from the solid lines
    table = pd.DataFrame({"net": ["1 x 4", "2 x 3"], "layers": [1, 2], "width": [4, 3], "parameters": [13, 22],
                          "error": [0.2, 0.01]})
    err = rc.error_chart(table).to_dict()
    assert err["encoding"]["color"]["legend"]["orient"] == "bottom"  # inside the plot it hid the lines
    assert err["autosize"]["type"] == "fit-x"


def test_digit_training_curves_fit_a_1024_px_page():
    from core.digits import charts as dc

    e = np.arange(1, 41)
    h = pd.DataFrame({"epoch": e, "train_loss": 1 / e, "train_eval_loss": 1 / e, "train_acc": 1 - 0.5 / e,
                      "val_loss": 1 / e + 0.01, "val_acc": 0.9 + 0 * e})
    loss, acc = (p.to_dict() for p in dc.training_panels(h, best_epoch=38))
    assert loss["autosize"]["type"] == acc["autosize"]["type"] == "fit-x"  # each fills its own column
    label = loss["layer"][2]["mark"]
    assert label["align"] == "right" and label["dx"] < 0  # a late best epoch is written left of its rule
    # at the top of the loss panel, the foot of the accuracy panel: away from the curves near the best epoch
    assert label["baseline"] == "top" and loss["layer"][2]["encoding"]["y"] == {"value": 2}
    assert acc["layer"][2]["mark"]["baseline"] == "bottom" and acc["layer"][2]["encoding"]["y"] == {"value": 230}
    both = dc.training_curves(h, best_epoch=5).to_dict()  # the live view: two fixed panels side by side
    assert [p["width"] for p in both["hconcat"]] == [210, 210]
    assert both["hconcat"][0]["layer"][2]["mark"]["align"] == "left"


def test_sweep_charts_fit_their_column_and_colour_by_kind_of_value():
    from core.hyperparameters import charts as hc

    b = pd.DataFrame({"value": ["0.01", "0.1", "1"] * 2, "epoch": [1] * 3 + [2] * 3, "mean": [0.5] * 6,
                      "lo": [0.4] * 6, "hi": [0.6] * 6})
    spec = hc.curve_chart(b, ["0.01", "0.1", "1"], "learning rate", "loss").to_dict()
    color = spec["layer"][0]["encoding"]["color"]
    assert spec["autosize"]["type"] == "fit-x" and color["legend"]["orient"] == "bottom"
    assert color["scale"]["scheme"]["name"] == "plasma"  # ordered numbers, ordered colours
    names = b.assign(value=b["value"].map({"0.01": "Sigmoid", "0.1": "Tanh", "1": "ReLU"}))
    by_name = hc.curve_chart(names, ["Sigmoid", "Tanh", "ReLU"], "activation", "loss").to_dict()
    assert by_name["layer"][0]["encoding"]["color"]["scale"]["scheme"] == "tableau10"  # names: distinct hues
    table = pd.DataFrame({"value": ["0.01", "1"], "train loss": [0.1, 2.0], "test loss": [0.2, 2.1],
                          "train acc": [0.99, 0.1], "test acc": [0.97, 0.1]})
    lr = hc.lr_chart(table).to_dict()
    assert lr["autosize"]["type"] == "fit-x" and lr["encoding"]["color"]["legend"]["orient"] == "bottom"
    acc = hc.train_test_chart(table, ["0.01", "1"], "learning rate").to_dict()
    assert acc["layer"][0]["encoding"]["y"]["axis"]["format"] == "~%"  # 97.5%, 100%: no "100.0%"


def test_when_to_use_charts_keep_their_height():
    from core.when_to_use import charts as wc

    f = pd.DataFrame({"model": ["Random forest", "MLP (NN Lab engine)"], "mean": [0.95, 0.96], "std": [0.01] * 2,
                      "lo": [0.94, 0.95], "hi": [0.96, 0.97], "seconds": [1.0, 0.5], "changed": [0, 4],
                      "exposed": [18, 13], "inputs": ["raw", "standardised"]})
    for chart in (wc.score_chart(f, "classification"), wc.time_chart(f)):
        spec = chart.to_dict()
        assert spec["autosize"]["type"] == "fit-x" and spec["height"] == 40 * 2 + 50  # "fit" left a 110 px plot
    assert wc.score_chart(f, "classification").to_dict()["layer"][0]["encoding"]["x"]["axis"]["format"] == "~%"


def test_a_reading_card_labels_every_digit():
    from core.digits import charts as dc

    x = dc.probability_bars(np.full(10, 0.1)).to_dict()["encoding"]["x"]["axis"]
    assert x["labelOverlap"] is False and x["labelAngle"] == 0


def test_altair_builds_its_schema_table_once_and_the_charts_are_unchanged(monkeypatch):
    """core.plotting makes Altair reuse one schema-to-class converter (each new one hashes ~580 schemas)."""
    import altair as alt
    from altair.utils import schemapi

    import core.plotting  # noqa: F401 - installs the reuse

    alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a:Q")  # the first channel makes the converter
    made = []
    real = schemapi._FromDict
    monkeypatch.setattr(schemapi, "_FromDict", lambda classes: made.append(1) or real(classes))
    df = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.3, 0.2, 0.1], "model": ["a", "a", "b"]})
    spec = alt.Chart(df).mark_line().encode(x="epoch:Q", y=alt.Y("loss:Q", title="loss"), color="model:N").to_dict()
    again = alt.Chart(df).mark_line().encode(x="epoch:Q", y=alt.Y("loss:Q", title="loss"), color="model:N").to_dict()
    assert made == []  # the first one served every channel since
    assert spec == again
    assert spec["encoding"]["x"] == {"field": "epoch", "type": "quantitative"}
    assert spec["encoding"]["color"] == {"field": "model", "type": "nominal"}
    assert type(alt.X.from_dict({"field": "epoch", "type": "quantitative"})) is alt.X


def test_a_chart_spec_is_validated_once_per_shape_and_an_invalid_one_still_raises(monkeypatch):
    import hashlib

    import altair as alt
    import pytest
    from altair.utils import schemapi

    import core.plotting  # noqa: F401 - installs the once-per-shape validation

    calls = []
    real = schemapi.validate_jsonschema
    monkeypatch.setattr(schemapi, "validate_jsonschema", lambda *a, **k: calls.append(1) or real(*a, **k))
    # as Streamlit does: each data frame becomes a dataset named by its contents, sent apart from the spec
    alt.data_transformers.register(
        "by_name", lambda d, **_: {"name": hashlib.md5(d.to_json().encode()).hexdigest()})
    df = pd.DataFrame({"x": [1, 2], "y": [3, 4]})

    def drawn(title, data=df, mark="line"):
        chart = getattr(alt.Chart(data, title=title), f"mark_{mark}")().encode(x="x:Q", y="y:Q")
        n = len(calls)
        with alt.data_transformers.enable("by_name"):
            chart.to_dict()
        return len(calls) - n  # top-level validations this drawing made

    assert drawn("a chart title no one drew before 41") == 1
    assert drawn("another title 42", df.assign(y=[5, 6])) == 0  # other data (name) and title: the same shape
    assert drawn("a title", mark="point") == 1  # another shape: validated
    bad = alt.Chart(df, title="a chart title no one drew before 41").mark_line().encode(x="x:Q", y="y:Q")
    bad.mark = {"type": "no-such-mark"}
    with alt.data_transformers.enable("by_name"), pytest.raises(schemapi.SchemaValidationError):
        bad.to_dict()
