"""Activation registry, measured properties, explorer jobs and their charts."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from core import explorer as ex
from core.config import ConfigError
from core.engine import activations as acts
from core.engine import fit
from core.engine.models import build_mlp, linear_layers
from core.explorer import charts as ac
from core.serve.cache import decode_results, encode_results

KINKS = {"relu": [0.0], "leaky_relu": [0.0], "elu": [0.0], "selu": [0.0], "step": [0.0],
         "hard_sigmoid": [-3.0, 3.0], "hard_tanh": [-1.0, 1.0]}


def sweep_params(a: acts.Activation) -> list[dict]:
    """Defaults, then each parameter at its low and high end."""
    out = [a.values()]
    for p in a.params:
        out += [a.values(**{p.name: p.lo}), a.values(**{p.name: p.hi})]
    return out


@pytest.mark.parametrize("name", acts.ELEMENTWISE)
def test_autograd_derivative_matches_finite_differences(name):
    a = acts.REGISTRY[name]
    x = torch.linspace(-6, 6, 241, dtype=torch.float64)
    away = torch.ones_like(x, dtype=torch.bool)
    for k in KINKS.get(name, []):
        away &= (x - k).abs() > 1e-3
    x = x[away]
    h = 1e-6
    for params in sweep_params(a):
        fn = a.fn(**params)
        xs = x
        if name == "softplus":  # torch switches to the line x where beta*x > 20: a tiny step there
            xs = x[(x - 20 / params["beta"]).abs() > 1e-3]
        d = acts.derivative(fn, xs)
        fd = (fn(xs + h) - fn(xs - h)) / (2 * h)
        assert torch.allclose(d, fd, atol=1e-5, rtol=1e-5), (name, params, (d - fd).abs().max())


def test_softmax_jacobian_matches_finite_differences():
    z = torch.tensor([2.0, 1.0, 0.1, -1.0], dtype=torch.float64)
    for t in (0.05, 0.5, 1.0, 7.0):
        jac = acts.softmax_jacobian(z, t)
        fn = acts.REGISTRY["softmax"].fn(temperature=t)
        h = 1e-7
        fd = torch.stack([(fn(z + h * e) - fn(z - h * e)) / (2 * h) for e in torch.eye(4, dtype=torch.float64)], 1)
        assert torch.allclose(jac, fd, atol=1e-6)


@pytest.mark.parametrize("name", list(acts.REGISTRY))
def test_output_range_holds_on_a_sweep(name):
    a = acts.REGISTRY[name]
    assert a.bounds is not None
    x = torch.linspace(-60, 60, 4801, dtype=torch.float64)
    for params in sweep_params(a):
        lo, hi = a.bounds(**params)
        y = a.fn(**params)(x.view(-1, 1) if not a.elementwise else x)
        assert torch.isfinite(y).all()
        assert float(y.min()) >= lo - 1e-6 and float(y.max()) <= hi + 1e-6, (name, params)


def test_softmax_sums_to_one_at_every_temperature():
    z = torch.tensor([50.0, 1.0, -3.0, 0.0, 100.0], dtype=torch.float64)
    for t in ex.TEMPERATURES + (0.05, 20.0):
        p = acts.REGISTRY["softmax"].fn(temperature=t)(z)
        assert abs(float(p.sum()) - 1.0) < 1e-12 and (p >= 0).all()
    sweep = ex.softmax_sweep((2.0, 1.0, 0.1))
    assert np.allclose(sweep.groupby("temperature")["p"].sum(), 1.0)
    low, high = sweep[sweep.temperature == sweep.temperature.min()], sweep[sweep.temperature == 20.0]
    assert low.p.max() > 0.99 and high.p.max() < 0.4  # sharp at low T, near uniform at high T


def test_registry_covers_the_issue_and_params_are_validated():
    need = {"step", "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "mish",
            "softplus", "softsign", "hard_sigmoid", "hard_tanh", "softmax"}
    assert need <= set(acts.REGISTRY)
    for a in acts.REGISTRY.values():
        assert a.out_range and a.use and a.gotcha
    with pytest.raises(ValueError, match="alpha"):
        acts.get("leaky_relu", alpha=2.0)


@pytest.mark.parametrize("name", acts.HIDDEN)
def test_every_hidden_entry_is_complete_and_its_kernels_match_autograd(name):
    """One entry is all an activation needs: kernels equal to torch's function and its autograd
    derivative, an export module that computes the same, a positive cost."""
    a = acts.REGISTRY[name]
    assert a.kernels is not None and a.module is not None and a.cost > 0
    fn = a.fn()
    z = torch.linspace(-8, 8, 1601).view(1, 1, -1)  # float32, as the trainer runs; [K, B, H]
    z = z[(z - torch.tensor(KINKS.get(name, [99.0])).view(-1, 1, 1, 1)).abs().amin(0) > 1e-3].view(1, 1, -1)
    out = torch.empty_like(z)
    a.kernels.forward(z, out)
    torch.testing.assert_close(out, fn(z), atol=1e-6, rtol=1e-6)
    g = torch.rand(z.shape, generator=torch.Generator().manual_seed(0)) + 0.5  # an upstream gradient
    grad = torch.empty_like(z)
    zr = z.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(fn(zr), zr, g)
    # a backward that reads only the output must not look at z: give it garbage there
    a.kernels.backward(g, torch.full_like(z, float("nan")) if a.kernels.from_output else z.clone(), fn(z), grad)
    torch.testing.assert_close(grad, auto, atol=1e-6, rtol=1e-5)
    module = eval(a.module, {"nn": torch.nn})  # noqa: S307 - our own registry's text
    assert isinstance(module, torch.nn.Module)
    torch.testing.assert_close(module(z), fn(z))


@pytest.mark.parametrize("name", list(acts.REGISTRY))
def test_symmetric_flag_agrees_with_the_range_a_sweep_reaches(name):
    """symmetric: a bounded range centred on 0 (plots colour such units from -1 to 1)."""
    a = acts.REGISTRY[name]
    x = torch.linspace(-60, 60, 4801, dtype=torch.float64)
    y = a.fn()(x.view(-1, 1) if not a.elementwise else x)
    lo, hi = float(y.min()), float(y.max())
    bounded = max(abs(lo), abs(hi)) < 10  # the unbounded ones reach about 60 here
    assert a.symmetric == (bounded and abs(lo + hi) < 1e-6), (name, lo, hi)
    assert [n for n in acts.HIDDEN if acts.REGISTRY[n].symmetric] == ["tanh", "softsign", "hard_tanh"]


def test_measured_properties():
    p = acts.properties("sigmoid")
    assert abs(p["max_slope"] - 0.25) < 1e-6 and abs(p["max_slope_at"]) < 1e-2 and not p["zero_centred"]
    assert p["saturates"] == "x ≤ -4.59 and x ≥ 4.59"
    assert acts.properties("tanh")["zero_centred"] and acts.properties("selu")["zero_centred"]
    assert acts.properties("relu")["saturates"] == "x ≤ 0"
    assert acts.properties("step")["saturates"] == "everywhere in range"
    assert acts.properties("leaky_relu", alpha=1.0)["zero_centred"]  # alpha 1 is the identity
    assert "-0.77 ≤ x ≤ -0.73" in acts.properties("gelu")["saturates"].replace("-0.774", "-0.77").replace(
        "-0.732", "-0.73")  # GELU's slope crosses zero: it is not monotonic
    assert abs(acts.properties("selu")["max_slope"] - 1.0507009873554805 * 1.6732632423543772) < 1e-3
    t = acts.table(("relu", "softmax"), {"softmax": {"temperature": 2.0}})
    assert list(t["zero-centred"]) == ["no", "no"] and "temperature=2" in t["function"][1]


def test_curves_clip_an_overflow_instead_of_failing():
    f = ex.curve_frame(torch.exp, 0.0, 1000.0, n=101, label="exp", dtype=torch.float32)
    assert f["clipped"].any() and np.isfinite(f[["y", "slope"]].to_numpy()).all()
    assert f["y"].max() == ex.Y_CLIP
    cfg = ex.CurvesConfig(functions=("selu", "softplus"), x_min=-1000.0, x_max=1000.0, softplus_beta=20.0)
    frame = ex.curves(cfg)
    assert np.isfinite(frame[["y", "slope"]].to_numpy()).all() and not frame["clipped"].any()


def test_curves_config_rejects_bad_input_and_round_trips_the_url():
    with pytest.raises(ConfigError, match="min < max"):
        ex.CurvesConfig(x_min=3.0, x_max=3.0)
    with pytest.raises(ConfigError, match="functions"):
        ex.CurvesConfig(functions=())
    with pytest.raises(ConfigError, match="leaky_alpha"):
        ex.CurvesConfig(leaky_alpha=3.0)
    with pytest.raises(ConfigError, match="n_seeds"):
        ex.CompareConfig(n_seeds=0)
    cfg = ex.CurvesConfig(functions=("gelu", "mish"), x_min=-3.5, elu_alpha=0.5, logits=(1.0, -2.0))
    back, notes = ex.CurvesConfig.from_query(cfg.to_query("f_"), "f_")
    assert back == cfg and not notes
    d = ex.DepthConfig(functions=("relu",), depth=12, init="he")
    assert ex.DepthConfig.from_query(d.to_query("d_"), "d_")[0] == d
    frame = ex.curves(cfg)
    assert set(frame["function"]) == {"GELU", "Mish"} and frame["x"].min() == -3.5


def test_batched_comparison_equals_one_by_one():
    cfg = ex.CompareConfig(dataset="xor", functions=("sigmoid", "relu", "gelu"), n_seeds=2, hidden=(16, 8),
                           epochs=4, batch_size=32, lr=0.01)
    batched = ex.run_compare(cfg)
    data = ex.compare_data(cfg.dataset, cfg.noise)
    assert [r.config.activation for r in batched] == ["sigmoid"] * 2 + ["relu"] * 2 + ["gelu"] * 2
    for tc, rb in zip(cfg.train_configs(), batched):
        (r1,) = fit([tc], data, eval_every=1)
        assert rb.config == r1.config
        assert abs(rb.metrics["final_test_acc"] - r1.metrics["final_test_acc"]) < 1e-9
        assert abs(rb.metrics["final_test_loss"] - r1.metrics["final_test_loss"]) < 1e-5
        np.testing.assert_allclose(rb.history["test_loss"], r1.history["test_loss"], rtol=1e-4)


def test_comparison_summary_table_bands_and_notes():
    cfg = ex.CompareConfig(dataset="gauss", functions=("relu", "sigmoid"), n_seeds=3, hidden=(8,), epochs=12,
                           batch_size=50, lr=0.01)
    res = ex.run_compare(cfg)
    t = ex.compare_table(res)
    assert list(t["rank"]) == [1, 2] and t["mean test acc"].is_monotonic_decreasing
    assert (t["min"] <= t["mean test acc"]).all() and (t["mean test acc"] <= t["max"]).all()
    b = ex.compare_bands(res, "test_acc")
    assert len(b) == 2 * 12 and (b["lo"] <= b["mean"] + 1e-12).all() and (b["mean"] <= b["hi"] + 1e-12).all()
    notes = ex.compare_notes(res)
    best = t.iloc[0]
    assert notes["table"].startswith(f"Best: {best['activation']}, {best['mean test acc']:.1%}")
    assert "epoch" in notes["loss"]
    spec = ac.band_chart(b, "test accuracy").to_dict()
    assert spec["layer"][1]["mark"]["type"] == "area" and spec["layer"][0]["encoding"]["y"]["field"] == "mean"
    assert ac.ranking_chart(t).to_dict()["layer"][0]["encoding"]["x2"]["field"] == "max"


@pytest.fixture(scope="module")
def depth_small():
    cfg = ex.DepthConfig(functions=("sigmoid", "relu"), depth=6, width=24, epochs=2, lr=0.01)
    return cfg, ex.run_depth(cfg)


def test_depth_probes_match_a_plain_autograd_model(depth_small):
    cfg, res = depth_small
    ds = ex.compare_data("digits")
    X, y = ds.X_train[:ex.PROBE], ds.y_train[:ex.PROBE]
    for r, tc in zip(res, cfg.train_configs()):
        net = build_mlp(64, tc.hidden, 10, tc.activation, tc.init, seed=tc.seed)
        loss = torch.nn.functional.cross_entropy(net(X), y)
        loss.backward()
        want = [float(lin.weight.grad.norm()) for lin in linear_layers(net)]
        np.testing.assert_allclose(r.extra["grad"][0], want, rtol=1e-4)
        assert len(r.extra["grad"]) == cfg.epochs + 1 and len(r.extra["dead"][0]) == cfg.depth
        # dead units of the trained model, counted directly
        net = r.model()
        h, dead = X, []
        for lin in linear_layers(net)[:-1]:
            z = lin(h)
            h = acts.get(tc.activation)(z)
            dead.append(float((acts.derivative(acts.get(tc.activation), z.reshape(-1)).reshape(z.shape) == 0)
                              .all(0).float().mean()))
        np.testing.assert_allclose(r.extra["dead"][-1], dead, atol=1e-6)


def test_depth_shows_sigmoid_vanishing_and_survives_the_cache(depth_small):
    cfg, res = depth_small
    g_sig, g_relu = res[0].extra["grad"][0], res[1].extra["grad"][0]
    L = cfg.depth
    assert g_sig[0] / g_sig[L - 1] < 0.01 < g_relu[0] / g_relu[L - 1]
    assert all(v == 0 for v in res[0].extra["dead"][-1])  # a sigmoid unit never has an exactly zero slope
    notes = ex.depth_notes(res)
    ratio = ex.ratio_words(g_sig[0] / g_sig[L - 1])
    assert "hist:ReLU" in notes and notes["grad"].startswith(f"At initialisation, with Sigmoid, layer 1 gets {ratio}")
    back = decode_results(*encode_results(res))
    assert back[1].extra == res[1].extra
    frames = ex.depth_frames(back)
    assert set(frames["hist"]["stage"]) == {"at init", "after training"}
    h = frames["hist"]
    shares = h.groupby(["function", "stage", "layer"])["share"].sum()
    assert np.allclose(shares, 1.0)

    def drawn(chart) -> tuple[str, dict[str, str], list[dict]]:
        """(mark type, channel -> field, the rows drawn) of a one-mark chart (a faceted one: its inner chart)."""
        spec = chart.to_dict()
        inner = spec.get("spec", spec)
        mark = inner["mark"]["type"] if isinstance(inner["mark"], dict) else inner["mark"]
        fields = {c: e["field"] for c, e in inner["encoding"].items() if "field" in e}
        return mark, fields, spec["datasets"][spec["data"]["name"]]

    mark, fields, rows = drawn(ac.grad_lines(frames["grad"]))
    assert (mark, fields) == ("line", {"x": "layer", "y": "grad_norm", "color": "function"})
    assert ac.grad_lines(frames["grad"]).to_dict()["encoding"]["y"]["scale"]["type"] == "log"
    at_init = {(r["function"], r["layer"]): r["grad_norm"] for r in rows}
    assert len(at_init) == 2 * len(g_sig)
    assert at_init[("Sigmoid", 1)] == g_sig[0] and at_init[("ReLU", L)] == g_relu[L - 1]  # the numbers above
    mark, fields, rows = drawn(ac.layer_heatmap(frames["dead"], "dead"))
    assert (mark, fields) == ("rect", {"x": "epoch", "y": "layer", "color": "dead"})
    assert len(rows) == len(frames["dead"]) and {r["function"] for r in rows} == {"Sigmoid", "ReLU"}
    mark, fields, rows = drawn(ac.layer_heatmap(frames["grad"], "grad_norm", log=True))
    assert (mark, fields["color"]) == ("rect", "log10")  # the log chart colours by log10 of the norm
    assert all(r["log10"] == pytest.approx(math.log10(r["grad_norm"])) for r in rows)
    mark, fields, rows = drawn(ac.preact_hist(h[h.function == "ReLU"].drop(columns="function")))
    assert (mark, fields["x"], fields["y"], fields["color"]) == ("rect", "lo", "share", "stage")
    assert len(rows) == int((h.function == "ReLU").sum()) and {r["stage"] for r in rows} == {"at init",
                                                                                              "after training"}
    mark, fields, rows = drawn(ac.acc_lines(frames["acc"]))
    assert (mark, fields) == ("line", {"x": "epoch", "y": "test_acc", "color": "function"})
    assert [r["test_acc"] for r in rows] == list(frames["acc"]["test_acc"])


def test_ratio_words():
    assert ex.ratio_words(1 / 4000) == "1/4,000" and ex.ratio_words(1 / 4321) == "1/4,300"
    assert ex.ratio_words(0.5) == "1/2" and ex.ratio_words(3.14) == "3.1x" and ex.ratio_words(0) == "none"


def test_curve_and_softmax_charts():
    cfg = ex.CurvesConfig(functions=("relu", "tanh"))
    spec = ac.curves_chart(ex.curves(cfg), "slope").to_dict()
    assert spec["layer"][1]["encoding"]["y"]["field"] == "slope"
    assert len(spec["layer"]) == 2  # nothing clipped: no red dots layer
    clipped = ex.curve_frame(torch.exp, 0, 1000, 50, "exp", torch.float32)
    assert len(ac.curves_chart(clipped).to_dict()["layer"]) == 3
    bars = ac.softmax_bars(ex.softmax_frame((1.0, 2.0), 4.0)).to_dict()
    assert bars["encoding"]["xOffset"]["field"] == "temperature"
    sweep = ac.softmax_sweep_chart(ex.softmax_sweep((1.0, 2.0)), 4.0).to_dict()
    assert sweep["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"
    notes = ex.curve_notes(ex.CurvesConfig(functions=("sigmoid", "relu"))).values()
    assert any("0.25" in n for n in notes) and any("1,048,576x" in n for n in notes)
    assert math.isclose(pd.DataFrame(ex.softmax_frame((0.0, 0.0), 3.0)).p.sum(), 2.0)
