"""The Optimizers page and its core: real torch.optim paths, the surfaces, the charts, the page (AppTest)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.optimizers import charts as oc
from core.optimizers import jobs as oj

APP = str(Path(__file__).resolve().parents[1] / "app.py")
DEFAULT = oj.OptimizersConfig()


def test_each_path_is_torch_optims_own_algorithm_written_out():
    """SGD, heavy-ball momentum and Adam by their textbook updates, with autograd's gradient, match the paths."""
    cfg = DEFAULT.replace(steps=30)
    run = oj.run(cfg)
    f = oj.SURFACES[cfg.surface].fn

    def grad(p):
        q = torch.tensor(p, dtype=torch.float64, requires_grad=True)
        f(q[0], q[1]).backward()
        return q.grad.numpy()

    p_s, p_m, v = np.array(oj.SURFACES[cfg.surface].start), np.array(oj.SURFACES[cfg.surface].start), np.zeros(2)
    p_a, m1, m2 = p_s.copy(), np.zeros(2), np.zeros(2)
    for t in range(1, cfg.steps + 1):
        p_s = p_s - cfg.lr * grad(p_s)
        v = cfg.momentum * v + grad(p_m)
        p_m = p_m - cfg.lr * v
        g = grad(p_a)
        m1, m2 = 0.9 * m1 + 0.1 * g, 0.999 * m2 + 0.001 * g * g
        p_a = p_a - cfg.lr * (m1 / (1 - 0.9 ** t)) / (np.sqrt(m2 / (1 - 0.999 ** t)) + 1e-8)
    last = run[run["step"] == cfg.steps].set_index("optimizer")
    for name, p in (("SGD", p_s), ("momentum", p_m), ("Adam", p_a)):
        np.testing.assert_allclose(last.loc[name, ["x", "y"]].to_numpy(float), p, rtol=1e-9, atol=1e-12)


def test_paths_start_together_and_record_every_step_and_the_loss():
    run = oj.run(DEFAULT)
    assert len(run) == 3 * (DEFAULT.steps + 1)
    starts = run[run["step"] == 0]
    assert (starts["x"] == -9).all() and (starts["y"] == 1.5).all()
    f = oj.SURFACES["valley"].fn
    np.testing.assert_allclose(run["loss"], f(torch.tensor(run["x"].values), torch.tensor(run["y"].values)).numpy())


def test_a_diverging_path_stops_and_steps_to_says_never():
    run = oj.run(DEFAULT.replace(lr=1.0, steps=100))
    sgd = run[run["optimizer"] == "SGD"]
    assert sgd["loss"].isna().any() and np.isfinite(sgd["loss"].dropna()).all()
    assert oj.steps_to(run, 0.01)["SGD"] is None


def test_steps_to_is_the_first_step_below():
    import pandas as pd

    df = pd.DataFrame({"optimizer": ["a"] * 4, "step": [0, 1, 2, 3], "loss": [5, 0.5, 0.005, 0.001]})
    assert oj.steps_to(df, 0.01) == {"a": 2} and oj.steps_to(df, 1e-4) == {"a": None}


def test_rosenbrock_minimum_and_the_grid():
    s = oj.SURFACES["rosenbrock"]
    assert float(s.fn(torch.tensor(1.0), torch.tensor(1.0))) == 0.0
    g = oj.grid("rosenbrock", n=20)
    assert len(g) == 400 and g["x"].min() == -2 and g["y"].max() == 3
    np.testing.assert_allclose(g["log_loss"], np.log10(np.maximum(g["loss"], 1e-6)))


def test_surface_chart_draws_each_path_only_up_to_the_step():
    run = oj.run(DEFAULT)
    spec = oc.surface_chart(oj.grid("valley", 20), run, "valley", 10).to_dict()
    datasets = spec["datasets"]
    path_rows = [rows for rows in datasets.values() if rows and "optimizer" in rows[0] and len(rows) > 3]
    assert path_rows and max(r["step"] for r in path_rows[0]) == 10 and len(path_rows[0]) == 3 * 11
    dots = [rows for rows in datasets.values() if rows and "optimizer" in rows[0] and len(rows) == 3]
    assert dots and {r["step"] for r in dots[0]} == {10}
    assert "paths up to step 10" in str(spec["title"])
    scales = [layer["encoding"]["color"]["scale"] for layer in spec["layer"]
              if layer.get("encoding", {}).get("color", {}).get("field") == "optimizer"]
    assert scales and all(sc["range"] == [oc.COLOURS[n] for n in oj.OPTIMIZERS] for sc in scales)
    assert not {"#2166ac", "#b2182b"} & set(scales[0]["range"])  # the sign colours mean signs only


