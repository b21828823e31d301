"""What a study searches and how: the search space, the study settings, and study names.

Both are frozen :class:`core.config.Config` classes: every field declares its range or choices, and
the fields a server caps declare it (``param(..., cap=...)``), read by the one check,
:func:`core.serve.caps.violations`. A crafted value (a URL, a stored study) gets a ConfigError that
names the field, never a traceback from Optuna later.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import optuna

from core import settings as nn_settings
from core.config import CAP_KINDS, Config, ConfigError, Constraint, ends_in_order, param
from core.engine import OPTIMIZERS
from core.engine.activations import HIDDEN
from core.serve.caps import violations
from core.serve.workload import Workload
from core.tuning import workload
from core.tuning.errors import TuningError

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("none", "median", "halving", "hyperband")
DATASETS = ("digits", "mnist")
SAMPLER_LABELS = {"tpe": "TPE (Bayesian)", "random": "Random", "grid": "Grid"}
PRUNER_LABELS = {"none": "None", "median": "Median", "halving": "Successive halving", "hyperband": "Hyperband"}
BATCH_SIZES = (16, 32, 64, 128, 256)  # the batch sizes a study may try (the page offers exactly these)
PARAMS = ("lr", "layers", "width", "batch_size", "activation", "dropout", "optimizer")
# what a study optimises: validation accuracy alone, or with a second objective to keep small (a Pareto front)
OBJECTIVES = ("accuracy", "accuracy+params", "accuracy+time")
OBJECTIVE_LABELS = {"accuracy": "Validation accuracy", "accuracy+params": "Accuracy and parameter count",
                    "accuracy+time": "Accuracy and training time"}
SECOND_OBJECTIVE = {"accuracy+params": "parameters", "accuracy+time": "training seconds"}  # minimized
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,63}$")

# The tutorial's table of key hyperparameters: (param, label, practical starting point)
TUTORIAL_TABLE = (
    ("lr", "Learning rate", "0.001 for Adam, 0.01 for SGD; search on a log scale"),
    ("layers", "Hidden layers", "2 for tabular data, 3 or more for images"),
    ("width", "Neurons per layer", "between the input and output sizes"),
    ("batch_size", "Batch size", "32 to 128"),
    ("activation", "Activation", "ReLU for hidden layers"),
    ("dropout", "Dropout rate", "0.2 to 0.3, up to 0.5"),
)

RANGES = (("lr_low", "lr_high"), ("layers_min", "layers_max"), ("width_min", "width_max"),
          ("dropout_low", "dropout_high"))
CHOICES = ("batch_sizes", "activations", "optimizers")

# how a capped field's value is said in a message, by cap kind (core.config.CAP_KINDS)
_CAP_WORDS = {"layers": "{:,} layers", "width": "{:,} neurons", "trials": "{:,} trials",
              "epochs": "{:,} epochs per trial", "seeds": "{:,} seeds"}
_CAP_HINTS = {"trials": "; split it into several studies"}


def check_caps(cfg: Config) -> None:
    """ConfigError for the first field over this server's cap, from the caps its fields declare."""
    lim = nn_settings.limits()
    for name, _ in violations(cfg, lim):
        f = next(f for f in dataclasses.fields(cfg) if f.name == name)
        kind = f.metadata["cap"][0]
        cap = getattr(lim, CAP_KINDS[kind])
        said = _CAP_WORDS[kind].format(getattr(cfg, name))
        raise ConfigError(name, f"{said} is more than the limit here ({cap:,}){_CAP_HINTS.get(kind, '')}")


