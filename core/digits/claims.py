"""The Digit Recognizer's claims: every lesson and verdict the page states, each a function of the run it
describes (see :mod:`core.claims`). ``defaults`` runs what the page runs at its defaults on the built-in
8x8 digits (no MNIST download): the default model, the dropout and early-stopping pairs at
:data:`core.digits.lessons.CMP_EPOCHS`, and the tutorial's scikit-learn pair.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from core.claims import Said, claim, said
from core.digits import jobs
from core.digits.lessons import CMP_EPOCHS, at_epoch, loss_gap, overfit_pairs, sklearn_pair, stopped_early
from core.digits.metrics import epochs_run, model_pair, pair_frame
from core.digits.reading import ADVICE, advice, kept_metrics
from core.engine import TrainResult

PAGE = "Digit Recognizer"
TRAIN, READ, COMPARE = "① Train", "③ Read my digits", "④ Compare"


# ---- the page's default runs (seeded, a few seconds on the 8x8 digits) ----------------------------

@lru_cache(maxsize=1)
def default_model() -> TrainResult:
    """The ① Train tab's model at the page's defaults (8x8 digits)."""
    return jobs.compute([jobs.default_config("digits")])[0]


@lru_cache(maxsize=1)
def default_pairs() -> tuple[TrainResult, TrainResult, TrainResult]:
    """The ④ Compare tab's runs at the defaults: (off, dropout on, early stopping on), CMP_EPOCHS epochs."""
    pairs = overfit_pairs(jobs.default_config("digits"), CMP_EPOCHS)
    (off, drop), _ = pairs["dropout"]
    (_, stop), _ = pairs["early stopping"]
    return tuple(jobs.compute([off, drop, stop]))  # type: ignore[return-value]


@lru_cache(maxsize=1)
def default_sklearn_pair() -> pd.DataFrame:
    """The tutorial's MLPClassifier on raw and on scaled 8x8 pixels."""
    return sklearn_pair()


DIGITS_TEST_ROWS = 360  # the tutorial's split of the 1,797 8x8 digits: test_size=0.2


# ---- ① Train: what the curves show --------------------------------------------------------------

def _loss_curves(result: TrainResult) -> pd.DataFrame:
    """epoch, train, val: the loss curves the page draws (training rows evaluated with dropout off)."""
    h = result.history
    tcol = "train_eval_loss" if "train_eval_loss" in h else "train_loss"
    if "val_loss" not in h:
        return pd.DataFrame(columns=["epoch", "train", "val"])
    d = h[["epoch", tcol, "val_loss"]].dropna()
    return pd.DataFrame({"epoch": d["epoch"].astype(int).to_numpy(), "train": d[tcol].to_numpy(float),
                         "val": d["val_loss"].to_numpy(float)})


@claim("digits.curves_show_memorising", page=PAGE, tab=TRAIN,
       condition="after the epoch of lowest validation loss the training loss fell, the validation loss did not, "
                 "and the training loss ended below the validation loss",
       defaults=lambda: curves_after_best(default_model()))
