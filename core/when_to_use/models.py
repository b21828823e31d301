"""The models of When to Use and how they are scored: trees and MLPs on a table, cross-validated with
seeded folds (time to train, effort, importances), and the noise and learning-curve points.

Every split and model is seeded: the same table and seed give the same numbers. What a request fits,
priced from the table's shape alone, is :mod:`core.when_to_use.jobs`.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from core.datasets import make_dataset
from core.engine import TrainConfig, fit
from core.when_to_use.data import BUILTIN, Table, with_uninformative

MODELS = ("forest", "boosting", "mlp", "sk_mlp")
LABELS = {"forest": "Random forest", "boosting": "Gradient boosting", "mlp": "MLP (NN Lab engine)",
          "sk_mlp": "MLP (scikit-learn)", "rule": "MLP (rule of thumb)"}
TREES = ("forest", "boosting")
NETS = ("mlp", "sk_mlp", "rule")  # "rule": the rule-of-thumb section's network, not one of the duel's MODELS
DATASETS = (*BUILTIN, "csv")

# The NN Lab engine's MLP for tables: 2 hidden layers, ReLU, Adam 1e-3, batch 64 (the rule of thumb's recipe,
# wider than the widths it gives on most tables and without its dropout: see rule_hidden).
# Epochs grow on small training sets so that every run gets at least MIN_STEPS updates.
ENGINE_MLP = TrainConfig(hidden=(64, 32), activation="relu", optimizer="adam", lr=1e-3, batch_size=64, epochs=60)
MIN_STEPS = 600
# The tutorial's rule of thumb for tables: two hidden layers sized between the input and the output, ReLU,
# dropout (the low end of the tutorial's 0.2-0.3 start); otherwise ENGINE_MLP's recipe.
RULE_DROPOUT = 0.2
MAX_EPOCHS = 1_000
# scikit-learn's MLP: the tutorial's settings (batch_size stays "auto": min(200, rows))
SK_MLP_HIDDEN = (100, 50)
SK_MLP_MAX_ITER = 500
SK_MLP_BATCH = 200
# the trees keep every library default; the sizes their price reads (a test checks they are the defaults)
FOREST_TREES = 100  # RandomForest*: n_estimators
BOOSTING_ROUNDS = 100  # HistGradientBoosting*: max_iter (one tree per class and round, one when binary)
CURVE_TEST = 0.25  # the learning curves' held-out share


# ---- the models ---------------------------------------------------------------------------------
def estimator(model: str, task: str, seed: int):
    """A fresh scikit-learn estimator for a tree/sk_mlp model name (the tutorial's MLP settings)."""
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = task == "classification"
    if model == "forest":
        return (RandomForestClassifier if cls else RandomForestRegressor)(random_state=seed)
    if model == "boosting":
        return (HistGradientBoostingClassifier if cls else HistGradientBoostingRegressor)(random_state=seed)
    if model == "sk_mlp":
        return (MLPClassifier if cls else MLPRegressor)(hidden_layer_sizes=SK_MLP_HIDDEN, max_iter=SK_MLP_MAX_ITER,
                                                        random_state=seed)
    raise ValueError(f"not a scikit-learn model: {model!r}")


def settings_effort(model: str, task: str = "classification") -> tuple[int, int]:
    """(settings changed from the library's defaults, settings the model exposes); the seed not counted."""
    if model in ("mlp", "rule"):
        names = [f.name for f in dataclasses.fields(TrainConfig) if f.name != "seed"]
        base, ours = TrainConfig(), ENGINE_MLP.replace(dropout=RULE_DROPOUT) if model == "rule" else ENGINE_MLP
        return sum(getattr(ours, n) != getattr(base, n) for n in names), len(names)
    est = estimator(model, task, 0)
    ours, theirs = est.get_params(), type(est)().get_params()
    names = [n for n in ours if n != "random_state"]
    return sum(_differs(ours[n], theirs[n]) for n in names), len(names)


def _differs(a, b) -> bool:
    try:
        return bool(a != b)
    except (ValueError, TypeError):
        return a is not b


def rule_hidden(n_in: int, n_out: int) -> tuple[int, int]:
    """Two widths evenly spaced between n_in inputs and n_out outputs: 30 -> 2 gives (21, 11)."""
    step = (n_in - n_out) / 3
    return max(1, round(n_in - step)), max(1, round(n_in - 2 * step))


def engine_config(model: str, n_in: int, n_out: int, n_train: int, seed: int) -> TrainConfig:
    """The engine's network for a table: ENGINE_MLP ("mlp") or the rule of thumb ("rule")."""
    cfg = ENGINE_MLP.replace(seed=seed, epochs=engine_epochs(n_train))
    return cfg.replace(hidden=rule_hidden(n_in, n_out), dropout=RULE_DROPOUT) if model == "rule" else cfg


def engine_epochs(n_train: int) -> int:
    """Epochs for the engine's MLP on n_train rows: ENGINE_MLP.epochs, or more so it gets MIN_STEPS updates."""
    steps = math.ceil(n_train / ENGINE_MLP.batch_size)
    return int(min(MAX_EPOCHS, max(ENGINE_MLP.epochs, math.ceil(MIN_STEPS / steps))))


_CONTROLLER: list = []


def _one_thread():
    """A context limiting every native thread pool (OpenMP, BLAS) to one thread."""
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:  # found once, after scikit-learn's own libraries are loaded
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1)