@dataclass(frozen=True)
class SearchSpace(Config):
    """Ranges and choices for each hyperparameter of the tutorial's table (low == high fixes one)."""

    kind: ClassVar[str] = "tuning-space"
    constraints: ClassVar = tuple(ends_in_order(lo, hi, strict=False) for lo, hi in RANGES)

    lr_low: float = param(1e-4, lo=1e-6, hi=1.0, help="smallest learning rate (searched on a log scale)")
    lr_high: float = param(1e-1, lo=1e-6, hi=1.0)
    layers_min: int = param(1, lo=1, hi=8, help="fewest hidden layers")
    layers_max: int = param(3, lo=1, hi=8, cap="layers")
    width_min: int = param(16, lo=1, hi=1024, help="fewest neurons per hidden layer (log scale)")
    width_max: int = param(128, lo=1, hi=1024, cap="width")
    batch_sizes: tuple[int, ...] = param((32, 64, 128), choices=BATCH_SIZES, length=(0, len(BATCH_SIZES)))
    activations: tuple[str, ...] = param(("relu", "tanh", "leaky_relu"), choices=HIDDEN, length=(0, len(HIDDEN)))
    dropout_low: float = param(0.0, lo=0.0, hi=0.9)
    dropout_high: float = param(0.5, lo=0.0, hi=0.9)
    optimizers: tuple[str, ...] = param(("adam",), choices=OPTIMIZERS, length=(0, len(OPTIMIZERS)))

    def __post_init__(self) -> None:
        super().__post_init__()  # each field alone: type, range, choices, length; the ranges' ends (constraints)
        for name in CHOICES:
            if not getattr(self, name):
                raise ConfigError(name, "choose at least one value")
            if len(set(getattr(self, name))) != len(getattr(self, name)):
                raise ConfigError(name, "lists a value twice")
        if not self.varying():
            raise ConfigError(self._widen_first(), "the search space is empty: every hyperparameter is fixed, "
                                                   "so there is nothing to search; widen a range or add a choice")
        check_caps(self)

    def _widen_first(self) -> str:
        """The field whose default value would make an empty space vary (what the error names)."""
        default = type(self)
        for lo, hi in RANGES:
            if getattr(default, lo) < getattr(self, hi):
                return lo
            if getattr(self, lo) < getattr(default, hi):
                return hi
        return next(n for n in CHOICES if len(getattr(default, n)) > 1)

    def distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        """Optuna's distribution for every hyperparameter of this space (fixed ones included)."""
        return {
            "lr": optuna.distributions.FloatDistribution(self.lr_low, self.lr_high, log=True),
            "layers": optuna.distributions.IntDistribution(self.layers_min, self.layers_max),
            "width": optuna.distributions.IntDistribution(self.width_min, self.width_max, log=True),
            "batch_size": optuna.distributions.CategoricalDistribution(list(self.batch_sizes)),
            "activation": optuna.distributions.CategoricalDistribution(list(self.activations)),
            "dropout": optuna.distributions.FloatDistribution(self.dropout_low, self.dropout_high),
            "optimizer": optuna.distributions.CategoricalDistribution(list(self.optimizers)),
        }

    def varying(self) -> list[str]:
        """Names of the hyperparameters that actually vary (in PARAMS order)."""
        spread = {"lr": self.lr_low < self.lr_high, "layers": self.layers_min < self.layers_max,
                  "width": self.width_min < self.width_max, "batch_size": len(self.batch_sizes) > 1,
                  "activation": len(self.activations) > 1, "dropout": self.dropout_low < self.dropout_high,
                  "optimizer": len(self.optimizers) > 1}
        return [p for p in PARAMS if spread[p]]

    def suggest(self, trial: optuna.trial.Trial) -> dict[str, Any]:
        """Ask the trial for one point of the space: {lr, layers, width, batch_size, activation, dropout, optimizer}."""
        return {
            "lr": trial.suggest_float("lr", self.lr_low, self.lr_high, log=True),
            "layers": trial.suggest_int("layers", self.layers_min, self.layers_max),
            "width": trial.suggest_int("width", self.width_min, self.width_max, log=True),
            "batch_size": trial.suggest_categorical("batch_size", list(self.batch_sizes)),
            "activation": trial.suggest_categorical("activation", list(self.activations)),
            "dropout": trial.suggest_float("dropout", self.dropout_low, self.dropout_high),
            "optimizer": trial.suggest_categorical("optimizer", list(self.optimizers)),
        }

    def grid(self, points: int) -> dict[str, list[Any]]:
        """The grid for GridSampler: ``points`` values per numeric range, every choice of the rest."""
        def spread(lo: float, hi: float, log: bool, integer: bool) -> list[Any]:
            if lo == hi:
                return [int(lo) if integer else float(lo)]
            xs = np.geomspace(lo, hi, points) if log else np.linspace(lo, hi, points)
            if integer:
                return sorted({int(min(hi, max(lo, round(x)))) for x in xs})
            return sorted({float(min(hi, max(lo, float(f"{x:.3g}")))) for x in xs})

        return {
            "lr": spread(self.lr_low, self.lr_high, True, False),
            "layers": spread(self.layers_min, self.layers_max, False, True),
            "width": spread(self.width_min, self.width_max, True, True),
            "batch_size": list(self.batch_sizes),
            "activation": list(self.activations),
            "dropout": spread(self.dropout_low, self.dropout_high, False, False),
            "optimizer": list(self.optimizers),
        }


