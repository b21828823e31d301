"""Network Shapes: the formula parser, the shapes comparison, universal approximation, the page and its claims."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from core import architectures as ar
from core.architectures import charts, formula
from core.architectures import jobs as arj
from core.config import ConfigError
from core.engine.models import build_mlp

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SMALL_SHAPES = ar.ShapesConfig(dataset="spiral", shallow=(8,), deep=(8, 8, 8), wide=(32,), narrow=(4, 4, 4, 4),
                               n_seeds=2, epochs=5, batch_size=64)
SMALL_APPROX = ar.ApproxConfig(widths=(1, 4, 16), epochs=60, n_seeds=2)


# ---- the formula parser ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    '__import__("os").system("ls")', "open('x')", "x.__class__", "().__class__.__bases__", "[x for x in (1,)]",
    "lambda: 1", "x if x else 1", "'a' * 3", "globals()", "np.sin(x)", "sin(x=1)", "eval('1')", "x[0]",
    "exec", "y + 1", "True + x", "x ** 100", "f'{x}'", "{1: 2}", "x; x", "a := 1", "sin(x, x)", "1" * 200,
])
def test_the_formula_parser_refuses_unsafe_or_unknown_input(text):
    with pytest.raises(formula.FormulaError):
        formula.parse(text)


@pytest.mark.parametrize("text,expect", [
    ("sin(3*x) + abs(x)/2", lambda x: np.sin(3 * x) + np.abs(x) / 2),
    ("x^2 - 1", lambda x: x ** 2 - 1), ("max(x, 0) * pi", lambda x: np.maximum(x, 0) * np.pi),
    ("-x % 1.5", lambda x: np.mod(-x, 1.5)), ("step(x) + relu(-x)", lambda x: (x > 0) + np.maximum(-x, 0)),
    ("2", lambda x: np.full_like(x, 2.0)), ("exp(-x**2) * e", lambda x: np.exp(-x ** 2) * np.e),
])
def test_the_formula_parser_computes_whitelisted_formulas(text, expect):
    x = np.linspace(-3, 3, 41)
    np.testing.assert_allclose(formula.evaluate(text, x), expect(x), rtol=1e-12, atol=1e-12)


def test_formulas_not_finite_on_the_range_are_refused_and_configs_say_so():
    for text in ("log(x)", "1/x", "exp(exp(exp(x)))", "sqrt(x)"):
        with pytest.raises(formula.FormulaError):
            formula.evaluate(text, np.linspace(-3, 3, 301))
    with pytest.raises(ConfigError, match="formula"):
        ar.ApproxConfig(function="formula", formula="__import__('os')")
    ar.ApproxConfig(function="sin", formula="anything at all")  # only read when chosen
    with pytest.raises(ConfigError):
        ar.ApproxConfig(widths=(4, 4))
    with pytest.raises(ConfigError):
        ar.ApproxConfig(widths=(512,))


# ---- the four shapes -------------------------------------------------------------------------------
def test_parameter_counts_match_torch():
    for n_in, h, n_out in ((64, (32,), 10), (2, (16,) * 6, 1), (1, (256,), 1), (64, (64, 64, 64), 10)):
        assert ar.n_params(n_in, h, n_out) == sum(p.numel() for p in build_mlp(n_in, h, n_out).parameters())


def test_widths_text():
    assert ar.parse_widths("32, 32,32 ;32") == (32, 32, 32, 32) and ar.parse_widths("256") == (256,)
    for bad in ("", "a,b", "3.5"):
        with pytest.raises(ValueError):
            ar.parse_widths(bad)
    with pytest.raises(ConfigError):
        ar.ShapesConfig(deep=(0, 4))


def test_the_shapes_comparison_is_seeded_and_repeatable():
    a = {s: ar.run_shape(SMALL_SHAPES, s) for s in ar.SHAPES}
    b = {s: ar.run_shape(SMALL_SHAPES, s) for s in ar.SHAPES}
    for s in ar.SHAPES:
        assert len(a[s]) == 2 and [r.config.seed for r in a[s]] == [0, 1]
        assert [r.config.hidden for r in a[s]] == [SMALL_SHAPES.hidden(s)] * 2
        for x, y in zip(a[s], b[s]):
            assert x.metrics["final_test_acc"] == y.metrics["final_test_acc"]
            for k in x.state:
                assert torch.equal(x.state[k], y.state[k])
    table = ar.shapes_table(SMALL_SHAPES, a)
    assert list(table["shape"]) == [ar.SHAPE_LABELS[s] for s in ar.SHAPES]
    assert list(table["parameters"]) == [ar.n_params(2, SMALL_SHAPES.hidden(s), 1) for s in ar.SHAPES]
    curves = ar.shapes_curves(a)
    assert set(curves["shape"]) == set(table["shape"]) and (curves["lo"] <= curves["hi"]).all()
    checks = {k: ar.check_accuracy(ar.run_check(SMALL_SHAPES, k)) for k in SMALL_SHAPES.check_configs()}
    assert set(checks) == {"linear", "narrow_he", "narrow_longer"} and all(0 <= v <= 1 for v in checks.values())
    assert ar.shapes_notes(table, checks)["best"]
    charts.curves_chart(curves).to_dict()
    charts.params_chart(table).to_dict()


# ---- universal approximation -----------------------------------------------------------------------
def test_deep_nets_get_about_the_same_budget():
    cfg = ar.ApproxConfig()
    shapes = cfg.deep_shapes()
    assert shapes and all(W >= arj.DEEP_FROM for W, _ in shapes)
    for W, h in shapes:
        budget = ar.n_params(1, (W,), 1)
        assert abs(ar.n_params(1, h, 1) - budget) <= 0.15 * budget + 10, (W, h)
    assert ar.ApproxConfig(deep=False).deep_shapes() == []


def test_the_pieces_add_up_to_the_network_and_fits_improve_with_width():
    t = ar.target(SMALL_APPROX)
    wide = {W: ar.run_width(SMALL_APPROX, (W,)) for W in SMALL_APPROX.widths}
    deep = {h: ar.run_width(SMALL_APPROX, h) for _, h in SMALL_APPROX.deep_shapes()}
    for W, rs in wide.items():
        assert len(rs) == 2 and rs[0].config.hidden == (W,)
    pieces, total = ar.contributions(arj.best(wide[16]), t)
    assert pieces["unit"].nunique() == 16
    assert float((total["fit"] - total["sum"]).abs().max()) < 1e-4
    table = ar.approx_table(SMALL_APPROX, wide, deep)
    assert list(table["net"][:3]) == ["1 x 1", "1 x 4", "1 x 16"]
    fits = ar.fits_frame(t, wide)
    assert set(fits["width"]) == {0, 1, 4, 16}
    for c in (charts.error_chart(table), charts.fits_chart(fits), charts.pieces_chart(pieces, total)):
        c.to_dict()
    again = ar.run_width(SMALL_APPROX, (4,))
    assert [r.metrics["final_test_loss"] for r in again] == [r.metrics["final_test_loss"] for r in wide[4]]


def test_a_typed_formula_trains():
    cfg = ar.ApproxConfig(function="formula", formula="abs(x) - 1", widths=(8,), epochs=40, n_seeds=1, deep=False)
    t = ar.target(cfg)
    np.testing.assert_allclose(t.y, np.abs(t.x) - 1)
    r = ar.run_width(cfg, (8,))
    assert np.isfinite(r[0].metrics["final_test_loss"])


# ---- the page and its claims -----------------------------------------------------------------------
def page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("app_pages/architectures.py")
    return at.run()


def captions(at) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def pct(x: float) -> str:
    return f"{x:.1%}"


def test_shapes_tab_at_defaults_and_its_claims():
    """Every verdict the tab shows at its defaults, checked against the run it describes."""
    at = page()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 2 and len(at.metric) == 4
    cfg = ar.ShapesConfig()
    table = ar.shapes_table(cfg, {s: ar.run_shape(cfg, s) for s in ar.SHAPES})  # the same seeded run
    text = captions(at)
    by_acc = table.sort_values("mean test acc", ascending=False).reset_index(drop=True)
    best, second = by_acc.iloc[0], by_acc.iloc[1]
    # at the defaults (digits) the wide net wins on accuracy, clear of the seed spread
    assert best["shape"] == "Wide"
    assert f"**Wide** reached the highest test accuracy, {pct(best['mean test acc'])}" in text
    assert best["mean test acc"] - second["mean test acc"] > max(best["spread (std)"], second["spread (std)"])
    # the shallow net comes within a point of it with far fewer parameters
    shallow = table.set_index("shape").loc["Shallow"]
    assert "**Shallow** came within one point of the best" in text
    assert shallow["mean test acc"] >= best["mean test acc"] - 0.01 and shallow["parameters"] < best["parameters"]
    # no verdict crowns a net for accuracy per parameter, nor a shape for its (one run's) training time
    assert "per parameter" not in text and "quicker" not in text and "fastest" not in text
    # Deep and narrow trails Shallow at about the same size, and the page says why, from the checks
    narrow = table.set_index("shape").loc["Deep and narrow"]
    assert narrow["mean test acc"] < shallow["mean test acc"] - 0.03
    assert f"Deep and narrow (6 layers of 16) comes last here: {pct(narrow['mean test acc'])}" in text
    assert "no hidden layer at all reaches" in text and "with He init" in text and "points behind Shallow" in text
    # the metrics show each shape's accuracy, as computed
    for m, (_, row) in zip(at.metric, table.iterrows()):
        assert m.value == pct(row["mean test acc"]) and f"± {pct(row['spread (std)'])}" in str(m.proto.delta)
        assert f"{int(row['parameters']):,} parameters" in text


def test_shapes_tab_edits_a_shape_and_refuses_bad_widths():
    at = page(s_dataset="spiral", s_epochs="5", s_n_seeds="1")
    assert not at.exception
    at.text_input(key="s_wide").set_value("48").run()
    assert not at.exception and at.metric[2].label == "Wide" and "hidden 48 ·" in captions(at)
    at.text_input(key="s_deep").set_value("8, x").run()
    assert not at.exception
    assert any("Setting not accepted" in e.value for e in at.error)
    assert "hidden 64, 64, 64 ·" in captions(at)  # the previous valid settings are kept
    # static tables that wrap to the page at 1024 px: every column, the widths breakable after each comma
    [table] = at.table
    assert list(table.value.columns) == ["shape", "hidden widths", "parameters", "mean test acc",
                                         "spread (std)", "min", "max"]


def test_approx_tab_at_defaults_and_its_claims():
    """Every verdict the tab shows at its defaults, checked against the run it describes."""
    at = page(tab="approx")
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 3
    cfg = ar.ApproxConfig()
    t = ar.target(cfg)
    wide = {W: ar.run_width(cfg, (W,)) for W in cfg.widths}
    deep = {h: ar.run_width(cfg, h) for _, h in cfg.deep_shapes()}
    table = ar.approx_table(cfg, wide, deep)
    one = table[table["layers"] == 1].set_index("width")["error"]
    text = captions(at)
    # width 256 fits far better than one unit
    ratio = one[1] / one[256]
    assert ratio > 100
    assert f"One hidden layer of **256** units fit the function {ratio:,.0f}× better than **1**" in text
    # the widths named as no better than the one before really were
    m = re.search(r"width ([\d, ]+) did no better", text)
    if m:
        ws = [int(w) for w in m.group(1).split(",")]
        widths = sorted(cfg.widths)
        for w in ws:
            assert one[w] >= one[widths[widths.index(w) - 1]]
    else:
        assert "fell at every larger width" in text and one.is_monotonic_decreasing
    # the deep-vs-wide count at equal budgets
    m = re.search(r"deeper nets beat one layer in (\d+) of (\d+) matches", text)
    d = table[table["layers"] > 1]
    wins = sum(int(r["error"] < one[r["budget of"]]) for _, r in d.iterrows())
    assert m and int(m.group(1)) == wins and int(m.group(2)) == len(d)
    assert wins > len(d) / 2  # at the defaults depth wins most matches for the same parameters
    # the pieces of the shown width add up to the network's output
    pieces, total = ar.contributions(arj.best(wide[8]), t)
    assert "pieces plus the output bias add up to the network's own output" in text
    assert float((total["fit"] - total["sum"]).abs().max()) < 1e-4


def test_approx_tab_takes_a_formula_and_refuses_an_unsafe_one():
    at = page(tab="approx", u_widths="2,8", u_epochs="30", u_n_seeds="1", u_deep="0", u_function="formula")
    assert not at.exception
    at.text_input(key="u_formula").set_value("abs(x) - 1").run()
    assert not at.exception
    assert "abs" in str(at.query_params["u_formula"])
    at.text_input(key="u_formula").set_value("__import__('os').getcwd()").run()
    assert not at.exception
    assert any("formula" in e.value and "not an allowed function" in e.value for e in at.error)


def test_defaults_fit_a_hosted_servers_caps_and_wider_asks_are_refused():
    from core import settings
    from core.serve import caps

    lim = settings.HOSTED
    assert caps.check_request(ar.ShapesConfig(), lim) is None
    assert caps.check_request(ar.ApproxConfig(), lim) is None
    for s in ar.SHAPES:
        assert caps.check_request(ar.ShapesConfig().shape_configs(s), lim) is None
    assert "wide: a layer of 1,024 neurons is over" in caps.check_request(ar.ShapesConfig(wide=(1024,)), lim)
    assert "epochs" in caps.check_request(ar.ApproxConfig(epochs=20_000), lim)


def test_hosted_caps_lower_the_widgets(monkeypatch):
    """Hosted: the approximation's epochs end at the server's cap, not the field's 20,000."""
    import dataclasses

    from core import settings

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    at = page(tab="approx", u_widths="1,4", u_epochs="10", u_n_seeds="1", u_deep="0")
    assert not at.exception and not at.error
    assert at.number_input(key="u_epochs").max == settings.HOSTED.max_epochs < 20_000
    monkeypatch.setattr(settings, "HOSTED", dataclasses.replace(settings.HOSTED, max_seeds=2, max_epochs=50))
    at = page(s_dataset="spiral", s_shallow="4", s_deep="4,4", s_wide="8", s_narrow="2,2", s_n_seeds="1",
              s_epochs="2")
    assert not at.exception and not at.error
    assert at.number_input(key="s_seeds").max == 2 and at.number_input(key="s_epochs").max == 50


def chart_specs(at) -> list[tuple]:
    """Each chart's spec and data, in page order."""
    return [(c.proto.spec, [d.SerializeToString() for d in c.proto.datasets]) for c in at.get("vega_lite_chart")]


def test_the_kept_charts_follow_the_settings():
    """The charts are kept per setting (ui/vega.py): another shape, width shown or activation draws others."""
    at = page(s_dataset="spiral", s_epochs="2", s_n_seeds="1", s_shallow="4", s_deep="4,4", s_wide="8",
              s_narrow="2,2")
    before = chart_specs(at)
    at.text_input(key="s_wide").set_value("16").run()
    after = chart_specs(at)
    assert not at.exception and len(before) == len(after) == 2 and all(a != b for a, b in zip(before, after))
    at = page(tab="approx", u_widths="2,8", u_epochs="30", u_n_seeds="1", u_deep="0")
    fits, error, pieces = chart_specs(at)
    at.selectbox(key="u_show_2,8").set_value(2).run()  # 8 at first
    assert chart_specs(at)[:2] == [fits, error] and chart_specs(at)[2] != pieces
    at.selectbox(key="u_activation").set_value("tanh").run()
    assert not at.exception and all(a != b for a, b in zip(chart_specs(at), (fits, error, pieces)))