def _standardise(Xtr: np.ndarray, Xte: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sd = Xtr.mean(0), Xtr.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    return (Xtr - mu) / sd, (Xte - mu) / sd


def _fit_predict(model: str, task: str, n_classes: int, Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray,
                 seed: int) -> tuple[np.ndarray, float, np.ndarray | None]:
    """Train one model, predict Xte: (predictions [M], seconds to train, impurity importances [F] or None)."""
    regression = task == "regression"
    if regression and model in NETS:  # networks learn a standardised target; predictions map back
        mu, sd = float(ytr.mean()), float(ytr.std() or 1.0)
        pred, secs, imp = _fit_predict(model, "_regression_std", n_classes, Xtr, (ytr - mu) / sd, Xte, seed)
        return pred * sd + mu, secs, imp
    if model in ("mlp", "rule"):
        n_out = n_classes if task == "classification" else 1
        cfg = engine_config(model, Xtr.shape[1], n_out, len(Xtr), seed)
        if task == "classification":
            data = make_dataset(Xtr.astype(np.float32), ytr, Xte.astype(np.float32), np.zeros(len(Xte), np.int64),
                                task="multiclass", n_classes=n_classes)
        else:
            data = make_dataset(Xtr.astype(np.float32), ytr.astype(np.float32), Xte.astype(np.float32),
                                np.zeros(len(Xte), np.float32), task="regression")
        t0 = time.perf_counter()
        (res,) = fit([cfg], data, eval_every=cfg.epochs)
        secs = time.perf_counter() - t0
        with torch.no_grad():
            out = res.model()(torch.as_tensor(Xte, dtype=torch.float32))
        if res.diverged or not torch.isfinite(out).all():
            out = torch.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
        pred = out.argmax(1).numpy() if task == "classification" else out[:, 0].double().numpy()
        return pred, secs, None
    from sklearn.exceptions import ConvergenceWarning

    est = estimator(model, "regression" if task == "_regression_std" else task, seed)
    # one thread (OpenMP and BLAS): on a busy 2-core machine the boosting's and the sklearn MLP's
    # threads fight the other work and run 4-30x slower than on one core (measured)
    with warnings.catch_warnings(), np.errstate(all="ignore"), _one_thread():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        t0 = time.perf_counter()
        est.fit(Xtr, ytr)
        secs = time.perf_counter() - t0
        pred = est.predict(Xte)
    imp = getattr(est, "feature_importances_", None)
    return np.nan_to_num(np.asarray(pred, dtype=np.float64)), secs, imp


def score(task: str, y: np.ndarray, pred: np.ndarray) -> float:
    """Accuracy (classification) or R² (regression, can be negative) of predictions [M]."""
    if task == "classification":
        return float(np.mean(pred == y))
    ss = float(np.sum((y - y.mean()) ** 2)) or 1.0
    return float(1.0 - np.sum((y - pred) ** 2) / ss)


def metric_name(task: str) -> str:
    return "accuracy" if task == "classification" else "R²"


def fmt_score(task: str, v: float) -> str:
    """97.2% for accuracy, 0.452 for R²."""
    return f"{v:.1%}" if task == "classification" else f"{v:.3f}"


@dataclass
class ModelRun:
    """One model cross-validated on one table: a score per fold, time, effort, importances."""

    model: str
    scores: list[float]  # per fold: accuracy or R²
    seconds: float  # time to train, summed over the folds
    scaled: bool  # the model got standardised inputs
    changed: int  # settings changed from the library's defaults
    exposed: int  # settings the model exposes
    importances: list[float] | None = None  # mean impurity importance per feature over folds (forests)
    task: str = "classification"

    @property
    def label(self) -> str:
        return LABELS[self.model]

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        return float(np.std(self.scores))


def folds_of(table: Table, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded (train index, test index) pairs: stratified for classes, plain shuffled k-fold otherwise."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if table.task == "classification":
        smallest = int(np.bincount(table.y).min())
        if smallest < folds:
            raise ValueError(f"the smallest class has {smallest} rows: too few for {folds} folds")
        split = StratifiedKFold(folds, shuffle=True, random_state=seed).split(table.X, table.y)
    else:
        split = KFold(folds, shuffle=True, random_state=seed).split(table.X)
    return [(tr, te) for tr, te in split]


def cross_validate(table: Table, model: str, folds: int = 3, seed: int = 0, scale: bool | None = None) -> ModelRun:
    """One model, k seeded folds: scores, time, effort. scale None: networks standardised, trees raw."""
    if scale is None:
        scale = model in NETS
    scores, secs, imps = [], 0.0, []
    for i, (tr, te) in enumerate(folds_of(table, folds, seed)):
        Xtr, Xte = table.X[tr], table.X[te]
        if scale:
            Xtr, Xte = _standardise(Xtr, Xte)
        pred, s, imp = _fit_predict(model, table.task, table.n_classes, Xtr, table.y[tr], Xte, seed + i)
        scores.append(score(table.task, table.y[te], pred))
        secs += s
        if imp is not None:
            imps.append(imp)
    changed, exposed = settings_effort(model, table.task)
    return ModelRun(model, scores, secs, bool(scale), changed, exposed,
                    np.mean(imps, 0).tolist() if imps else None, table.task)


def noise_point(table: Table, k: int, rotated: bool, model: str, folds: int, seed: int) -> ModelRun:
    """One model cross-validated on the table with k noise columns (and a rotation)."""
    return cross_validate(with_uninformative(table, k, rotated, seed), model, folds, seed)


@dataclass
class CurvePoint:
    """One model trained on n_train rows, scored on the held-out quarter."""

    model: str
    fraction: float
    n_train: int
    score: float
    seconds: float


def curve_point(table: Table, fraction: float, model: str, seed: int) -> CurvePoint:
    """Train on a seeded (stratified) share of the training rows, score on the fixed held-out quarter."""
    tr, te = curve_split(table, fraction, seed)
    Xtr, Xte = table.X[tr], table.X[te]
    if model in NETS:
        Xtr, Xte = _standardise(Xtr, Xte)
    pred, secs, _ = _fit_predict(model, table.task, table.n_classes, Xtr, table.y[tr], Xte, seed)
    return CurvePoint(model, fraction, int(len(tr)), score(table.task, table.y[te], pred), secs)


def curve_split(table: Table, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, held-out rows) of a learning-curve point: seeded, stratified for classes."""
    from sklearn.model_selection import train_test_split

    strat = table.y if table.task == "classification" else None
    idx = np.arange(len(table.y))
    tr, te = train_test_split(idx, test_size=CURVE_TEST, random_state=seed, stratify=strat)
    keep = curve_rows(len(tr), fraction, table.n_classes)
    if keep < len(tr):
        tr, _ = train_test_split(tr, train_size=keep, random_state=seed,
                                 stratify=table.y[tr] if strat is not None else None)
    return tr, te


def curve_rows(n_train: int, fraction: float, n_classes: int) -> int:
    """Training rows of a learning-curve point: a share of the n_train rows left after the held-out quarter,
    at least two per class, and all of them when fewer than one per class would be left out (a stratified
    split cannot leave out fewer rows than classes)."""
    if fraction >= 1.0:
        return n_train
    keep = min(n_train, max(int(round(fraction * n_train)), 2 * max(n_classes, 1)))
    return n_train if n_train - keep < max(n_classes, 1) else keep


def family_best(runs: Sequence[ModelRun], family: Sequence[str]) -> ModelRun | None:
    """The best-scoring run among the given model names (None when none ran)."""
    rs = [r for r in runs if r.model in family]
    return max(rs, key=lambda r: r.mean) if rs else None
