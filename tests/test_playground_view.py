"""The Playground's diagram, hidden space and Play loop (core), and the tab through AppTest."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from core import datasets
from core.engine import TrainConfig, Trainer
from core.xor import claims as xc
from core.xor import diagram, hidden_space, wire
from core.xor.jobs import XorCompareConfig, run_xor_compare
from core.xor.play import PlayLoop
from core.xor.playground import PlaygroundConfig, make_points, new_trainer

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def setting(**kw) -> tuple[PlaygroundConfig, object, Trainer]:
    cfg = PlaygroundConfig(**kw)
    pts = make_points(cfg)
    return cfg, pts, new_trainer(cfg, pts)


def wide_trainer(hidden: tuple[int, ...], activation: str = "tanh") -> tuple[Trainer, tuple[str, ...], tuple]:
    """A Playground-like trainer wider than PlaygroundConfig allows today (its cap is 8 per layer)."""
    X, y = datasets.toy_2d("xor", 200, 0.0, 0)
    feats = ("x1", "x2")
    F = datasets.features(X, feats)
    tr = Trainer([TrainConfig(hidden=hidden, activation=activation, epochs=3, batch_size=10, seed=1)],
                 datasets.make_dataset(F[:150], y[:150], F[150:], y[150:], task="binary"))
    train = np.zeros(len(X), bool)
    train[:150] = True
    return tr, feats, (X, y, train)


# ---- layout ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("widths", [[2, 4, 2, 1], [7, 8, 8, 8, 1], [2, 32, 16, 1], [2, 1]])
def test_layout_one_column_per_layer_tiles_fit_and_never_overlap(widths):
    nodes = diagram.layout(widths, [f"f{i}" for i in range(widths[0])])
    assert len(nodes) == sum(widths)
    xs = [sorted({n.x for n in nodes if n.layer == li}) for li in range(len(widths))]
    assert all(len(x) == 1 for x in xs)  # one column per layer
    cols = [x[0] for x in xs]
    assert cols == sorted(cols) and len(set(cols)) == len(cols)
    assert min(cols) - diagram.TILE_MAX / 2 >= 0 and max(cols) + diagram.TILE_MAX / 2 <= diagram.CANVAS_W
    for li, n in enumerate(widths):
        col = sorted((nd for nd in nodes if nd.layer == li), key=lambda nd: nd.y)
        assert [nd.index for nd in col] == list(range(n))
        size = col[0].size
        assert diagram.TILE_MIN <= size <= diagram.TILE_MAX
        assert all(b.y - a.y >= size for a, b in zip(col, col[1:]))  # no overlap
        assert col[0].y - size / 2 >= diagram.HEAD  # below the headings
    assert nodes[0].label == "f0" and nodes[-1].label == "out"


def test_a_32_neuron_layer_gets_small_tiles_a_narrow_one_keeps_big_ones():
    nodes = diagram.layout([2, 32, 2, 1], ["x1", "x2"])
    size = {n.layer: n.size for n in nodes}
    assert size[1] < 12 and size[2] == diagram.TILE_MAX
    assert max(n.y + n.size / 2 for n in nodes) <= diagram.HEAD + diagram.CANVAS_H + 1


# ---- edges and frames: the numbers are the trainer's --------------------------------------------------
def test_edges_are_the_trainers_weights():
    cfg, pts, tr = setting(hidden=(4, 3), seed=3)
    tr.run(epochs=2)
    edges = diagram.edges(tr)
    layers = tr.stack.layers()
    assert len(edges) == sum(W.shape[1] * W.shape[2] for W, _ in layers)
    for li, i, j, w in edges:
        assert w == pytest.approx(float(layers[li][0][0, j, i]))


def test_frame_arrays_have_the_declared_shapes_and_dtypes_and_match_the_trainer():
    cfg, pts, tr = setting(hidden=(4, 2), n_seeds=2, features=("x1", "x2", "x1x2"))
    tr.run(epochs=3)
    f = diagram.frame(tr, cfg.features, cfg.activation, (pts.X, pts.y, pts.train), k=1, epochs=cfg.epochs,
                      metrics={"test_loss": 0.5, "test_acc": float("nan")})
    json.dumps(f)  # JSON-safe as sent
    n_nodes = 3 + 4 + 2 + 1
    assert f["widths"] == [3, 4, 2, 1] and len(f["nodes"]) == n_nodes
    maps = wire.unb64(f["maps"])
    assert maps.dtype == np.uint8 and maps.size == n_nodes * diagram.MAP_STEPS ** 2
    assert wire.unb64(f["plane"]).size == diagram.PLANE_STEPS ** 2
    assert wire.unb64(f["points"]).reshape(-1, 4).shape == (len(pts.X), 4)
    assert wire.unb64(f["hidden"]["xy"]).reshape(-1, 2).shape == (len(pts.X), 2)
    for (W, b), fw, fb in zip(tr.stack.layers(), f["weights"], f["biases"]):  # model k = 1's weights
        np.testing.assert_allclose(np.array(fw), W[1].numpy(), atol=6e-5)
        np.testing.assert_allclose(np.array(fb), b[1, 0].numpy(), atol=6e-5)
    assert f["epoch"] == 3 and f["metrics"] == {"test_loss": 0.5, "test_acc": None}
    # the output plane is model 1's probability over the grid, quantized
    g = datasets.grid(datasets.EXTENT, diagram.PLANE_STEPS)
    p = tr.predict(torch.as_tensor(datasets.features(g, cfg.features)))[1, :, 0].numpy()
    np.testing.assert_array_equal(wire.unb64(f["plane"]), wire.quantize(p, 0.0, 1.0))


def test_node_maps_are_each_nodes_output_over_the_plane():
    cfg, pts, tr = setting(hidden=(3,), activation="relu")
    tr.run(epochs=2)
    maps, ranges = diagram.node_maps(tr, cfg.features, cfg.activation, steps=10)
    assert maps.shape == (2 + 3 + 1, 10, 10) and maps.dtype == np.uint8
    g = datasets.grid(datasets.EXTENT, 10)
    cap: list = []
    tr.forward(torch.as_tensor(datasets.features(g, cfg.features)), capture=cap)
    np.testing.assert_array_equal(maps[2 + 1].ravel(), wire.quantize(cap[0][1][0, :, 1].numpy(), *ranges[3]))
    assert tuple(ranges[3]) == (0.0, 1.0)  # ReLU is not symmetric
    assert maps[0, 0, 0] == 0 and maps[0, 0, -1] == 255  # x1 grows to the right along a row


def test_a_wide_network_frame_stays_small():
    tr, feats, pts = wide_trainer((32, 16))
    f = diagram.frame(tr, feats, "tanh", pts, epochs=3)
    assert len(f["nodes"]) == 2 + 32 + 16 + 1
    assert min(n[2] for n in f["nodes"]) >= diagram.TILE_MIN
    assert len(json.dumps(f)) < 60_000


def test_quantize_ends_and_nan():
    q = wire.quantize(np.array([-1.0, 0.0, 1.0, 5.0, np.nan]), -1.0, 1.0)
    assert q.tolist() == [0, 128, 255, 255, 128]


def test_regression_points_and_plane():
    cfg, pts, tr = setting(dataset="plane", hidden=(3,))
    f = diagram.frame(tr, cfg.features, cfg.activation, (pts.X, pts.y, pts.train), epochs=5, regression=True)
    assert f["regression"] and wire.unb64(f["plane"]).size == diagram.PLANE_STEPS ** 2


# ---- the hidden space ------------------------------------------------------------------------------
def test_hidden_space_coordinates_are_the_hidden_activations_and_the_line_is_the_output():
    cfg, pts, tr = setting(hidden=(4, 2), seed=2)
    tr.run(epochs=5)
    F = torch.as_tensor(datasets.features(pts.X, cfg.features))
    hs = hidden_space.of_trainer(tr, F)
    cap: list = []
    logits = tr.forward(F, capture=cap)[0, :, 0].numpy()
    np.testing.assert_allclose(hs.xy, cap[-1][1][0].numpy(), rtol=1e-6)
    assert hs.how == "direct" and hs.units == (0, 1)
    a, b, c = hs.line
    np.testing.assert_allclose(a * hs.xy[:, 0] + b * hs.xy[:, 1] + c, logits, atol=1e-5)
    assert hs.agree == 1.0


def test_more_than_two_units_the_most_used_against_the_others_weighted_mean_exactly():
    """More than two units: across, the unit the output leans on most; up, the others' weighted mean. The
    line is then the output's own boundary: every point on the side the network puts it."""
    rng = np.random.default_rng(0)
    H = rng.uniform(-1, 1, (50, 5))
    w = np.array([0.1, -3.0, 0.2, 2.0, 0.05])
    hs = hidden_space.project(H, w, 0.3)
    assert hs.how == "rest" and hs.units == (1, None)
    rest = [0, 2, 3, 4]
    np.testing.assert_allclose(hs.xy[:, 0], H[:, 1])
    np.testing.assert_allclose(hs.xy[:, 1], H[:, rest] @ w[rest] / np.abs(w[rest]).sum())
    assert np.abs(hs.xy[:, 1]).max() <= 1.0  # a weighted mean of values in [-1, 1]
    a, b, c = hs.line
    np.testing.assert_allclose(a * hs.xy[:, 0] + b * hs.xy[:, 1] + c, H @ w + 0.3, atol=1e-12)
    assert hs.agree == 1.0
    note = hs.describe("L2 n{}")
    assert "L2 n2" in note and "leans on most" in note and "%" not in note
    assert "h2" in hs.describe()


