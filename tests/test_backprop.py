"""Backprop Step by Step: the hand-written chain rule against autograd, the replay, the page and its claims."""


import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from core import backprop as bp
from core.backprop import charts
from core.backprop import jobs as bpj
from core.xor.scratch import ScratchNet
from tests.pages import open_page, qp


# ---- core ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed,lr,step", [(0, 0.5, 0), (0, 0.5, 1), (3, 0.5, 6), (7, 2.0, 13), (11, 0.1, 402)])
def test_every_derivative_of_a_step_equals_autograd(seed, lr, step):
    t = bpj.run(bp.BackpropConfig(seed=seed, lr=lr, step=step))
    hand = t.hand()
    assert set(t.autograd) == set(hand)
    for name, value in t.autograd.items():
        np.testing.assert_allclose(hand[name], value, atol=1e-6, rtol=0, err_msg=name)
    assert t.max_autograd_diff() < 1e-12  # float64 on both sides: far inside the page's 1e-9 badge


def test_autograd_check_is_independent_of_the_hand_code():
    """Autograd on a perturbed W2 gives other gradients: the check would catch a wrong chain."""
    t = bpj.run(bp.BackpropConfig(step=1))
    p = {k: v.copy() for k, v in t.params.items()}
    p["W2"] = p["W2"] + 0.1
    other = bpj.autograd_step(p, t.x, t.y)
    assert np.abs(other["dL/dW1"] - t.grads["W1"]).max() > 1e-4


def test_first_weights_are_the_tutorials():
    p = bpj.initial_params(5)
    net = ScratchNet(2, 4, seed=5)
    np.testing.assert_array_equal(p["W1"], net.W1)
    np.testing.assert_array_equal(p["W2"], net.W2[:, 0])
    assert not p["b1"].any() and float(p["b2"]) == 0.0


def test_the_update_is_minus_lr_times_the_gradient_and_the_replay_matches_the_trace():
    cfg = bp.BackpropConfig(seed=2, lr=0.7, step=9)
    p = bpj.initial_params(2)
    for s in range(9):
        t = bpj.trace_step(p, s, 0.7)
        for k in p:
            np.testing.assert_allclose(t.new_params[k], p[k] - 0.7 * t.grads[k], atol=0, rtol=0)
        p = t.new_params
    q = bpj.params_at(cfg)
    for k in p:
        np.testing.assert_allclose(q[k], p[k], atol=1e-12)
    assert bpj.run(cfg).step == 9 and bpj.run(cfg).x.tolist() == [0.0, 1.0]  # step 9 trains on row 9 % 4 = 1


def test_torch_sgd_on_one_example_gives_the_same_new_weights():
    cfg = bp.BackpropConfig(seed=4, lr=0.5, step=2)
    t = bpj.run(cfg)
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in t.params.items()}
    opt = torch.optim.SGD(list(tp.values()), lr=0.5)
    a2 = torch.sigmoid(torch.sigmoid(torch.tensor(t.x) @ tp["W1"] + tp["b1"]) @ tp["W2"] + tp["b2"])
    loss = -(t.y * torch.log(a2 + bpj.EPS) + (1 - t.y) * torch.log(1 - a2 + bpj.EPS))
    loss.backward()
    opt.step()
    for k, v in tp.items():
        np.testing.assert_allclose(v.detach().numpy(), t.new_params[k], atol=1e-12)


@pytest.mark.parametrize("name", bp.weight_names())
def test_the_chain_factors_multiply_to_the_gradient(name):
    t = bpj.run(bp.BackpropConfig(seed=1, step=7))
    factors = bp.chain_for(t, name)
    assert np.isclose(np.prod([v for _, _, v in factors]), bpj.value_of(t.grads, name), rtol=1e-12, atol=1e-15)
    latex = bpj.chain_latex(t, name)
    assert latex.startswith("\\begin{aligned}\\frac{\\partial L}") and f"{bpj.value_of(t.grads, name):.6g}" in latex


