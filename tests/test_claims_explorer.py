"""Activation Explorer's claims, each fed numbers on both sides of its condition (real runs where cheap,
edited copies of them for the other side), and the lessons its default runs teach."""

import copy

import numpy as np
import pytest

from core import explorer as ex
from core.explorer import claims as c
from core.explorer import jobs as exj
from tests.claimcheck import both_sides

F = ex.CurvesConfig


def _copy(r, **metrics):
    out = copy.copy(r)
    out.history = r.history.copy()
    out.metrics = {**r.metrics, **metrics}
    out.extra = copy.deepcopy(r.extra)
    return out


# ---- ① shapes and slopes --------------------------------------------------------------------------


def test_shapes_tab_claims_both_sides(monkeypatch):
    d = F()
    with both_sides("explorer.steepest_flattest"):
        s = c.steepest_flattest(d)
        assert s.startswith("Steepest: Tanh, ReLU and Leaky ReLU, slope up to 1; flattest: Sigmoid")
        assert not c.steepest_flattest(F(functions=("relu", "elu")))  # both reach slope 1: nothing to rank
    with both_sides("explorer.sigmoid_slope"):
        assert "never exceeds 0.25" in c.sigmoid_slope(d)
        assert not c.sigmoid_slope(F(functions=("relu",)))
    with both_sides("explorer.both_sides"):
        assert c.both_sides_flat(d).startswith("Saturating on both sides in this range: Sigmoid and Tanh.")
        assert not c.both_sides_flat(F(functions=("relu",)))
        hard = c.both_sides_flat(F(functions=("hard_tanh", "step")))
        assert hard.startswith("Flat at both ends: Hard tanh") and "Step" not in hard and "0.01" not in hard
    with both_sides("explorer.one_side"):
        s = c.one_side_flat(d)
        assert "ReLU (flat on the left: slope exactly 0 for x < 0)" in s and "Leaky ReLU (flat" not in s
        assert not c.one_side_flat(F(functions=("sigmoid",)))
        elu = c.one_side_flat(F(functions=("relu", "elu")))
        assert "ELU (saturates on the left" in elu and "dead unit" in elu
    with both_sides("explorer.no_slope"):
        s = c.no_slope(F(functions=("step", "sigmoid")))
        assert s.startswith("Step: the slope is exactly 0 everywhere") and "not saturation" in s
        assert not c.no_slope(F(functions=("sigmoid", "relu")))
        assert c.no_slope(d).holds  # Step is in the default set
    with both_sides("explorer.clipped"):
        assert not c.clipped(d)
        monkeypatch.setattr(exj, "Y_CLIP", 3.0)  # a tiny clip: the identity's values beyond 3 are clipped
        assert "Identity" in c.clipped(F(functions=("identity",)))


def test_step_is_in_the_default_set_and_gradient_descent_cannot_train_it():
    d = F()
    assert "step" in d.functions and "step" in ex.DEFAULT_CURVES
    with both_sides("explorer.step_needs_slope"):
        s = c.step_needs_slope(d)
        assert s.holds and s.numbers["step_grad_max"] == 0 and s.numbers["step_loss_moved"] == 0
        assert s.startswith("Step is the perceptron's activation") and "w += lr·error·x" in s
        assert s.numbers["learned"] >= 3  # sigmoid, tanh and the ReLUs lower their loss from the same start
        assert "Sigmoid from 0.263 to" in s
        assert not c.step_needs_slope(F(functions=("sigmoid",)))  # no Step chosen: says nothing
        # a Step that moved (edited numbers): the claim says what the numbers say instead
        from core.neuron.jobs import descend_all
        runs = {k: v.copy() for k, v in descend_all(d.functions).items()}
        runs["step"].loc[1:, "loss"] = 0.2
        moved = c.step_needs_slope(d, runs)
        assert not moved.holds and "loss moved by 0.05" in moved
        flat = {k: v.copy() for k, v in descend_all(d.functions).items()}
        for k in flat:
            flat[k]["loss"] = flat[k]["loss"].iloc[0]  # nothing learned: no smooth function to contrast
        assert not c.step_needs_slope(d, flat).holds
    notes = c.curve_notes(d)  # the page states Step's lesson once, with the run's numbers
    assert "step" in notes and "none" not in notes
    assert "none" in c.curve_notes(F(functions=("step",)))  # alone, nothing to contrast: no_slope says it