def test_one_hidden_unit_is_a_line_across():
    hs = hidden_space.project(np.array([[0.2], [0.8]]), np.array([2.0]), -1.0)
    assert hs.how == "one" and hs.line == (2.0, 0.0, -1.0) and (hs.xy[:, 1] == 0).all()


def test_line_segment_crosses_the_square():
    seg = hidden_space.line_segment(1.0, -1.0, 0.0, 0.0, 1.0)  # u = v
    assert sorted(seg) == [(0.0, 0.0), (1.0, 1.0)]
    assert hidden_space.line_segment(1.0, 0.0, -5.0, 0.0, 1.0) == []  # u = 5: outside


def test_xor_history_ends_where_the_compare_run_ends():
    cfg = XorCompareConfig(numpy_epochs=400, torch_epochs=200, seed=42)
    hh = hidden_space.xor_history(cfg, n_snapshots=10)
    cr = run_xor_compare(cfg)
    for name, col in (("NumPy", "NumPy"), ("PyTorch", "PyTorch")):
        g = hh[hh.net == name]
        end = g[g.step == g.step.max()]
        assert int(end.epoch.iloc[0]) == (400 if name == "NumPy" else 200)
        p = 1 / (1 + np.exp(-end.logit.to_numpy()))
        np.testing.assert_allclose(p, cr.predictions[col].to_numpy(), atol=1.5e-3)
        assert g.step.min() == 0 and int(g[g.step == 0].epoch.iloc[0]) == 0