def test_tables_loss_history_and_charts():
    cfg = bp.BackpropConfig(step=5)
    t = bpj.run(cfg)
    assert len(bpj.gradient_table(t)) == 17 and bpj.gradient_table(t)["|diff|"].max() < 1e-9
    assert bpj.backward_table(t)["|diff|"].max() < 1e-9
    assert list(bpj.forward_table(t)["quantity"])[-1] == "L"
    h = bp.loss_history(cfg)
    assert h["step"].iloc[0] == 0 and h["step"].iloc[-1] == 6
    assert np.isclose(h["mean_loss"].iloc[-1], t.mean_loss_after, atol=1e-12)
    assert np.isclose(h["mean_loss"].iloc[-2], t.mean_loss_before, atol=1e-12)
    long = bp.loss_history(cfg.replace(step=4000))
    assert len(long) <= 402 and long["step"].iloc[-1] == 4001
    nodes, edges = charts.network_frames(t, backward=True, picked="W2[3]")
    assert len(nodes) == 7 and len(edges) == 12 and edges["picked"].sum() == 1
    assert np.isclose(edges.set_index("name").loc["W2[3]", "value"], t.grads["W2"][2])

    def layers(chart) -> list[tuple[str, list[dict]]]:
        """(mark type, the rows it draws) for each layer of a chart's spec."""
        spec = chart.to_dict()
        return [(lay["mark"]["type"], spec["datasets"][lay["data"]["name"]]) for lay in spec["layer"]]

    # the network: weights as lines (the picked one dashed), their values as labels, neurons as circles
    forward = layers(charts.network_chart(t))
    assert [m for m, _ in forward] == ["rule", "rule", "text", "text", "circle", "text", "text"]
    assert forward[1][1] == []  # nothing picked, nothing dashed
    lines = {r["name"]: r["value"] for r in forward[0][1]}
    assert len(lines) == 12 and lines["W2[3]"] == t.params["W2"][2] and lines["W1[2,1]"] == t.params["W1"][1, 0]
    assert [r["name"] for r in forward[4][1]] == list(charts.network_frames(t)[0]["name"]) and len(forward[4][1]) == 7
    backward = layers(charts.network_chart(t, True, "W1[1,1]"))
    assert [r["name"] for r in backward[1][1]] == ["W1[1,1]"]  # the picked weight, dashed
    grads = {r["name"]: r["value"] for r in backward[0][1]}
    assert set(grads) == {n for n in bp.weight_names() if n.startswith("W")}  # the 12 weights (biases: in nodes)
    assert all(grads[n] == bpj.value_of(t.grads, n) for n in grads)  # the lines carry the gradients
    # the loss: the mean over all four rows at each step, and a dot after this step's update
    loss = layers(charts.loss_chart(h, 5))
    assert [m for m, _ in loss] == ["line", "point"]
    assert loss[0][1] == h.to_dict("records")
    assert loss[1][1] == [{"step": 6, "mean_loss": t.mean_loss_after}]
    # the chain: one bar per factor, the running product ending at the gradient
    chain = bp.chain_for(t, "W1[1,1]")
    bars = charts.chain_chart(chain).to_dict()
    rows = bars["datasets"][bars["data"]["name"]]
    assert bars["mark"]["type"] == "bar" and [r["factor"] for r in rows] == [words for _, words, _ in chain]
    assert np.isclose(rows[-1]["running product"], bpj.value_of(t.grads, "W1[1,1]"), rtol=1e-12, atol=1e-15)


def test_config_round_trips_through_the_url_and_refuses_bad_values():
    cfg = bp.BackpropConfig(seed=3, lr=0.25, step=17)
    assert bp.BackpropConfig.from_query(cfg.to_query())[0] == cfg
    back, notices = bp.BackpropConfig.from_query({"step": "-1", "lr": "abc"})
    assert back == bp.BackpropConfig() and len(notices) == 2


# ---- the page --------------------------------------------------------------------------------------
def page(**params) -> AppTest:
    """The Backprop page opened by a link."""
    return open_page("app_pages/backprop.py", **params)


def captions(at) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def test_page_at_defaults_and_its_claims():
    """Each sentence the page states at its defaults, checked against the numbers it describes."""
    at = page()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 3
    t = bpj.run(bp.BackpropConfig())
    # the badge: every number within 1e-9 of autograd
    assert "Autograd agrees to 1e-9" in at.success[0].value and t.max_autograd_diff() <= 1e-9
    # the picked weight W1[2,1] leaves input x2, which is 0 on the first example: no gradient
    text = captions(at)
    assert "exactly 0 on this example (input x2)" in text
    assert t.x[1] == 0.0 and bpj.value_of(t.grads, "W1[2,1]") == 0.0
    # the update lowered this example's loss, and raised the mean over all four rows
    assert "lowered the loss on this example" in text and t.new_loss < t.loss
    assert "mean loss over all four rows rose" in text and t.mean_loss_after > t.mean_loss_before
    assert f"{t.loss:.5f}" in text and f"{t.new_loss:.5f}" in text
    latex = at.latex[0].value.strip("$\n")
    assert "\\frac{\\partial L}{\\partial w^{(1)}_{21}} &=" in latex and latex.endswith("= 0\\end{aligned}")


