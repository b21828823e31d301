"""The Digit Recognizer's claims (core/digits/claims.py): each at the page's defaults on the 8x8 digits, and
each fed numbers on both sides of its condition (real runs where cheap, small fake histories otherwise)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core.digits import claims as dcl
from core.digits import jobs as digits
from core.digits import lessons
from tests.claimcheck import both_sides


@pytest.fixture(scope="module")
def overfit_runs():
    pairs = lessons.overfit_pairs(digits.default_config())
    (off, drop), _ = pairs["dropout"]
    (_, stop), _ = pairs["early stopping"]
    return (off, drop, stop), dcl.default_pairs()


@pytest.fixture(scope="module")
def default_run():
    return dcl.default_model()


def fake_run(train, val, *, best=None, patience=0, augment=0, dropout=0.0, train_acc=None, val_acc=None):
    """A result-shaped object with a loss (and accuracy) history, for the side the defaults do not show."""
    n = len(train)
    h = pd.DataFrame({"epoch": np.arange(1, n + 1), "train_eval_loss": train, "val_loss": val,
                      "train_acc": train_acc if train_acc is not None else np.linspace(0.5, 0.9, n),
                      "val_acc": val_acc if val_acc is not None else np.linspace(0.4, 0.8, n)})
    cfg = SimpleNamespace(patience=patience, augment=0.5 if augment else 0.0, augment_copies=augment, dropout=dropout)
    return SimpleNamespace(history=h, config=cfg, best_epoch=best or 0)


def pair_run(test_loss, test_acc, *, epochs=150, stopped=150, patience=0, dropout=0.0, train_loss=0.0, train_acc=1.0):
    """A result-shaped object for the comparison claims: final metrics and where it stopped."""
    cfg = SimpleNamespace(epochs=epochs, patience=patience, dropout=dropout)
    m = {"final_test_loss": test_loss, "final_test_acc": test_acc, "final_train_loss": train_loss,
         "final_train_acc": train_acc}
    return SimpleNamespace(config=cfg, metrics=m, stopped_epoch=stopped, best_epoch=max(stopped - 10, 1),
                           history=pd.DataFrame({"epoch": [epochs]}))


# ---- ① Train ------------------------------------------------------------------------------------


def test_curves_say_what_they_show(default_run):
    """At the defaults (2 augmented copies, dropout 0.2) the training loss sits above validation most of the run
    and crosses below it only in the last epochs after the kept epoch 34: the sentence says both. A run whose
    training loss stays above validation gets no "memorising"."""
    r = default_run
    with both_sides("digits.curves_show_memorising"):
        said = dcl.curves_after_best(r)
        assert said.holds and r.best_epoch == said.numbers["ref_epoch"] == 34
        assert said.numbers["train_last"] < said.numbers["train_at_ref"]
        assert said.numbers["train_last"] < said.numbers["val_last"]
        assert said.numbers["train_above_val_share"] > 0.5
        assert "only in the last 6 epochs" in said and "sat above the validation loss" in said
        above = fake_run(train=[1.0, 0.8, 0.6, 0.5, 0.45], val=[0.9, 0.5, 0.3, 0.35, 0.36], best=3, patience=2)
        said = dcl.curves_after_best(above)
        assert not said.holds and "memorising" in said and "show no memorising" in said
    stalled = fake_run(train=[1.0, 0.5, 0.6], val=[0.9, 0.4, 0.5])
    assert "did not fall either" in dcl.curves_after_best(stalled)
    still_falling = fake_run(train=[1.0, 0.5, 0.3], val=[0.9, 0.6, 0.4])
    assert dcl.curves_after_best(still_falling).startswith("The validation loss was at its lowest at the last epoch")
    classic = fake_run(train=[1.0, 0.5, 0.2, 0.1], val=[0.9, 0.6, 0.65, 0.8])
    said = dcl.curves_after_best(classic)
    assert said.holds and "only in the last" not in said and "sat above" not in said


def test_validation_above_training_is_explained_only_when_it_happens(default_run, overfit_runs):
    """The default model (2 augmented copies, dropout 0.2) reads its validation rows better than its augmented
    training rows for most epochs: the page says why. The plain run gets no such sentence."""
    _, (off, _, _) = overfit_runs
    with both_sides("digits.val_above_train"):
        said = dcl.val_above_train_sentence(default_run)
        share = float((default_run.history["val_acc"] > default_run.history["train_acc"]).mean())
        assert said.holds and "2 shifted, rotated" in said and f"{share:.0%} of the epochs" in said and share > 0.5
        assert (off.history["val_acc"] > off.history["train_acc"]).mean() < 0.5
        assert dcl.val_above_train_sentence(off) == ""
    plain_but_above = fake_run([1, 0.5], [0.9, 0.4], train_acc=[0.5, 0.6], val_acc=[0.7, 0.8])
    assert dcl.val_above_train_sentence(plain_but_above) == ""  # no augmentation, no dropout: nothing to explain


# ---- ④ Compare ----------------------------------------------------------------------------------


def test_dropout_narrows_the_generalisation_gap(overfit_runs):
    """Guards the comparison's dropout rate and CMP_EPOCHS: dropout narrows test-minus-training loss."""
    _, (off, drop, _) = overfit_runs
    assert lessons.loss_gap(drop) < lessons.loss_gap(off) - 0.02
    with both_sides("digits.dropout_narrows_gap"):
        assert " narrowed the gap between test and training loss" in dcl.dropout_verdict(off, drop)
        assert "did not narrow" in dcl.dropout_verdict(drop, off)