def test_loss_chart_marks_the_threshold_and_the_step():
    spec = oc.loss_chart(oj.run(DEFAULT), 42, 0.01).to_dict()
    rows = [r for rows in spec["datasets"].values() for r in rows]
    assert {"loss": 0.01} in rows and {"step": 42} in rows


def test_the_config_refuses_out_of_range_values():
    with pytest.raises(ValueError):
        oj.OptimizersConfig(lr=2.0)
    with pytest.raises(ValueError):
        oj.OptimizersConfig(surface="himmelblau")


def page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("app_pages/optimizers.py")
    return at.run()


def test_the_page_at_its_defaults_states_the_three_claims_and_steps():
    at = page()
    assert not at.exception
    md = "\n".join(m.value for m in at.markdown)
    assert "momentum got the loss below 0.01 in 61 steps" in md and "Adam's first step" in md
    assert "Adam got below 0.01 in 187 steps" in md
    # it opens on the whole paths: at step 400, momentum's loss is far below SGD's
    assert [m.label for m in at.metric][0] == "SGD: loss at step 400" and "step" not in at.query_params
    sgd, mom = (float(m.value) for m in at.metric[:2])
    assert mom < sgd
    at.slider(key="o_step").set_value(0).run()
    assert [m.value for m in at.metric] == ["15.3"] * 3  # the same start: 0.05·81 + 5·2.25
    at.slider(key="o_step").set_value(100).run()
    assert at.query_params["step"] == "100" and [m.label for m in at.metric][0] == "SGD: loss at step 100"


def test_the_sliders_change_the_run_and_the_url_and_a_link_opens_them():
    at = page()
    at.select_slider(key="o_lr").set_value(0.02).run()
    at.slider(key="o_momentum").set_value(0.5).run()
    assert at.query_params["lr"] == "0.02" and at.query_params["momentum"] == "0.5"
    assert "momentum got the loss below" in "\n".join(m.value for m in at.markdown) or not at.exception
    again = page(lr="0.02", momentum="0.5", step="50", surface="rosenbrock")
    assert not again.exception and again.slider(key="o_step").value == 50
    assert again.selectbox(key="o_surface").value == "rosenbrock" and again.select_slider(key="o_lr").value == 0.02


def test_play_moves_the_step_on():
    at = page(steps="100")
    at.button(key="o_play").click().run()
    assert at.session_state["o_playing"]
    assert at.slider(key="o_step").value > 0  # the fragment's first run moved it (the timer moves it on)


def test_hosted_the_paths_are_priced_and_take_a_training_slot(monkeypatch):
    """Hosted: the three paths go through the one door (one price, one slot), not around the queue."""
    from tests.test_price import counting

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    priced, slots = counting(monkeypatch)
    at = page(steps="123")
    assert not at.exception
    assert len(priced) == 1 and len(slots) == 1, (priced, slots)


def chart_specs(at) -> list[tuple]:
    """Each chart's spec and data, in page order."""
    return [(c.proto.spec, [d.SerializeToString() for d in c.proto.datasets]) for c in at.get("vega_lite_chart")]


def test_the_kept_charts_follow_the_step_and_the_settings():
    """The charts are kept per setting and step (ui/vega.py): another step or learning rate draws others."""
    at = page(steps="100")
    first = chart_specs(at)
    at.slider(key="o_step").set_value(50).run()
    stepped = chart_specs(at)
    at.select_slider(key="o_lr").set_value(0.02).run()
    other = chart_specs(at)
    assert not at.exception and len(first) == len(stepped) == len(other) == 2
    assert all(a != b and b != c for a, b, c in zip(first, stepped, other))
