"""The Digit Recognizer's lessons: the tutorial's scikit-learn baseline beside the scaled run, the
dropout and early-stopping comparisons, and the sentences that say what each run showed.

Every sentence is computed from the run it describes and returned only when it holds.
"""

from __future__ import annotations

import pandas as pd
import torch

from core.datasets import Dataset
from core.digits.jobs import DigitsConfig, sklearn_baseline
from core.digits.metrics import regulariser_pairs
from core.engine import TrainResult

#: epochs of the comparison runs: past where early stopping fires on the 8x8 digits at the default
#: settings (patience 10: it stops at epoch 67, best epoch 57; seed 0), so the default shows it acting
CMP_EPOCHS = 150


# ---- scikit-learn: the tutorial's code, and the same with scaled pixels ---------------------------

def sklearn_pair() -> pd.DataFrame:
    """The tutorial's MLPClassifier on the 8x8 digits twice: raw 0-16 pixels (its exact code) and pixels
    scaled to [0, 1] (what NN Lab trains on). Columns: run, pixels, test accuracy (3 decimals), iterations,
    test digits, seconds."""
    rows = []
    for raw, name in ((True, "the tutorial's code (raw pixels 0-16)"), (False, "the same, pixels scaled to 0-1")):
        r = sklearn_baseline("digits", raw=raw)
        rows.append({"run": name, "pixels": r["pixels"], "test accuracy": round(r["acc"], 3),
                     "iterations": r["n_iter"], "test digits": r["n_test"], "seconds": r["seconds"]})
    return pd.DataFrame(rows)


def scaling_sentence(pair: pd.DataFrame) -> str:
    """What scaling the pixels did to the tutorial's MLPClassifier (from sklearn_pair)."""
    raw, scaled = pair.iloc[0], pair.iloc[1]
    a, b = float(raw["test accuracy"]), float(scaled["test accuracy"])
    s = (f"The tutorial's code gives {a:.1%} on the 8x8 digits' raw pixels (0-16); the same MLPClassifier on "
         f"pixels divided by 16 gives {b:.1%}")
    if b > a:
        n = int(raw["test digits"])
        wrong_a, wrong_b = round((1 - a) * n), round((1 - b) * n)
        return s + (f" ({wrong_a} vs {wrong_b} of {n} test digits wrong, in {int(raw['iterations'])} vs "
                    f"{int(scaled['iterations'])} iterations). Neural networks learn best from inputs of about "
                    "unit size: large raw values make the first layer's pre-activations, and the steps Adam "
                    "takes on them, badly scaled.")
    if b < a:
        return s + ": here scaling did not help."
    return s + ": the same here."


# ---- dropout and early stopping: off vs on -------------------------------------------------------

def overfit_pairs(cfg: DigitsConfig, epochs: int = CMP_EPOCHS) -> dict[str, tuple[list[DigitsConfig], list[str]]]:
    """The page's two pairs (:func:`core.digits.metrics.regulariser_pairs`) by name:
    {"dropout": ([off, on], names), "early stopping": ([off, on], names)}."""
    _, pairs = regulariser_pairs(cfg, epochs)
    return {p.what: (list(p.configs), list(p.names)) for p in pairs}


def _at(result: TrainResult, epoch: int | None = None) -> pd.Series:
    """The history row of an epoch (default: the last)."""
    h = result.history
    row = h[h["epoch"] == epoch] if epoch else h.tail(1)
    return (row if len(row) else h.tail(1)).iloc[-1]


def loss_gap(result: TrainResult) -> float:
    """Test loss minus training loss of the weights a run ended with (both with dropout off): how much
    worse the network does on digits it never trained on. (The 144 validation rows alone are too few to
    show it steadily: at 150 epochs their gap moved 0.111 -> 0.109 with dropout 0.2 on seed 0, while the
    360 test rows' moved 0.139 -> 0.086.)"""
    return float(result.metrics["final_test_loss"] - result.metrics["final_train_loss"])