@dataclass(frozen=True)
class StudySettings(Config):
    """Everything about a study except its search space: data, sampler, pruner, budget, seed."""

    kind: ClassVar[str] = "tuning-study"

    dataset: str = param("digits", choices=DATASETS, help="digits: sklearn's 8x8; mnist: where available")
    sampler: str = param("tpe", choices=SAMPLERS)
    pruner: str = param("median", choices=PRUNERS)
    n_trials: int = param(100, lo=-10**12, hi=10**12, help="trials to finish (completed or pruned)", cap="trials")
    timeout_min: float = param(0.0, lo=0.0, hi=7 * 24 * 60, help="stop starting trials after this; 0 = no limit")
    # 120 epochs: the default study (100 trials, 2 workers, median pruning) lasts a minute or more on 2 cores
    # (bench/tuning.py --default: 230 s while the machine's load average was 5-6); at 30 it ended in 15-25 s,
    # before a student had seen anything.
    epochs: int = param(120, lo=-10**12, hi=10**12, help="epochs per trial", cap="epochs")
    seed: int = param(0, lo=0, hi=2**31 - 1)
    grid_points: int = param(3, lo=2, hi=10, help="values per numeric range for the grid sampler")
    val_fraction: float = param(0.2, lo=0.05, hi=0.5, help="share of the training rows held out for validation")
    objective: str = param("accuracy", choices=OBJECTIVES,
                           help="accuracy alone, or accuracy and a cost to keep small (parameters or seconds)")

    # Optuna cannot prune a multi-objective trial (Trial.report/should_prune refuse it)
    constraints: ClassVar = (Constraint("two objectives, no pruner", ("objective", "pruner"),
                                        lambda c: c.objective == "accuracy" or c.pruner == "none",
                                        "a study with two objectives cannot prune trials: choose the pruner None"),)

    @property
    def directions(self) -> list[str]:
        """Optuna's directions: maximize the accuracy; minimize the second objective, if any."""
        return ["maximize"] + (["minimize"] if self.objective in SECOND_OBJECTIVE else [])

    @property
    def multi(self) -> bool:
        """Two objectives (a Pareto front) rather than one."""
        return self.objective in SECOND_OBJECTIVE

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n_trials < 1:
            raise ConfigError("n_trials", f"a budget of {self.n_trials} trials runs nothing; ask for at least 1")
        if self.epochs < 1:
            raise ConfigError("epochs", f"{self.epochs} epochs per trial trains nothing; ask for at least 1")
        check_caps(self)

    def workload(self, space: SearchSpace | None = None) -> Workload:
        """What the study trains over ``space`` (default: the default search space)."""
        return workload.study(self, space if isinstance(space, SearchSpace) else SearchSpace())

    def resumable_with(self, other: StudySettings) -> bool:
        """Same study apart from the budget (trials, time limit), which a resume may change."""
        return self.replace(n_trials=other.n_trials, timeout_min=other.timeout_min) == other


def check_name(name: str) -> str:
    """A study name: 1 to 64 letters, digits, spaces, '_', '.', '-' (starting with a letter or digit)."""
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise TuningError(f"study name {name[:70]!r} is not usable: use 1 to 64 letters, digits, spaces, "
                          "'_', '.' or '-', starting with a letter or digit")
    return name


def grid_size(space: SearchSpace, points: int) -> int:
    """How many points the grid sampler would visit."""
    return int(np.prod([len(v) for v in space.grid(points).values()]))