def test_dropout_did_better_on_unseen_digits_on_both_counts(overfit_runs):
    """At the defaults dropout lowers the test loss (0.139 -> 0.086) and gets 2 more of 360 test digits right."""
    _, (off, drop, _) = overfit_runs
    with both_sides("digits.dropout_better_unseen"):
        said = dcl.dropout_unseen_verdict(off, drop, 360)
        assert said.holds and "2 fewer of 360 test digits wrong" in said
        worse_acc = pair_run(0.08, 0.95)
        said = dcl.dropout_unseen_verdict(pair_run(0.14, 0.97), worse_acc, 360)
        assert not said.holds and "did not do better on both counts" in said and "7 more of 360" in said


def test_early_stopping_stops_before_its_budget_and_keeps_the_best_epoch(overfit_runs):
    """Guards CMP_EPOCHS (150): early stopping fires (epoch 67 of 150) and keeps epoch 57's weights,
    whose validation loss the kept weights reproduce. At the old 60 epochs it never fired."""
    (_, _, cfg_stop), (off, _, stop) = overfit_runs
    assert lessons.stopped_early(stop) and stop.stopped_epoch < cfg_stop.epochs == lessons.CMP_EPOCHS
    h = stop.history
    assert stop.best_epoch == int(h.loc[h["val_loss"].idxmin(), "epoch"]) < stop.stopped_epoch
    assert stop.stopped_epoch - stop.best_epoch == cfg_stop.patience
    data = digits.load_data(cfg_stop)
    assert lessons.kept_val_loss(stop, data) == pytest.approx(lessons.history_val_loss(stop, stop.best_epoch),
                                                               rel=1e-5)
    with both_sides("digits.early_stopping_fired"):
        said = dcl.early_stopping_verdict(off, stop)
        assert said.startswith(f"Early stopping stopped at epoch {stop.stopped_epoch} of 150")
        assert f"since epoch {stop.best_epoch}, whose weights it kept" in said
        pairs = lessons.overfit_pairs(digits.default_config(), epochs=40)
        off40, on40 = digits.compute(pairs["early stopping"][0])
        assert not lessons.stopped_early(on40)
        assert dcl.early_stopping_verdict(off40, on40).startswith("Early stopping did not trigger in 40 epochs")


def test_early_stopping_verdict_weighs_loss_and_accuracy(overfit_runs):
    """At the defaults the kept weights have the lower test loss (0.139 -> 0.131) but read 1 more of 360 test
    digits wrong (96.67% -> 96.39%): the verdict says both, never "better" from the loss alone."""
    _, (off, _, stop) = overfit_runs
    with both_sides("digits.early_stopping_kept_quality"):
        said = dcl.early_stopping_unseen_verdict(off, stop, 360)
        assert not said.holds
        assert "test loss 0.139 → 0.131 (lower)" in said and "96.7% → 96.4%, 1 more of 360 test digits wrong" in said
        assert "the loss fell but the accuracy did not rise" in said
        good = pair_run(0.10, 0.97, stopped=60, patience=10)
        said = dcl.early_stopping_unseen_verdict(pair_run(0.14, 0.96), good, 360)
        assert said.holds and "better on both counts" in said
    unfired = pair_run(0.10, 0.97, stopped=150, patience=10)
    assert dcl.early_stopping_unseen_verdict(pair_run(0.14, 0.96), unfired, 360) == ""
    worse = pair_run(0.20, 0.90, stopped=60, patience=10)
    assert "did worse" in dcl.early_stopping_unseen_verdict(pair_run(0.14, 0.96), worse, 360)