def dropout_verdict(off: TrainResult, on: TrainResult) -> str:
    """Whether dropout narrowed the gap between test and training loss in these two runs."""
    g0, g1 = loss_gap(off), loss_gap(on)
    a0 = float(off.metrics["final_train_acc"] - off.metrics["final_test_acc"])
    a1 = float(on.metrics["final_train_acc"] - on.metrics["final_test_acc"])
    e, rate = int(_at(off)["epoch"]), on.config.dropout
    if g1 < g0:
        s = (f"After {e} epochs, dropout {rate:g} narrowed the gap between test and training loss from {g0:.3f} "
             f"to {g1:.3f}: the network memorised its training rows less")
        if on.metrics["final_test_loss"] < off.metrics["final_test_loss"]:
            s += " and did better on digits it never saw"
    else:
        s = (f"After {e} epochs, dropout {rate:g} did not narrow the gap between test and training loss "
             f"({g0:.3f} → {g1:.3f})")
    return s + f" (accuracy gap {a0 * 100:.1f} → {a1 * 100:.1f} points)."


def stopped_early(result: TrainResult) -> bool:
    """Whether early stopping ended the run before its epoch budget."""
    return bool(getattr(result.config, "patience", 0)) and result.stopped_epoch < result.config.epochs


def early_stopping_verdict(off: TrainResult, on: TrainResult) -> str:
    """What early stopping did in this pair: where it stopped and which epoch it kept, or that it never fired."""
    budget, pat = on.config.epochs, on.config.patience
    t0, t1 = float(off.metrics["final_test_loss"]), float(on.metrics["final_test_loss"])
    if not stopped_early(on):
        return (f"Early stopping did not trigger in {budget} epochs: the validation loss was lowest at epoch "
                f"{on.best_epoch}, less than {pat} epochs before the end, so both runs trained all {budget} epochs "
                "and the comparison shows nothing of it. Give the runs more epochs to see it act.")
    return (f"Early stopping stopped at epoch {on.stopped_epoch} of {budget}: the validation loss had not improved "
            f"for {pat} epochs since epoch {on.best_epoch}, whose weights it kept. Test loss {t0:.3f} after all "
            f"{budget} epochs → {t1:.3f} with the kept weights ({'lower' if t1 < t0 else 'not lower'}), in "
            f"{on.stopped_epoch / budget:.0%} of the training time.")


def val_above_train_sentence(result: TrainResult) -> str | None:
    """Why validation accuracy sits above training accuracy, when it does for most of a run and augmentation
    or dropout is on (None otherwise)."""
    c = result.config
    h = result.history.dropna(subset=["train_acc", "val_acc"])
    if h.empty:
        return None
    above = float((h["val_acc"] > h["train_acc"]).mean())
    aug = getattr(c, "augment", 0) > 0 and getattr(c, "augment_copies", 0) > 0
    if above < 0.5 or not (aug or c.dropout > 0):
        return None
    causes = []
    if aug:
        causes.append(f"the training rows include {c.augment_copies} shifted, rotated and re-stroked copies of "
                      "each image, harder to read than the plain validation images")
    if c.dropout > 0:
        causes.append(f"dropout (switching off {c.dropout:.0%} of the hidden units at random, only while training) "
                      "keeps the network from fitting its training rows as tightly as it could")
    return (f"Validation accuracy is above training accuracy in {above:.0%} of the epochs. That is not the "
            "overfitting picture turned upside down: " + "; and ".join(causes) + ". Turn augmentation and dropout "
            "off to see the usual picture, training above validation.")


def kept_val_loss(result: TrainResult, data: Dataset) -> float:
    """Validation loss of the weights a result kept, recomputed from them (mean cross-entropy, dropout off)."""
    net = result.model()
    with torch.no_grad():
        return float(torch.nn.functional.cross_entropy(net(data.X_val), data.y_val))


def history_val_loss(result: TrainResult, epoch: int) -> float:
    """The validation loss the history recorded at an epoch."""
    return float(_at(result, epoch)["val_loss"])