def curves_after_best(result: TrainResult) -> Said:
    """What the loss curves did after the epoch of lowest validation loss (the kept epoch under early
    stopping): the memorising picture only when the numbers draw it, else what they show."""
    d = _loss_curves(result)
    if len(d) < 2:
        return said(False, "", "")
    patience = getattr(result.config, "patience", 0)
    ref = int(result.best_epoch) if patience and result.best_epoch in set(d["epoch"]) else \
        int(d.loc[d["val"].idxmin(), "epoch"])
    at, last = d[d["epoch"] == ref].iloc[0], d.iloc[-1]
    a, b, c, v = float(at["train"]), float(last["train"]), float(at["val"]), float(last["val"])
    e_last = int(last["epoch"])
    above = float((d["train"] > d["val"]).mean())
    below = d["train"] < d["val"]
    tail = 0  # the last epochs in a row with training below validation
    for x in below[::-1]:
        if not x:
            break
        tail += 1
    nums: dict[str, Any] = dict(ref_epoch=ref, last_epoch=e_last, train_at_ref=a, train_last=b, val_at_ref=c,
                                val_last=v, train_above_val_share=above)
    holds = b < a and v >= c and b < v
    if ref >= e_last:
        return said(False, "", f"The validation loss was at its lowest at the last epoch ({c:.3f}): no sign of "
                               f"memorising in {e_last} epochs.", **nums)
    start = f"After epoch {ref}, where the validation loss was lowest ({c:.3f}), the training loss "
    before = (f" For most of the run ({above:.0%} of the epochs) the training loss sat above the validation loss: "
              "the training rows were harder for it than the validation rows." if above >= 0.5 else "")
    if holds:
        when = (f"only in the last {tail} epoch{'s' * (tail != 1)}" if above >= 0.5 else "")
        when = " " + when if when else ""
        return said(True, start + f"kept falling ({a:.3f} → {b:.3f}) while the validation loss did not ({v:.3f} at "
                    f"epoch {e_last}), and the training curve ended below the validation curve{when}: "
                    "the network began to fit its training rows better than digits it never trains on, the start of "
                    "memorising." + before, "", **nums)
    if b >= a:
        rest = f"did not fall either ({a:.3f} → {b:.3f}; validation {v:.3f} at epoch {e_last}): training had stalled."
    elif v < c:
        rest = f"fell ({a:.3f} → {b:.3f}) and so did the validation loss ({v:.3f} at epoch {e_last})."
    else:
        rest = (f"kept falling ({a:.3f} → {b:.3f}) while the validation loss did not ({v:.3f} at epoch {e_last}), "
                f"but the training loss stayed above the validation loss ({above:.0%} of the epochs): the loss curves "
                "show no memorising; the training rows were harder for it than the validation rows.")
    return said(False, "", start + rest, **nums)


@claim("digits.val_above_train", page=PAGE, tab=TRAIN,
       condition="validation accuracy above training accuracy in >= 50% of the epochs, with augmentation or dropout on",
       defaults=lambda: val_above_train_sentence(default_model()))
def val_above_train_sentence(result: TrainResult) -> Said:
    """Why validation accuracy sits above training accuracy, when it does for most of a run and augmentation
    or dropout is on ('' otherwise)."""
    c = result.config
    h = result.history.dropna(subset=["train_acc", "val_acc"]) if "val_acc" in result.history else pd.DataFrame()
    above = float((h["val_acc"] > h["train_acc"]).mean()) if len(h) else 0.0
    aug = getattr(c, "augment", 0) > 0 and getattr(c, "augment_copies", 0) > 0
    holds = above >= 0.5 and (aug or c.dropout > 0)
    if not holds:
        return said(False, "", "", val_above_share=above, augment=aug, dropout=float(c.dropout))
    causes = []
    if aug:
        causes.append(f"the training rows include {c.augment_copies} shifted, rotated and re-stroked copies of "
                      "each image, harder to read than the plain validation images")
    if c.dropout > 0:
        causes.append(f"dropout (switching off {c.dropout:.0%} of the hidden units at random, only while training) "
                      "keeps the network from fitting its training rows as tightly as it could")
    return said(True, f"Validation accuracy is above training accuracy in {above:.0%} of the epochs. That is not the "
                "overfitting picture turned upside down: " + "; and ".join(causes) + ". Turn augmentation and "
                "dropout off to see the usual picture, training above validation.", "",
                val_above_share=above, augment=aug, dropout=float(c.dropout))


# ---- ④ Compare: dropout and early stopping, off vs on --------------------------------------------

def _unseen(off: TrainResult, on: TrainResult, n_test: int) -> tuple[bool, str, dict[str, Any]]:
    """(lower test loss and no lower test accuracy, the numbers in words, the numbers) for a pair."""
    l0, l1 = float(off.metrics["final_test_loss"]), float(on.metrics["final_test_loss"])
    a0, a1 = float(off.metrics["final_test_acc"]), float(on.metrics["final_test_acc"])
    w0, w1 = round((1 - a0) * n_test), round((1 - a1) * n_test)
    better = l1 < l0 and w1 <= w0
    acc = (f"test accuracy {a0:.1%} → {a1:.1%}, " +
           (f"{w1 - w0} more of {n_test:,} test digits wrong" if w1 > w0 else
            f"{w0 - w1} fewer of {n_test:,} test digits wrong" if w1 < w0 else f"the same {w0} of {n_test:,} wrong"))
    words = f"test loss {l0:.3f} → {l1:.3f} ({'lower' if l1 < l0 else 'not lower'}), {acc}"
    return better, words, dict(test_loss_off=l0, test_loss_on=l1, test_acc_off=a0, test_acc_on=a1,
                               wrong_off=w0, wrong_on=w1, n_test=n_test)


