"""The Digit Recognizer's numbers about trained models: test accuracy counts, and the off-vs-on
regulariser pairs (dropout, early stopping) with the table that compares them.

Pure functions (no Streamlit); the page formats and explains what these return.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.digits.jobs import DigitsConfig
from core.digits.reading import kept_metrics
from core.engine import TrainResult

TUTORIAL_DROPOUT = 0.3  # the tutorial's Dropout(0.3)
TUTORIAL_PATIENCE = 10  # MLPClassifier's n_iter_no_change
TUTORIAL_VAL = 0.1  # MLPClassifier's validation_fraction


@dataclass(frozen=True)
class Accuracy:
    """Test-set accuracy as counts: ``right`` and ``wrong`` of ``n`` images, and their ratio."""

    right: int
    wrong: int
    n: int

    @property
    def acc(self) -> float:
        return self.right / self.n if self.n else float("nan")


def accuracy(probs: np.ndarray, y: np.ndarray) -> Accuracy:
    """Counts of right and wrong predictions: probs [n, 10] (rows: test images), y [n] true digits."""
    pred = np.asarray(probs).argmax(1)
    right = int((pred == np.asarray(y)).sum())
    return Accuracy(right, len(pred) - right, len(pred))


def epochs_run(r: TrainResult) -> int:
    """Epochs a run trained (where early stopping stopped it, else every epoch of its history)."""
    return int(r.stopped_epoch or len(r.history))


@dataclass(frozen=True)
class Pair:
    """Two runs that differ in one setting only: configs [off, on] and their names."""

    what: str
    configs: tuple[DigitsConfig, DigitsConfig]
    names: tuple[str, str]


def regulariser_pairs(cfg: DigitsConfig, epochs: int) -> tuple[float, list[Pair]]:
    """The dropout pair and the early-stopping pair built from the page's model (``cfg``).

    Both runs of a pair share everything else: no augmentation (so only the one setting differs), the
    same validation share (``cfg``'s, or the tutorial's 10%) and ``epochs``. Dropout and patience are
    ``cfg``'s when set, else the tutorial's 0.3 and 10. Returns (validation share, pairs).
    """
    drop = cfg.dropout or TUTORIAL_DROPOUT
    pat = cfg.patience or TUTORIAL_PATIENCE
    val = cfg.val_fraction or TUTORIAL_VAL
    plain = cfg.replace(augment_copies=0, augment=0.0, val_fraction=val, epochs=epochs)  # no other regulariser
    off = plain.replace(dropout=0.0, patience=0)
    return val, [
        Pair("dropout", (off, plain.replace(dropout=drop, patience=0)), ("dropout off", f"dropout {drop:g}")),
        Pair("early stopping", (off, plain.replace(dropout=0.0, patience=pat)),
             ("early stopping off", f"early stopping (patience {pat})")),
    ]


def pair_table(names: tuple[str, ...], results: list[TrainResult]) -> pd.DataFrame:
    """One row per run: run, epochs run, train/validation/test accuracy and test loss of the kept
    weights, and the train - validation gap."""
    rows = []
    for n, x in zip(names, results):
        k = kept_metrics(x)
        rows.append({"run": n, "epochs run": epochs_run(x), "train accuracy": k["train_acc"],
                     "validation accuracy": k["val_acc"], "test accuracy": k["test_acc"], "test loss": k["test_loss"]})
    t = pd.DataFrame(rows)
    t["train - validation gap"] = t["train accuracy"] - t["validation accuracy"]
    return t


def best_epochs(pair: Pair, results: list[TrainResult]) -> dict[str, int | None]:
    """Per run name: the epoch whose weights were kept when early stopping was on (None when off)."""
    return {n: (x.best_epoch if c.patience else None) for n, x, c in zip(pair.names, results, pair.configs)}