def test_the_table_says_step_has_no_slope_not_that_it_saturates():
    t = ex.curves_table(F(functions=("step", "sigmoid")))
    col = t["saturates (|slope| < 0.01)"]
    assert col[0] == "no slope anywhere (exactly 0)" and col[1] != col[0]
    soft = ex.curves_table(F(functions=("softplus",)))["gotcha"][0]
    assert "saturates on the left" in soft and "linear on the right" in soft


# ---- ② softmax ---------------------------------------------------------------------------------------


def test_softmax_claims_both_sides():
    z = F().logits
    with both_sides("explorer.temperature"):
        s = c.temperature_effect(z, 0.5)
        assert s.holds and "T = 0.5" in s and "sharpened" in s
        assert c.temperature_effect(z, 3.0).holds
        at1 = c.temperature_effect(z, 1.0)
        assert not at1.holds and at1.startswith("At T = 1 the largest logit (z1 = 2) gets p = 0.638")
    with both_sides("explorer.sums_to_one"):
        assert c.sums_to_one(z, 0.3).startswith("The probabilities sum to 1.000000")
        assert not c.sums_to_one(z, 0.3, total=0.9).holds


# ---- ③ effect on learning -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_compare():
    cfg = ex.CompareConfig(functions=("sigmoid", "relu"), n_seeds=2, epochs=12)
    return ex.run_compare(cfg)


def test_compare_claims_both_sides(small_compare):
    rs = small_compare
    relu = [r for r in rs if r.config.activation == "relu"]
    twins = relu + [_copy(r) for r in relu]  # the same runs under a second name: nothing separates them
    for r in twins[2:]:
        r.config = r.config.replace(activation="leaky_relu")
    with both_sides("explorer.first_to_level"):
        s = c.first_to_level(rs)
        assert s.holds and s.startswith("ReLU is first to a mean test accuracy")
        never = [_copy(r, final_test_acc=0.999) for r in rs if r.config.activation == "sigmoid"]
        for r in never:
            r.history["test_acc"] = 0.5
        assert c.first_to_level(never).startswith("No activation reached a mean test accuracy of 90%")
    with both_sides("explorer.loss_ratio"):
        s = c.loss_ratio(rs)
        assert s.holds and s.startswith("At epoch 10, Sigmoid's mean test loss")
        assert "within 0% of" in c.loss_ratio(twins)
    with both_sides("explorer.ranking"):
        s = c.ranking(rs)
        assert s.holds and s.startswith("Best: ReLU") and "last: Sigmoid" in s
        assert "this run does not rank them apart" in c.ranking(twins)


# ---- ④ depth ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def depth_default():
    cfg = ex.DepthConfig()
    return cfg, ex.run_depth(cfg)


@pytest.fixture(scope="module")
def shared_default_init():
    return ex.run_depth(ex.DepthConfig(init="default", functions=("relu", "sigmoid", "tanh"), epochs=1))


@pytest.fixture(scope="module")
def relu_only():
    return ex.run_depth(ex.DepthConfig(functions=("relu",), depth=4, epochs=1))