@claim("digits.dropout_narrows_gap", page=PAGE, tab=COMPARE,
       condition="test-minus-training loss gap with dropout < without",
       defaults=lambda: dropout_verdict(*default_pairs()[:2]))
def dropout_verdict(off: TrainResult, on: TrainResult) -> Said:
    """Whether dropout narrowed the gap between test and training loss in these two runs."""
    g0, g1 = loss_gap(off), loss_gap(on)
    a0 = float(off.metrics["final_train_acc"] - off.metrics["final_test_acc"])
    a1 = float(on.metrics["final_train_acc"] - on.metrics["final_test_acc"])
    e, rate = int(at_epoch(off)["epoch"]), on.config.dropout
    acc = f" (accuracy gap {a0 * 100:.1f} → {a1 * 100:.1f} points)."
    return said(g1 < g0,
                f"After {e} epochs, dropout {rate:g} narrowed the gap between test and training loss from {g0:.3f} "
                f"to {g1:.3f}: the network memorised its training rows less" + acc,
                f"After {e} epochs, dropout {rate:g} did not narrow the gap between test and training loss "
                f"({g0:.3f} → {g1:.3f})" + acc, gap_off=g0, gap_on=g1)


@claim("digits.dropout_better_unseen", page=PAGE, tab=COMPARE,
       condition="with dropout: test loss lower and no more test digits wrong",
       defaults=lambda: dropout_unseen_verdict(*default_pairs()[:2], DIGITS_TEST_ROWS))
def dropout_unseen_verdict(off: TrainResult, on: TrainResult, n_test: int) -> Said:
    """Whether dropout did better on the test digits, weighing both the loss and the accuracy."""
    better, words, nums = _unseen(off, on, n_test)
    return said(better, f"On digits it never saw, dropout did better: {words}.",
                f"On digits it never saw, dropout did not do better on both counts: {words}.", **nums)


@claim("digits.early_stopping_fired", page=PAGE, tab=COMPARE,
       condition="early stopping ended the run before its epoch budget",
       defaults=lambda: early_stopping_verdict(default_pairs()[0], default_pairs()[2]))
def early_stopping_verdict(off: TrainResult, on: TrainResult) -> Said:
    """Where early stopping stopped and which epoch it kept, or that it never fired."""
    budget, pat = on.config.epochs, on.config.patience
    nums = dict(stopped_epoch=int(on.stopped_epoch or budget), budget=int(budget), best_epoch=int(on.best_epoch or 0))
    return said(stopped_early(on),
                f"Early stopping stopped at epoch {on.stopped_epoch} of {budget}: the validation loss had not improved "
                f"for {pat} epochs since epoch {on.best_epoch}, whose weights it kept, in "
                f"{on.stopped_epoch / budget:.0%} of the training time.",
                f"Early stopping did not trigger in {budget} epochs: the validation loss was lowest at epoch "
                f"{on.best_epoch}, less than {pat} epochs before the end, so both runs trained all {budget} epochs "
                "and the comparison shows nothing of it. Give the runs more epochs to see it act.", **nums)


@claim("digits.early_stopping_kept_quality", page=PAGE, tab=COMPARE,
       condition="early stopping fired and its kept weights have a lower test loss and no more test digits wrong",
       defaults=lambda: early_stopping_unseen_verdict(default_pairs()[0], default_pairs()[2], DIGITS_TEST_ROWS))
def early_stopping_unseen_verdict(off: TrainResult, on: TrainResult, n_test: int) -> Said:
    """What the kept weights do on the test digits against all the epochs: loss and accuracy weighed together."""
    if not stopped_early(on):
        return said(False, "", "", stopped_early=False)
    better, words, nums = _unseen(off, on, n_test)
    budget = on.config.epochs
    head = f"On the test digits, the kept weights against all {budget} epochs: {words}"
    if better:
        return said(True, head + ": as good or better on both counts, for less training.", "", **nums)
    mixed = nums["test_loss_on"] < nums["test_loss_off"]
    tail = (": the loss fell but the accuracy did not rise with it (a lower loss is not always more right "
            "answers)." if mixed else ": the kept weights did worse on the test digits here.")
    return said(False, "", head + tail, **nums)


