"""The Digit Recognizer's numbers about trained models: test accuracy counts, the off-vs-on regulariser
pairs (dropout, early stopping) with the table that compares them, and the MLP-vs-CNN pair.

Pure functions (no Streamlit); the page formats and explains what these return.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.digits.jobs import SIDE, DigitsConfig, default_config, is_cnn, net_config
from core.digits.reading import kept_metrics
from core.engine import TrainResult
from core.engine.conv import n_params as cnn_params

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


# ---- the MLP against the CNN ---------------------------------------------------------------------------

def n_params(cfg: DigitsConfig) -> int:
    """Trainable parameters (weights and biases) of a digit model, MLP or CNN."""
    side = SIDE[cfg.dataset]
    if is_cnn(cfg):
        return cnn_params(net_config(cfg), side, 10)  # type: ignore[arg-type]
    widths = [side * side, *cfg.hidden, 10]
    return sum(a * b + b for a, b in zip(widths, widths[1:]))


def model_pair(cfg: DigitsConfig) -> tuple[DigitsConfig, DigitsConfig]:
    """(MLP, CNN) trained as ``cfg`` trains (data, optimiser, epochs, regularisers, seed): ``cfg``'s own layers
    for its kind, the data set's default layers for the other (sized to about the same parameter count)."""
    mlp0, cnn0 = default_config(cfg.dataset, "mlp"), default_config(cfg.dataset, "cnn")
    if is_cnn(cfg):
        return cfg.replace(model="mlp", hidden=mlp0.hidden), cfg.replace(model="cnn")
    return cfg, cfg.replace(model="cnn", hidden=cnn0.hidden, channels=cnn0.channels)


def pair_frame(mlp: TrainResult, cnn: TrainResult, n_test: int) -> pd.DataFrame:
    """One row per model: model ("MLP"/"CNN"), parameters, test accuracy (kept weights), wrong (of n_test test
    digits), seconds (training), epochs (run)."""
    rows = []
    for name, r in (("MLP", mlp), ("CNN", cnn)):
        acc = kept_metrics(r)["test_acc"]
        rows.append({"model": name, "parameters": n_params(r.config), "test accuracy": acc,  # type: ignore[arg-type]
                     "wrong": int(round((1 - acc) * n_test)), "seconds": float(r.seconds), "epochs": epochs_run(r)})
    return pd.DataFrame(rows)
