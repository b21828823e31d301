"""Claim tests: each page's default job, run small and seeded, teaches what the page says it does.

A default that flips a lesson fails here. Each test names the default whose change it guards (see
the note at each test); every verdict sentence is checked to appear only when its run shows it.
"""

import numpy as np
import pytest

from core import datasets, xor
from core import explorer as ex
from core.xor.playground import PlaygroundConfig, loss_trouble, make_points, new_trainer, summary
from core.xor.scratch import solves_many

# ---- XOR Lab ---------------------------------------------------------------------------------------


def test_perceptron_fits_and_but_not_xor():
    """Guards PerceptronConfig's lr/epochs and the tutorial's rule: AND converges, XOR never does (best line 75%)."""
    cfg = xor.PerceptronConfig(gate="AND")
    h, p = xor.run_perceptron(cfg)
    assert h.converged and (xor.truth_table(cfg, p)["right"]).all()
    assert xor.perceptron_verdict(cfg, h, p).startswith(f"AND learned in {len(h.errors)} epochs")
    cfg = xor.PerceptronConfig(gate="XOR", epochs=1000)
    h, p = xor.run_perceptron(cfg)
    assert not h.converged and xor.best_linear_accuracy("XOR") == 0.75
    wrong = int((~xor.truth_table(cfg, p)["right"]).sum())
    said = xor.perceptron_verdict(cfg, h, p)
    assert f"made {h.errors[-1]} updates" in said and f"gets {wrong} of 4 wrong" in said and "75%" in said
    assert wrong >= 1 and "+ -" not in xor.rule_text(h.weights[-1], h.bias[-1])


@pytest.fixture(scope="module")
def seed_study():
    cfg = xor.SeedStudyConfig()
    return cfg, xor.run_seed_study(cfg)


def test_the_tutorials_xornet_solves_88_of_100_seeds(seed_study):
    """Guards SeedStudyConfig's defaults (the tutorial's XORNet: 2-4-1 sigmoid, Adam 0.1, 1,000 epochs)."""
    cfg, res = seed_study
    assert (cfg.hidden, cfg.activation, cfg.optimizer, cfg.lr, cfg.epochs) == ((4,), "sigmoid", "adam", 0.1, 1000)
    assert int(xor.solved(res).sum()) == 88


def test_more_epochs_claim_is_checked_not_assumed(seed_study):
    """The diagnosis says whether more epochs help only from a longer run: 1 of the 12 stuck seeds solves."""
    cfg, res = seed_study
    longer = xor.retry_longer(cfg, res)
    assert len(longer) == 12
    fixed = [i for i, r in longer.items() if xor.solved([r])[0]]
    assert [cfg.first_seed + i for i in fixed] == [61]
    assert xor.retry_sentence(cfg, longer).startswith("Trained 10x longer (10,000 epochs), 1 of the 12 failed seeds")
    for i, r in longer.items():
        last = xor.diagnose(res[i], r)["findings"][-1]
        assert ("does solve" in last) == (i in fixed) and ("do not help" in last) == (i not in fixed)
        assert not any("more epochs" in f for f in xor.diagnose(res[i])["findings"])


def test_the_numpy_network_solves_95_of_100_seeds_and_says_so():
    """Guards XorCompareConfig's NumPy settings (lr 0.5, 2,000 epochs, randn*0.5): 95/100 solve, and the
    default seed is one that does."""
    cfg = xor.XorCompareConfig()
    share = xor.numpy_solve_share(cfg)
    assert share == (95, 100)
    said = xor.numpy_share_sentence(share, cfg)
    assert "solves XOR 95 times out of 100" in said and "the other 5 starts" in said
    assert xor.numpy_share_sentence((100, 100), cfg).endswith("every start gets there.")
    X, y = datasets.gate("XOR")
    assert solves_many([cfg.seed], X, y, cfg.hidden, cfg.numpy_lr, cfg.numpy_epochs)[0]
    assert "sigmoid" in xor.hidden_units_caption(cfg)


def test_the_playground_default_solves_xor_for_several_seeds():
    """Guards PlaygroundConfig's hidden (4, 4), init xavier, lr 0.03: seeds 0-4 all reach 95% test accuracy."""
    cfg = PlaygroundConfig(n_seeds=5)
    assert cfg.dataset == "xor" and cfg.features == ("x1", "x2")
    pts = make_points(cfg)
    tr = new_trainer(cfg, pts)
    tr.run()
    assert (summary(tr).test_acc >= 0.95).all()
    assert loss_trouble(tr, cfg, pts) is None


def test_a_too_high_learning_rate_is_named():
    """lr 10 wrecks training (about 45-70% test accuracy): the page says so; a calm run says nothing."""
    cfg = PlaygroundConfig(lr=10.0, n_seeds=2)
    pts = make_points(cfg)
    tr = new_trainer(cfg, pts)
    tr.run()
    said = loss_trouble(tr, cfg, pts)
    assert (summary(tr).test_acc < 0.8).all()
    assert said is not None and "learning rate (10) is too high" in said


# ---- Activation Explorer ------------------------------------------------------------------------------


def test_shapes_notes_at_the_defaults():
    """Guards CurvesConfig's functions: every function reaching slope 1 is named; ReLU's flat side is not
    lumped with two-sided saturation."""
    notes = ex.curve_notes(ex.CurvesConfig())
    assert notes[0].startswith("Steepest: Tanh, ReLU and Leaky ReLU, slope up to 1; flattest: Sigmoid")
    assert any(n.startswith("Saturating on both sides in this range: Sigmoid and Tanh.") for n in notes)
    assert any("ReLU (flat on the left: slope exactly 0 for x < 0)" in n for n in notes)
    assert not any("Leaky ReLU (flat" in n for n in notes)


@pytest.fixture(scope="module")
def depth_default():
    cfg = ex.DepthConfig()
    return cfg, ex.run_depth(cfg)


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
    assert notes["init"].startswith("Each activation starts from the init designed for it")
    assert notes["grad"].startswith("At initialisation, with Sigmoid, layer 1 gets 1/")
    assert "(He (Kaiming) init is the one designed for ReLU)" in notes["hist:ReLU"]
    assert "1/1 " not in " ".join(notes.values())


def test_a_shared_init_gets_a_sentence_naming_the_cause():
    """With PyTorch's default init shared by all, the note names what it does to ReLU against He init."""
    res = ex.run_depth(ex.DepthConfig(init="default", functions=("relu", "sigmoid"), epochs=1))
    said = ex.depth_notes(res)["init"]
    assert said.startswith("With one shared init (PyTorch's default init)")
    assert "with ReLU, layer 1 gets 1/80 of layer 10's gradient (with He (Kaiming) init" in said
    assert "Sigmoid" not in said  # sigmoid vanishes with its own init too: the init is not the cause
    hist = ex.depth_notes(res)["hist:ReLU"]
    assert "with PyTorch's default init the signal shrinks to" in hist and "with He (Kaiming) init" in hist


def test_ratio_words_never_says_one_over_one():
    for r in np.linspace(0.5, 2.0, 61):
        assert ex.ratio_words(float(r)) not in ("1/1", "1x", "1.0x")
    assert ex.ratio_words(0.8) == ex.ratio_words(1.3) == "about the same"