# ---- ④ Compare: the tutorial's scikit-learn code, raw and scaled ------------------------------------

@claim("digits.scaling_helps", page=PAGE, tab=COMPARE,
       condition="the tutorial's MLPClassifier scores higher on pixels divided by 16 than on raw 0-16 pixels",
       defaults=lambda: scaling_sentence(default_sklearn_pair()))
def scaling_sentence(pair: pd.DataFrame) -> Said:
    """What scaling the pixels did to the tutorial's MLPClassifier (from lessons.sklearn_pair)."""
    raw, scaled = pair.iloc[0], pair.iloc[1]
    a, b = float(raw["test accuracy"]), float(scaled["test accuracy"])
    s = (f"The tutorial's code gives {a:.1%} on the 8x8 digits' raw pixels (0-16); the same MLPClassifier on "
         f"pixels divided by 16 gives {b:.1%}")
    n = int(raw["test digits"])
    wrong_a, wrong_b = round((1 - a) * n), round((1 - b) * n)
    return said(b > a, s + (f" ({wrong_a} vs {wrong_b} of {n} test digits wrong, in {int(raw['iterations'])} vs "
                            f"{int(scaled['iterations'])} iterations). Neural networks learn best from inputs of about "
                            "unit size: large raw values make the first layer's pre-activations, and the steps Adam "
                            "takes on them, badly scaled."),
                s + (": here scaling did not help." if b < a else ": the same here."), acc_raw=a, acc_scaled=b)


# ---- ④ Compare: the MLP against the CNN -------------------------------------------------------------

@lru_cache(maxsize=1)
def default_model_pair() -> tuple[TrainResult, TrainResult]:
    """The ④ Compare tab's MLP and CNN at the defaults (8x8 digits): the default MLP, the default CNN."""
    mlp, cnn = model_pair(jobs.default_config("digits"))
    return default_model(), jobs.compute([cnn])[0]


@claim("digits.cnn_reads_better", page=PAGE, tab=COMPARE,
       condition="the CNN's test accuracy above the MLP's, their parameter counts within a factor 1.5",
       defaults=lambda: cnn_vs_mlp_verdict(*default_model_pair(), DIGITS_TEST_ROWS))
def cnn_vs_mlp_verdict(mlp: TrainResult, cnn: TrainResult, n_test: int) -> Said:
    """Whether the CNN read more test digits right than an MLP of about its size, trained the same way."""
    t = pair_frame(mlp, cnn, n_test)
    (pm, am, wm), (pc, ac, wc) = (t.loc[i, ["parameters", "test accuracy", "wrong"]] for i in (0, 1))
    similar = max(pm, pc) <= 1.5 * min(pm, pc)
    size = f"{int(pc):,} parameters against the MLP's {int(pm):,}"
    nums = dict(acc_mlp=float(am), acc_cnn=float(ac), params_mlp=int(pm), params_cnn=int(pc), n_test=n_test)
    if not similar:
        return said(False, "", f"The CNN reads {ac:.1%} of the test digits, the MLP {am:.1%}, but at {size} the two "
                    "are not of a similar size, so this says little about convolutions.", **nums)
    return said(ac > am,
                f"At a similar size ({size}), the CNN reads {ac:.1%} of the {n_test:,} test digits against the "
                f"MLP's {am:.1%} ({int(wc)} wrong against {int(wm)}): its filters look for the same stroke "
                "anywhere in the image, where each of the MLP's units watches fixed pixels.",
                f"At a similar size ({size}), the CNN reads {ac:.1%} of the {n_test:,} test digits and the MLP "
                f"{am:.1%} ({int(wc)} wrong against {int(wm)}): on this run the convolutions do not read more.",
                **nums)


@claim("digits.cnn_costs_time", page=PAGE, tab=COMPARE,
       condition="the CNN's training took longer than the MLP's",
       defaults=lambda: cnn_time_verdict(*default_model_pair()))