def test_xor_history_caption_says_what_the_line_does():
    hh = hidden_space.xor_history(XorCompareConfig(hidden=2), n_snapshots=5)
    end = hh[(hh.net == "NumPy") & (hh.step == hh.step.max())]
    start = hh[(hh.net == "NumPy") & (hh.step == 0)]
    assert bool(end.separates.iloc[0]) and "linearly separable" in xc.hidden_space_caption(end)
    assert not bool(start.separates.iloc[0]) and "wrong side" in xc.hidden_space_caption(start)
    assert hidden_space.xor_chart(end, "NumPy").to_dict()["layer"]


# ---- the Play loop -----------------------------------------------------------------------------------
def test_play_loop_trains_to_its_target_and_ends_where_one_run_ends():
    cfg, pts, a = setting(epochs=30)
    _, _, b = setting(epochs=30)
    loop = PlayLoop([(a, 30)], pace=10_000).start()
    deadline = time.monotonic() + 60
    while loop.alive and time.monotonic() < deadline:
        loop.touch()
        time.sleep(0.01)
    assert not loop.alive and loop.error is None and loop.finished and a.epoch == 30
    b.run()
    torch.testing.assert_close(a.flat, b.flat)  # chunked in a thread or in one go: the same weights


def test_play_loop_records_snapshots_while_it_trains():
    cfg, pts, a = setting(epochs=40)
    loop = PlayLoop([(a, 40)], pace=200, snapshot=lambda: a.epoch, snapshot_s=0.02).start()
    got: list[int] = []
    deadline = time.monotonic() + 60
    while loop.alive and time.monotonic() < deadline:
        loop.touch()
        got += loop.take()
        time.sleep(0.03)
    got += loop.take()
    assert len(got) >= 3 and got == sorted(got) and got[-1] == 40  # in order, the last at the end