def test_buttons_step_through_examples_and_epochs_and_the_url_follows():
    at = page()
    at.button[0].click().run()  # next example
    assert not at.exception
    assert qp(at, "step") == "1"
    at.button[1].click().run()  # next epoch
    assert str(at.number_input(key="bp_step").value) == "5"
    assert "Epoch 2, example 2 of 4" in at.markdown[1].value
    at.selectbox(key="bp_w").set_value("W1[2,3]").run()  # step 5 trains on row 1, x = (0, 1): x2 is 1
    assert not at.exception
    t = bpj.run(bp.BackpropConfig(step=5))
    assert "exactly 0" not in captions(at) and bpj.value_of(t.grads, "W1[2,3]") != 0.0
    assert f"{bpj.value_of(t.grads, 'W1[2,3]'):.6g}" in at.latex[0].value
    assert qp(at, "w") == "W1[2,3]"
    at.button[2].click().run()  # reset
    assert at.number_input(key="bp_step").value == 0
    assert "step" not in at.query_params
    assert t.max_autograd_diff() < 1e-12


def test_a_shared_link_restores_the_step():
    at = page(seed="3", lr="0.25", step="10", w="W2[2]")
    assert not at.exception
    assert at.number_input(key="bp_step").value == 10 and at.selectbox(key="bp_w").value == "W2[2]"
    t = bpj.run(bp.BackpropConfig(seed=3, lr=0.25, step=10))
    assert f"{t.loss:.4f}" in at.markdown[1].value


def test_the_full_batch_option_steps_the_tutorials_way_and_shows_one_row():
    """Full batch: one step per epoch on the mean of the four rows' gradients (the tutorial's); the row shown
    is a choice, and the link keeps both."""
    at = page(mode="batch", step="3", row="2")
    assert not at.exception
    assert at.segmented_control(key="bp_mode").value == "batch" and at.selectbox(key="bp_row").value == 2
    t = bpj.run(bp.BackpropConfig(mode="batch", step=3, row=2))
    head = next(m.value for m in at.markdown if "full-batch step**" in m.value)
    assert head.startswith("**Epoch 4: one full-batch step") and f"{t.loss:.4f}" in head
    assert "full-batch step uses the mean" in captions(at) or "mean gradient" in captions(at)
    assert "moved all 17 weights and biases" in captions(at)
    at.button[0].click().run()  # next step: one epoch
    assert at.number_input(key="bp_step").value == 4 and qp(at, "mode") == "batch"
    at.button[1].click().run()  # next 10 epochs
    assert at.number_input(key="bp_step").value == 14 and qp(at, "row") == "2"


def test_page_widgets_take_their_ranges_from_the_fields(monkeypatch):
    """A cap on a field lowers its widget's maximum (here each field capped at its default)."""
    from tests.widgetcheck import cap_every_field

    asked = cap_every_field(monkeypatch)
    at = page()
    assert not at.exception
    assert at.number_input(key="bp_lr").max == bp.BackpropConfig().lr  # the declared end is 10
    assert at.number_input(key="bp_step").max == 0 and at.number_input(key="bp_seed").max == 0
    assert {(bp.BackpropConfig, f) for f in ("mode", "seed", "lr", "step")} <= set(asked)


def chart_specs(at) -> list[tuple]:
    """Each chart's spec and data, in page order."""
    return [(c.proto.spec, [d.SerializeToString() for d in c.proto.datasets]) for c in at.get("vega_lite_chart")]


def test_the_kept_charts_follow_the_step_and_the_picked_weight():
    """The charts are kept per setting (ui/vega.py): another step or weight draws others."""
    at = page()
    first = chart_specs(at)
    at.button[0].click().run()  # next example
    stepped = chart_specs(at)
    assert len(first) == len(stepped) == 3 and all(a != b for a, b in zip(first, stepped))
    at.selectbox(key="bp_w").set_value("W1[2,3]").run()  # its edge dashed in both drawings
    picked = chart_specs(at)
    assert picked[0] != stepped[0] and picked[1] != stepped[1] and picked[2] == stepped[2]
