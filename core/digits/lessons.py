"""The Digit Recognizer's comparisons: the tutorial's scikit-learn baseline beside the scaled run, the
dropout and early-stopping pairs, and the numbers read from them. The sentences that say what each run
showed are claims, in :mod:`core.digits.claims`.
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


# ---- dropout and early stopping: off vs on -------------------------------------------------------

def overfit_pairs(cfg: DigitsConfig, epochs: int = CMP_EPOCHS) -> dict[str, tuple[list[DigitsConfig], list[str]]]:
    """The page's two pairs (:func:`core.digits.metrics.regulariser_pairs`) by name:
    {"dropout": ([off, on], names), "early stopping": ([off, on], names)}."""
    _, pairs = regulariser_pairs(cfg, epochs)
    return {p.what: (list(p.configs), list(p.names)) for p in pairs}


def at_epoch(result: TrainResult, epoch: int | None = None) -> pd.Series:
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


def stopped_early(result: TrainResult) -> bool:
    """Whether early stopping ended the run before its epoch budget."""
    return bool(getattr(result.config, "patience", 0)) and result.stopped_epoch < result.config.epochs


def kept_val_loss(result: TrainResult, data: Dataset) -> float:
    """Validation loss of the weights a result kept, recomputed from them (mean cross-entropy, dropout off)."""
    net = result.model()
    with torch.no_grad():
        return float(torch.nn.functional.cross_entropy(net(data.X_val), data.y_val))


def history_val_loss(result: TrainResult, epoch: int) -> float:
    """The validation loss the history recorded at an epoch."""
    return float(at_epoch(result, epoch)["val_loss"])
