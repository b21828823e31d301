"""Claim tests: each page's default job, run small and seeded, teaches what the page says it does.

A default that flips a lesson fails here. Each test names the default whose change it guards (see
the note at each test); every verdict sentence is checked to appear only when its run shows it.
"""

import numpy as np
import pytest

from core import explorer as ex
from core.digits import jobs as digits
from core.digits import lessons

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


# ---- Digit Recognizer -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def overfit_runs():
    pairs = lessons.overfit_pairs(digits.default_config())
    (off, drop), _ = pairs["dropout"]
    (_, stop), _ = pairs["early stopping"]
    return (off, drop, stop), digits.compute([off, drop, stop])


def test_dropout_narrows_the_generalisation_gap(overfit_runs):
    """Guards the comparison's dropout rate and CMP_EPOCHS: dropout narrows test-minus-training loss."""
    _, (off, drop, _) = overfit_runs
    assert lessons.loss_gap(drop) < lessons.loss_gap(off) - 0.02
    assert " narrowed the gap between test and training loss" in lessons.dropout_verdict(off, drop)
    assert "did not narrow" in lessons.dropout_verdict(drop, off)


def test_early_stopping_stops_before_its_budget_and_keeps_the_best_epoch(overfit_runs):
    """Guards CMP_EPOCHS (150): early stopping fires (epoch 67 of 150) and keeps epoch 57's weights,
    whose validation loss the kept weights reproduce. At the old 60 epochs it never fired."""
    (cfg_off, _, cfg_stop), (off, _, stop) = overfit_runs
    assert lessons.stopped_early(stop) and stop.stopped_epoch < cfg_stop.epochs == lessons.CMP_EPOCHS
    h = stop.history
    assert stop.best_epoch == int(h.loc[h["val_loss"].idxmin(), "epoch"]) < stop.stopped_epoch
    assert stop.stopped_epoch - stop.best_epoch == cfg_stop.patience
    data = digits.load_data(cfg_stop)
    assert lessons.kept_val_loss(stop, data) == pytest.approx(lessons.history_val_loss(stop, stop.best_epoch),
                                                               rel=1e-5)
    said = lessons.early_stopping_verdict(off, stop)
    assert said.startswith(f"Early stopping stopped at epoch {stop.stopped_epoch} of 150")
    assert f"since epoch {stop.best_epoch}, whose weights it kept" in said


def test_early_stopping_that_did_not_fire_says_so():
    pairs = lessons.overfit_pairs(digits.default_config(), epochs=40)
    off, on = digits.compute(pairs["early stopping"][0])
    assert not lessons.stopped_early(on)
    assert lessons.early_stopping_verdict(off, on).startswith("Early stopping did not trigger in 40 epochs")


def test_validation_above_training_is_explained_only_when_it_happens(overfit_runs):
    """The default model (2 augmented copies, dropout 0.2) reads its validation rows better than its
    augmented training rows for most epochs: the page says why. The plain run gets no such sentence."""
    cfg = digits.default_config()
    r = digits.compute([cfg])[0]
    h = r.history
    said = lessons.val_above_train_sentence(r)
    if (h["val_acc"] > h["train_acc"]).mean() >= 0.5:
        assert said is not None and "2 shifted, rotated" in said
    else:
        assert said is None
    _, (off, _, _) = overfit_runs
    assert (off.history["val_acc"] > off.history["train_acc"]).mean() < 0.5
    assert lessons.val_above_train_sentence(off) is None


def test_the_tutorials_mlpclassifier_gives_96_7_and_scaling_helps():
    """The tutorial's exact code (raw 0-16 pixels) gives 96.7%; divided by 16, 98.1%."""
    pair = lessons.sklearn_pair()
    assert pair["test accuracy"].tolist() == [0.967, 0.981]
    said = lessons.scaling_sentence(pair)
    assert said.startswith("The tutorial's code gives 96.7%") and "98.1%" in said and "unit size" in said
    flipped = pair.iloc[::-1].reset_index(drop=True)
    assert lessons.scaling_sentence(flipped).endswith("here scaling did not help.")
