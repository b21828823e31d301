"""When to Use's experiments: head to head, scaling, the Grinsztajn et al. (2022) probes (noise columns,
rotation) and learning curves, and what each fits (its price, from the table's shape alone). The models
and their scores are :mod:`core.when_to_use.models`.

Each experiment is a frozen config (URL round-trip, cache key) and a list of *points*, each one
small cached job (one model on one variant of the data), so a page can draw results as they come.
Every split and model is seeded: the same config gives the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from core.config import Config, ConfigError, param
from core.serve.workload import Workload
from core.when_to_use import workload
from core.when_to_use.data import BUILTIN_SHAPES, LARGEST_CSV, LEVELS, TableShape
from core.when_to_use.models import (
    BOOSTING_ROUNDS,
    CURVE_TEST,
    DATASETS,
    ENGINE_MLP,
    FOREST_TREES,
    MODELS,
    NETS,
    SK_MLP_BATCH,
    SK_MLP_HIDDEN,
    SK_MLP_MAX_ITER,
    curve_rows,
    engine_epochs,
    rule_hidden,
)


# ---- what a request fits (its workload, core.when_to_use.workload, from the table's shape alone) -------
@dataclass(frozen=True)
class Fit:
    """One model fit of a request: n_train rows x n_features, then predictions for n_test rows.

    rounds: trees (forest), boosting rounds, at most this many epochs (sk_mlp), epochs (mlp); levels: mean
    distinct values per feature (at most 256); hidden, batch: a network's hidden widths and minibatch.
    """

    model: str
    n_train: int
    n_features: int
    n_test: int
    rounds: int
    levels: float = float(LEVELS)
    hidden: tuple[int, ...] = ()
    batch: int = 0


def fit_of(model: str, n_train: int, n_features: int, n_test: int, levels: float = LEVELS, n_out: int = 1) -> Fit:
    """The Fit :func:`core.when_to_use.models._fit_predict` runs for ``model`` on n_train rows (its settings;
    ``n_out``: the network's outputs, which size the rule of thumb's layers)."""
    if model == "forest":
        return Fit(model, n_train, n_features, n_test, FOREST_TREES, levels)
    if model == "boosting":
        return Fit(model, n_train, n_features, n_test, BOOSTING_ROUNDS, levels)
    if model == "sk_mlp":
        return Fit(model, n_train, n_features, n_test, SK_MLP_MAX_ITER, levels, SK_MLP_HIDDEN,
                   min(SK_MLP_BATCH, n_train))
    if model == "mlp":
        return Fit(model, n_train, n_features, n_test, engine_epochs(n_train), levels, ENGINE_MLP.hidden,
                   ENGINE_MLP.batch_size)
    if model == "rule":
        return Fit(model, n_train, n_features, n_test, engine_epochs(n_train), levels,
                   rule_hidden(n_features, n_out), ENGINE_MLP.batch_size)
    raise ValueError(f"unknown model {model!r}; known: {', '.join(MODELS)}")


def cv_fits(model: str, rows: int, features: int, folds: int, levels: float = LEVELS, n_out: int = 1) -> list[Fit]:
    """The fits of :func:`core.when_to_use.models.cross_validate`: fold i tests on rows // folds rows (one
    more for the first rows % folds folds, as scikit-learn's KFold splits) and trains on the rest."""
    tests = [rows // folds + (i < rows % folds) for i in range(folds)]
    return [fit_of(model, rows - t, features, t, levels, n_out) for t in tests]


def _noise_levels(shape: TableShape, k: int, rotated: bool) -> float:
    """Levels of a table with k standard-normal columns (all distinct) and, rotated, every column mixed."""
    if rotated:
        return float(LEVELS)
    return (shape.levels * shape.features + LEVELS * k) / max(1, shape.features + k)


class _TableRequest:
    """What every experiment shares for its price: the table it names and the fits it runs on a shape."""

    dataset: str

    def table_shape(self) -> TableShape:
        """The named table's shape without loading it (an upload: the largest the caps allow)."""
        return BUILTIN_SHAPES.get(self.dataset, LARGEST_CSV)

    def fits(self, shape: TableShape) -> list[Fit]:
        raise NotImplementedError

    def workload(self, data: Any = None) -> Workload:
        return workload.table(self, data)


# ---- the experiments -----------------------------------------------------------------------------
def _check_unique(cfg: Config, name: str) -> None:
    v = getattr(cfg, name)
    if len(set(v)) != len(v):
        raise ConfigError(name, "each value may be chosen once")


@dataclass(frozen=True)
class DuelConfig(_TableRequest, Config):
    """Every chosen model cross-validated on one table. Points: one per model."""

    kind: ClassVar[str] = "wtu-duel"

    dataset: str = param("breast_cancer", choices=DATASETS)
    models: tuple[str, ...] = param(MODELS, choices=MODELS, length=(1, len(MODELS)))
    folds: int = param(3, lo=2, hi=5, help="cross-validation folds")
    seed: int = param(0, lo=0, hi=2**31 - 1)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_unique(self, "models")

    def points(self) -> list[tuple[str, bool]]:
        """(model, scaled) per job, in drawing order."""
        return [(m, m in NETS) for m in self.models]

    def fits(self, shape: TableShape) -> list[Fit]:
        return [f for m, _ in self.points() for f in cv_fits(m, shape.rows, shape.features, self.folds, shape.levels)]


@dataclass(frozen=True)
class ScalingConfig(_TableRequest, Config):
    """Each model with raw and with standardised inputs. Points: (model, scaled)."""

    kind: ClassVar[str] = "wtu-scaling"

    dataset: str = param("wine", choices=DATASETS)
    models: tuple[str, ...] = param(MODELS, choices=MODELS, length=(1, len(MODELS)))
    folds: int = param(3, lo=2, hi=5)
    seed: int = param(0, lo=0, hi=2**31 - 1)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_unique(self, "models")

    def points(self) -> list[tuple[str, bool]]:
        return [(m, s) for m in self.models for s in (True, False)]

    def fits(self, shape: TableShape) -> list[Fit]:
        return [f for m, _ in self.points() for f in cv_fits(m, shape.rows, shape.features, self.folds, shape.levels)]


@dataclass(frozen=True)
class NoiseConfig(_TableRequest, Config):
    """Grinsztajn et al.'s probes: k uninformative columns (and optionally a rotation). Points: (k, rotated, model)."""

    kind: ClassVar[str] = "wtu-noise"

    dataset: str = param("wine", choices=DATASETS)
    ks: tuple[int, ...] = param((0, 20, 100), lo=0, hi=500, length=(2, 6), help="noise columns added")
    rotate: bool = param(False, help="also train on randomly rotated features")
    models: tuple[str, ...] = param(("forest", "boosting", "mlp"), choices=MODELS, length=(1, len(MODELS)))
    folds: int = param(3, lo=2, hi=5)
    seed: int = param(0, lo=0, hi=2**31 - 1)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_unique(self, "models")
        _check_unique(self, "ks")

    def points(self) -> list[tuple[int, bool, str]]:
        rot = (False, True) if self.rotate else (False,)
        return [(k, r, m) for k in sorted(self.ks) for r in rot for m in self.models]

    def fits(self, shape: TableShape) -> list[Fit]:
        return [f for k, r, m in self.points()
                for f in cv_fits(m, shape.rows, shape.features + k, self.folds, _noise_levels(shape, k, r))]


@dataclass(frozen=True)
class CurveConfig(_TableRequest, Config):
    """Learning curves: a seeded held-out quarter; each model trained on growing shares of the rest."""

    kind: ClassVar[str] = "wtu-curve"

    dataset: str = param("digits", choices=DATASETS)
    fractions: tuple[float, ...] = param((0.05, 0.15, 0.4, 1.0), lo=0.01, hi=1.0, length=(2, 8))
    models: tuple[str, ...] = param(("forest", "mlp"), choices=MODELS, length=(1, len(MODELS)))
    seed: int = param(0, lo=0, hi=2**31 - 1)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_unique(self, "models")
        _check_unique(self, "fractions")

    def points(self) -> list[tuple[float, str]]:
        return [(f, m) for f in sorted(self.fractions) for m in self.models]

    def fits(self, shape: TableShape) -> list[Fit]:
        n_test = math.ceil(CURVE_TEST * shape.rows)  # train_test_split rounds the test share up
        return [fit_of(m, curve_rows(shape.rows - n_test, f, shape.classes), shape.features, n_test, shape.levels)
                for f, m in self.points()]


@dataclass(frozen=True)
class RuleConfig(_TableRequest, Config):
    """The tutorial's rule of thumb for tables (two hidden layers between input and output, ReLU, dropout)
    against the page's own engine MLP and the tree ensembles, on the duel's table and folds."""

    kind: ClassVar[str] = "wtu-rule"
    models: ClassVar[tuple[str, ...]] = ("rule", "mlp", "forest", "boosting")

    dataset: str = param("breast_cancer", choices=DATASETS)
    folds: int = param(3, lo=2, hi=5, help="cross-validation folds")
    seed: int = param(0, lo=0, hi=2**31 - 1)

    def points(self) -> list[tuple[str, bool]]:
        return [(m, m in NETS) for m in self.models]

    def fits(self, shape: TableShape) -> list[Fit]:
        return [f for m, _ in self.points()
                for f in cv_fits(m, shape.rows, shape.features, self.folds, shape.levels, max(shape.classes, 1))]