def cnn_time_verdict(mlp: TrainResult, cnn: TrainResult) -> Said:
    """Which model took longer to train, and by how much (seconds as each run measured them)."""
    sm, sc = float(mlp.seconds), float(cnn.seconds)
    em, ec = epochs_run(mlp), epochs_run(cnn)
    per = (sc / max(ec, 1)) / max(sm / max(em, 1), 1e-9)
    nums = dict(seconds_mlp=sm, seconds_cnn=sc, per_epoch_ratio=per)
    return said(sc > sm,
                f"The CNN took {sc:.1f} s to train ({ec} epochs), the MLP {sm:.1f} s ({em} epochs): an epoch of the "
                f"CNN cost {per:.1f} times the MLP's, as every filter slides over every position of every image.",
                f"The CNN trained in {sc:.1f} s ({ec} epochs), no longer than the MLP's {sm:.1f} s ({em} epochs).",
                **nums)


# ---- ③ Read my digits -------------------------------------------------------------------------------

@claim("digits.reads_handwriting", page=PAGE, tab=READ,
       condition="an MNIST model with augmented copies, >= 20,000 training digits and test accuracy >= 97%",
       defaults=lambda: reads_handwriting_verdict(jobs.default_config("digits"),
                                                  kept_metrics(default_model())["test_acc"]))
def reads_handwriting_verdict(config: Any, test_acc: float | None = None) -> Said:
    """Whether a model reads real handwriting well, and why (core.digits.reading.advice)."""
    good, why = advice(config, test_acc)
    return said(good, why, why, dataset=config.dataset, augment_copies=int(config.augment_copies),
                train_limit=int(config.train_limit), test_acc=float("nan") if test_acc is None else float(test_acc))


UNSURE = 0.6  # a reading whose top probability is below this is called unsure


def _first_test_digit_reading() -> Said:
    """How sure the default model is of the first 8x8 test digit (the page reads no image at its defaults)."""
    _, _, Xte, _ = jobs.raw_arrays("digits")
    return unsure_verdict(jobs.predict(default_model(), Xte[:1])[0])


@claim("digits.reading_unsure", page=PAGE, tab=READ, condition="the reading's top probability < 60%",
       defaults=_first_test_digit_reading)
def unsure_verdict(probs: np.ndarray) -> Said:
    """Whether one reading is unsure: its top digit gets less than UNSURE of the probability."""
    p = np.asarray(probs, float)
    top = int(p.argmax())
    second = int(np.argsort(p)[-2])
    return said(float(p[top]) < UNSURE, f":orange[Unsure: {top} gets only {p[top]:.0%} and {second} {p[second]:.0%}; "
                "the model spreads its bet (see the bars).]", "", top=float(p[top]), second=float(p[second]))


def _first_test_digit_flag() -> Said:
    """The flag on the first 8x8 test digit with the default model (the page reads no image at its defaults)."""
    from core.digits import novelty as nv
    model = default_model()
    Xtr, _, Xte, _ = jobs.raw_arrays("digits")
    flag = nv.fit(model, Xtr)
    return not_digit_like_verdict("test digit 0", flag.scores(model, Xte[:1]), flag.thresholds, flag.quantile,
                                  float(jobs.predict(model, Xte[:1])[0].max()))


@claim("digits.not_digit_like", page=PAGE, tab=READ,
       condition="the image's nearest training image is farther than the threshold in either space",
       defaults=_first_test_digit_flag)
def not_digit_like_verdict(name: str, scores: dict[str, np.ndarray], thresholds: dict[str, float],
                           quantile: float, confidence: float) -> Said:
    """The not-a-digit flag for one image: its distances to the nearest training image against the thresholds."""
    far = [f"{s} space {float(v[0]):.3f} (threshold {thresholds[s]:.3f})" for s, v in scores.items()
           if float(v[0]) > thresholds[s]]
    nums = {f"{s}_distance": float(v[0]) for s, v in scores.items()} | {
        f"{s}_threshold": float(t) for s, t in thresholds.items()}
    return said(bool(far), f"**{name} does not look like a digit the model learned from**: its nearest training image "
                f"is farther than for {quantile:.0%} of the training digits ({'; '.join(far)}; cosine distance). The "
                f"model still has to answer one of 0-9, so its {confidence:.0%} means little here.", "", **nums)


__all__ = ["ADVICE", "UNSURE", "curves_after_best", "default_model", "default_pairs", "dropout_unseen_verdict",
           "dropout_verdict", "early_stopping_unseen_verdict", "early_stopping_verdict", "not_digit_like_verdict",
           "reads_handwriting_verdict", "scaling_sentence", "unsure_verdict", "val_above_train_sentence"]
