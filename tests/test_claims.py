"""Claim tests: each page's default job, run small and seeded, teaches what the page says it does.

A default that flips a lesson fails here. Each test names the default whose change it guards (see
the note at each test); every verdict sentence is checked to appear only when its run shows it.
"""

import numpy as np
import pytest

from core import explorer as ex

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