def test_play_loop_keeps_its_pace_stops_when_asked_and_when_nobody_watches():
    cfg, pts, a = setting(epochs=5000)
    loop = PlayLoop([(a, 5000)], pace=20, idle_timeout=30).start()
    time.sleep(0.5)
    with loop.lock:
        e = a.epoch
    assert 1 <= e <= 20  # about 10 at 20 epochs/s; never ahead of the pace
    loop.stop()
    assert not loop.alive
    e = a.epoch
    time.sleep(0.2)
    assert a.epoch == e
    loop2 = PlayLoop([(a, 5000)], pace=20, idle_timeout=0.2).start()
    time.sleep(1.0)
    assert not loop2.alive and a.epoch < 5000  # the visitor left: it ended by itself


# ---- the tab ----------------------------------------------------------------------------------------
def _views(at) -> list[dict]:
    out = []

    def walk(n):
        for c in getattr(n, "children", {}).values():
            if type(c).__name__ == "UnknownElement" and getattr(c, "type", None) == "bidi_component":
                data = json.loads(c.proto.json)
                assert len(data["frames"]) == 1  # at rest: the state now
                out.append(data["frames"][0])
            walk(c)

    walk(at._tree)
    return out


def playground(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in {"tab": "playground", **params}.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("app_pages/xor_lab.py")
    return at.run()


def test_the_tab_draws_the_diagram_of_the_live_trainer_and_steps():
    at = playground(g_epochs="8", g_hidden="3,2")
    assert not at.exception
    (view,) = _views(at)
    assert view["widths"] == [2, 3, 2, 1] and view["epoch"] == 0 and view["epochs"] == 8
    at.button(key="pg_step").click().run()
    (view,) = _views(at)
    assert view["epoch"] == 1 and not at.exception
    tr = at.session_state["pg_a_trainer"]
    np.testing.assert_allclose(np.array(view["weights"][0]), tr.stack.layers()[0][0][0].numpy(), atol=6e-5)


def test_the_loss_band_over_seeds_is_drawn_from_the_trainer_as_it_is_now():
    """The band chart is kept per its data (a live trainer has no cache key): each step draws its own."""
    at = playground(g_epochs="6", g_n_seeds="3")
    band = lambda: [c.proto for c in at.get("vega_lite_chart") if "band over seeds" in c.proto.spec]  # noqa: E731
    at.button(key="pg_step").click().run()
    first = band()
    assert len(first) == 1 and not at.exception
    at.run()
    assert band() == first
    at.button(key="pg_step").click().run()
    assert len(band()) == 1 and band() != first


def test_the_tab_compares_two_settings_with_two_diagrams():
    at = playground(g_epochs="4", cmp="1")
    assert not at.exception
    assert len(_views(at)) == 2


def test_the_numpy_tab_shows_the_hidden_space_over_training():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["tab"] = "compare"
    at.query_params["c_np_ep"] = "300"
    at.run()
    at.switch_page("app_pages/xor_lab.py")
    at.run()
    assert not at.exception
    assert any("hidden space" in s.value for s in at.subheader)
    at.select_slider(key="c_hs_step").set_value(0).run()
    assert not at.exception
    assert sum("At epoch 0" in c.value for c in at.caption) == 2


def test_the_tab_says_when_the_learning_rate_is_too_high():
    at = playground(g_lr="10", g_epochs="40")
    at.button(key="pg_all").click().run()
    assert not at.exception
    assert any("learning rate (10) is too high" in e.value for e in at.error)


def test_one_colour_per_sign_negative_red_positive_blue():
    """The Playground's weights, neuron pictures and classes use core.plotting's sign colours (negative
    red, positive blue), as do XOR Lab's class charts and Backprop's network."""
    from core.backprop import charts as bp_charts
    from core.backprop import jobs as bpj
    from core.plotting import NEGATIVE, POSITIVE, SIGN_SCHEME
    from core.xor import charts as xor_charts
    from ui import playground_view as pv

    assert f"const NEG = {pv.rgb(NEGATIVE)}" in pv._JS and f"POS = {pv.rgb(POSITIVE)};" in pv._JS
    assert NEGATIVE in pv._CSS and POSITIVE in pv._CSS and "245,147,34" not in pv._CSS + pv._JS
    assert pv.rgb("#2166ac") == [33, 102, 172]
    assert xor_charts.CLASS_COLORS.to_dict()["range"] == [NEGATIVE, POSITIVE]
    assert xor_charts.DIVERGING.to_dict()["scheme"] == SIGN_SCHEME
    spec = bp_charts.network_chart(bpj.run(bpj.BackpropConfig())).to_dict()
    assert SIGN_SCHEME in str(spec) and "blueorange" not in str(spec)


def test_play_pause_state_machine():
    """Pause stops; Play plays on; Play at the last epoch starts again from epoch 0 rather than
    showing Pause with nothing to play. The label says what a press will do."""
    from core.xor.play import play_label, play_pressed
    assert play_pressed(True, False) == (False, False) and play_pressed(True, True) == (False, False)
    assert play_pressed(False, False) == (True, False)
    assert play_pressed(False, True) == (True, True)
    assert play_label(True, True) == "⏸ Pause" and play_label(False, False) == "▶ Play"
    assert "from epoch 0" in play_label(False, True)


def test_a_loop_stopped_while_it_waits_for_the_lock_trains_no_further():
    """Pause draws under the loop's lock; a loop that was waiting for that lock must not train one more
    chunk once it gets it, or the paused epoch counter moves on."""
    _, _, tr = setting(epochs=5000)  # the loop's own target below is what it trains to
    loop = PlayLoop([(tr, 100_000)], pace=100_000, chunk=2).start()
    time.sleep(0.05)
    for _ in range(20):
        with loop.lock:  # as the paused view draws
            loop.stop(timeout=0.0)
            epoch = tr.epoch
        loop._thread.join(1.0)
        assert not loop.alive and tr.epoch == epoch
        loop = PlayLoop([(tr, 100_000)], pace=100_000, chunk=2).start()
        time.sleep(0.01)
    loop.stop()


def test_play_at_the_end_plays_again_and_pause_stops_the_counter():
    at = playground(g_epochs="400")
    at.button(key="pg_all").click().run()
    assert at.session_state["pg_a_trainer"].epoch == 400
    assert at.button(key="pg_play").label == "▶ Play again from epoch 0"
    old = at.session_state["pg_a_trainer"]
    at.button(key="pg_play").click().run()
    assert not at.exception
    tr = at.session_state["pg_a_trainer"]
    assert tr is not old and tr.epoch < 400  # started again (100 epochs a second: 400 take 4 s)
    assert at.button(key="pg_play").label == "⏸ Pause"
    at.button(key="pg_play").click().run()  # Pause
    assert at.button(key="pg_play").label == "▶ Play"
    epoch = tr.epoch
    time.sleep(0.3)
    assert tr.epoch == epoch and epoch < 400
    (view,) = _views(at)
    assert view["epoch"] == epoch