def test_depth_default_keeps_relus_gradient_and_relu_learns(depth_default):
    """Guards DepthConfig.init = "matched": ReLU's layer 1 gets about as much gradient as its last layer
    (sigmoid's, a vanishing share), and ReLU learns as well as tanh. With PyTorch's default init ReLU got
    1/80 and reached 60% to tanh's 80%."""
    cfg, res = depth_default
    by = {r.config.activation: r for r in res}
    L = cfg.depth

    def ratio(r):
        return r.extra["grad"][0][0] / r.extra["grad"][0][L - 1]

    assert ex.SAME[0] <= ratio(by["relu"]) <= ex.SAME[1]
    assert ratio(by["sigmoid"]) < 1e-3 * ratio(by["relu"])
    acc = {a: r.metrics["final_test_acc"] for a, r in by.items()}
    assert acc["relu"] >= 0.9 and acc["relu"] >= acc["tanh"] - 0.03 and acc["sigmoid"] < 0.2
    notes = ex.depth_notes(res)
    assert "1/1 " not in " ".join(notes.values())


def test_depth_claims_both_sides(depth_default, shared_default_init, relu_only):
    _, res = depth_default
    by = {r.config.activation: r for r in res}
    with both_sides("explorer.init_matched"):
        assert c.init_matched(res).startswith("Each activation starts from the init designed for it")
        assert not c.init_matched(shared_default_init)
    with both_sides("explorer.shared_init_hurts"):
        s = c.shared_init_hurts(shared_default_init)
        assert s.startswith("With one shared init (PyTorch's default init)")
        assert "with ReLU, layer 1 gets 1/80 of layer 10's gradient (with He (Kaiming) init" in s
        assert "with Sigmoid" not in s  # sigmoid vanishes with its own init too: the init is not the cause
        assert not c.shared_init_hurts(res) and c.shared_init_hurts(res) == ""
    with both_sides("explorer.vanishing_at_init"):
        s = c.vanishing_at_init(res)
        assert s.startswith("At initialisation, with Sigmoid, layer 1 gets 1/") and "vanishing gradient" in s
        assert "vanishing" not in c.vanishing_at_init(relu_only)
    with both_sides("explorer.still_vanishing"):
        assert "Sigmoid's layer 1 still gets 1/" in c.still_vanishing(res)
        assert "still" not in c.still_vanishing(relu_only)
    with both_sides("explorer.dead_units"):
        s = c.dead_units(res)
        assert "units are dead with ReLU" in s and "None die with" in s
        calm = [_copy(r) for r in relu_only]
        for r in calm:
            r.extra["dead"][-1] = [0.0] * len(r.extra["dead"][-1])
        assert c.dead_units(calm).startswith("No unit is dead in any layer")
    with both_sides("explorer.dead_without_plateau"):
        s = c.dead_without_plateau(res)
        assert s.holds and "training loss kept falling" in s and "no plateau to fix" in s
        flat = [_copy(r) for r in res]
        for r in flat:
            r.history["train_loss"] = 0.5
        s = c.dead_without_plateau(flat)
        assert not s.holds and "plateaued" in s
    with both_sides("explorer.tanh_in_depth"):
        s = c.tanh_in_depth(res)
        assert not s.holds and s.startswith("The tutorial says tanh vanishes in depth too; not in this run")
        assert "With PyTorch's default init the same net's layer 1 gets 1/" in s and "sigmoid" in s
        s = c.tanh_in_depth(shared_default_init)
        assert s.holds and s.startswith("As the tutorial says, tanh vanishes in depth here")
    with both_sides("explorer.depth_accuracy"):
        assert c.depth_accuracy(res).startswith("Test accuracy after 10 epochs at depth 10: Tanh")
        assert "no network learned" in c.depth_accuracy([_copy(r, final_test_acc=0.1) for r in res])
    with both_sides("explorer.signal_size"):
        s = c.signal_size(by["relu"])
        assert not s.holds and "shrinks to 1/1.8" in s and "layer 1 sees raw pixels (mean 0.31" in s
        assert "standardised" in s and "keeps about the same size" in s.split("standardised")[1]
        assert c.signal_size(by["tanh"]).holds


def test_ratio_words_never_says_one_over_one():
    for r in np.linspace(0.5, 2.0, 61):
        assert ex.ratio_words(float(r)) not in ("1/1", "1x", "1.0x")
    assert ex.ratio_words(0.8) == ex.ratio_words(1.3) == "about the same"