def test_the_tutorials_mlpclassifier_gives_96_7_and_scaling_helps():
    """The tutorial's exact code (raw 0-16 pixels) gives 96.7%; divided by 16, 98.1%."""
    pair = dcl.default_sklearn_pair()
    assert pair["test accuracy"].tolist() == [0.967, 0.981]
    with both_sides("digits.scaling_helps"):
        said = dcl.scaling_sentence(pair)
        assert said.startswith("The tutorial's code gives 96.7%") and "98.1%" in said and "unit size" in said
        flipped = pair.iloc[::-1].reset_index(drop=True)
        assert dcl.scaling_sentence(flipped).endswith("here scaling did not help.")


# ---- ③ Read my digits ---------------------------------------------------------------------------


def test_reads_handwriting_verdict_follows_the_model():
    with both_sides("digits.reads_handwriting"):
        said = dcl.reads_handwriting_verdict(digits.default_config("mnist"), 0.985)
        assert said.holds and "reads real handwriting well" in said
        said = dcl.reads_handwriting_verdict(digits.default_config("digits"), 0.99)
        assert not said.holds and "switch to the MNIST model" in said
    small = dcl.reads_handwriting_verdict(digits.default_config("mnist").replace(train_limit=2000), 0.91)
    assert not small.holds and "only 2,000 training digits" in small and "91.0%" in small


def test_not_a_digit_flag_speaks_only_above_a_threshold():
    with both_sides("digits.not_digit_like"):
        said = dcl._first_test_digit_flag()  # a real test digit at the defaults: near its training images
        assert not said.holds and said == ""
        said = dcl.not_digit_like_verdict("x.png", {"hidden": np.array([0.3]), "pixel": np.array([0.01])},
                                          {"hidden": 0.08, "pixel": 0.1}, 0.98, 0.71)
        assert said.holds and "hidden space 0.300 (threshold 0.080)" in said and "pixel space" not in said
        assert "its 71% means little" in said


def test_a_reading_is_called_unsure_only_below_60_percent():
    with both_sides("digits.reading_unsure"):
        assert dcl._first_test_digit_reading() == ""  # the default model is sure of a real test digit
        p = np.full(10, 0.02)
        p[[3, 5]] = [0.5, 0.34]
        said = dcl.unsure_verdict(p)
        assert said.holds and "3 gets only 50% and 5 34%" in said


# ---- ④ Compare: the MLP against the CNN ---------------------------------------------------------------

@pytest.fixture(scope="module")
def model_pair_runs():
    return dcl.default_model_pair()


def with_numbers(r, acc=None, seconds=None, config=None):
    """A copy of a real result with its test accuracy, training seconds or config replaced (the other side)."""
    import dataclasses
    metrics = dict(r.metrics) if acc is None else {**r.metrics, "final_test_acc": acc}
    return dataclasses.replace(r, metrics=metrics, seconds=r.seconds if seconds is None else seconds,
                               config=r.config if config is None else config)


def test_cnn_reads_better_at_the_defaults_and_not_when_its_accuracy_is_lower_or_its_size_is_not_similar(
        model_pair_runs):
    mlp, cnn = model_pair_runs
    assert type(cnn.config).__name__ == "DigitsCnn" and cnn.config.channels == (8, 16)
    with both_sides("digits.cnn_reads_better"):
        s = dcl.cnn_vs_mlp_verdict(mlp, cnn, 360)
        assert s.holds and s.numbers["params_cnn"] == 13_034 and s.numbers["params_mlp"] == 12_060
        assert f"{s.numbers['acc_cnn']:.1%}" in s and "similar size" in s
        acc_mlp = s.numbers["acc_mlp"]
        lower = dcl.cnn_vs_mlp_verdict(mlp, with_numbers(cnn, acc=acc_mlp - 1 / 360), 360)
        assert not lower.holds and "do not read more" in lower
        level = dcl.cnn_vs_mlp_verdict(mlp, with_numbers(cnn, acc=acc_mlp), 360)  # a tie is not better
        assert not level.holds
        wide = with_numbers(cnn, config=cnn.config.replace(channels=(32, 64)))  # 76,778 parameters: not similar
        far = dcl.cnn_vs_mlp_verdict(mlp, wide, 360)
        assert not far.holds and "not of a similar size" in far


def test_cnn_costs_time_when_it_trained_longer_and_says_so_when_it_did_not(model_pair_runs):
    mlp, cnn = model_pair_runs
    with both_sides("digits.cnn_costs_time"):
        slow = dcl.cnn_time_verdict(with_numbers(mlp, seconds=1.0), with_numbers(cnn, seconds=4.0))
        assert slow.holds and "took 4.0 s" in slow and "the MLP 1.0 s" in slow
        quick = dcl.cnn_time_verdict(with_numbers(mlp, seconds=4.0), with_numbers(cnn, seconds=4.0))
        assert not quick.holds and "no longer than the MLP's 4.0 s" in quick
