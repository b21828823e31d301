"""Hyperparameter search with Optuna: search space, seeded samplers, pruners, storage, workers.

A *study* is an Optuna study in a storage URL (a SQLite file in the data folder by default, or any
SQLAlchemy URL such as PostgreSQL, so workers on many machines share it). Everything a worker needs
is stored in the study itself (search space, settings, heartbeat), so a worker is just

    python -m core.tuning worker --storage URL --study NAME [--n-trials N]

Each trial trains one MLP through :class:`core.engine.Trainer` one epoch at a time, reports the
validation accuracy after every epoch (for the pruner), and stores its learning curve and final
metrics as trial user attributes. Workers write a heartbeat; a worker killed mid-trial has its
trial marked FAIL after the grace period (and the same settings queued again once), so no finished
trial is lost and the study goes on.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import optuna
import pandas as pd

from core import settings as nn_settings
from core.config import Config, ConfigError, param
from core.engine import OPTIMIZERS, TrainConfig
from core.engine.activations import HIDDEN

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("none", "median", "halving", "hyperband")
DATASETS = ("digits", "mnist")
SAMPLER_LABELS = {"tpe": "TPE (Bayesian)", "random": "Random", "grid": "Grid"}
PRUNER_LABELS = {"none": "None", "median": "Median", "halving": "Successive halving", "hyperband": "Hyperband"}
META_KEY = "nnlab"  # study user attribute holding the space, settings and heartbeat
STOP_KEY = "nnlab_stop"  # study user attribute: true asks every worker to stop
RUN_KEY = "nnlab_run"  # study user attribute: {"deadline": unix seconds or null, "started": ...}
MNIST_MAX_TRAIN = 10_000  # MNIST trials train on a seeded sample this big (a trial stays seconds)
DIGITS_URL_PATH = "digits"  # the Digit Recognizer's url_path in app.py
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


class TuningError(ValueError):
    """Something about a study cannot be done; the message is one plain line for the user."""


class _Interrupted(Exception):
    """Raised inside a trial when the study is stopped (or the worker's parent went away)."""


class _Surplus(Exception):
    """Raised when another worker took the study's last trial slot first."""


# ---- the search space and the study settings ----------------------------------------------------
@dataclass(frozen=True)
class SearchSpace(Config):
    """Ranges and choices for each hyperparameter of the tutorial's table (low == high fixes one)."""

    kind: ClassVar[str] = "tuning-space"

    lr_low: float = param(1e-4, lo=1e-6, hi=1.0, help="smallest learning rate (searched on a log scale)")
    lr_high: float = param(1e-1, lo=1e-6, hi=1.0)
    layers_min: int = param(1, lo=1, hi=8, help="fewest hidden layers")
    layers_max: int = param(3, lo=1, hi=8, cap="layers")
    width_min: int = param(16, lo=1, hi=1024, help="fewest neurons per hidden layer (log scale)")
    width_max: int = param(128, lo=1, hi=1024, cap="width")
    batch_sizes: tuple[int, ...] = param((32, 64, 128), lo=1, hi=4096, length=(0, 8))
    activations: tuple[str, ...] = param(("relu", "tanh", "leaky_relu"), choices=HIDDEN, length=(0, len(HIDDEN)))
    dropout_low: float = param(0.0, lo=0.0, hi=0.9)
    dropout_high: float = param(0.5, lo=0.0, hi=0.9)
    optimizers: tuple[str, ...] = param(("adam",), choices=OPTIMIZERS, length=(0, len(OPTIMIZERS)))

    def __post_init__(self) -> None:
        super().__post_init__()
        for lo, hi in (("lr_low", "lr_high"), ("layers_min", "layers_max"), ("width_min", "width_max"),
                       ("dropout_low", "dropout_high")):
            a, b = getattr(self, lo), getattr(self, hi)
            if a > b:
                raise ConfigError(lo, f"the range is upside down ({a:g} > {b:g}); low must not exceed high")
        for name in ("batch_sizes", "activations", "optimizers"):
            if not getattr(self, name):
                raise ConfigError(name, "choose at least one value")
            if len(set(getattr(self, name))) != len(getattr(self, name)):
                raise ConfigError(name, "lists a value twice")
        if not self.varying():
            raise ConfigError("space", "the search space is empty: every hyperparameter is fixed, "
                                       "so there is nothing to search; widen a range or add a choice")
        lim = nn_settings.limits()
        if self.layers_max > lim.max_layers:
            raise ConfigError("layers_max", f"{self.layers_max} layers is more than the limit here ({lim.max_layers})")
        if self.width_max > lim.max_width:
            raise ConfigError("width_max", f"{self.width_max} neurons is more than the limit here ({lim.max_width})")

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
        """Names of the hyperparameters that actually vary."""
        out = []
        if self.lr_low < self.lr_high:
            out.append("lr")
        if self.layers_min < self.layers_max:
            out.append("layers")
        if self.width_min < self.width_max:
            out.append("width")
        if len(self.batch_sizes) > 1:
            out.append("batch_size")
        if len(self.activations) > 1:
            out.append("activation")
        if self.dropout_low < self.dropout_high:
            out.append("dropout")
        if len(self.optimizers) > 1:
            out.append("optimizer")
        return out

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
    n_trials: int = param(30, lo=-10**12, hi=10**12, help="trials to finish (completed or pruned)", cap="trials")
    timeout_min: float = param(0.0, lo=0.0, hi=7 * 24 * 60, help="stop starting trials after this; 0 = no limit")
    epochs: int = param(15, lo=-10**12, hi=10**12, help="epochs per trial", cap="epochs")
    seed: int = param(0, lo=0, hi=2**31 - 1)
    grid_points: int = param(3, lo=2, hi=10, help="values per numeric range for the grid sampler")
    val_fraction: float = param(0.2, lo=0.05, hi=0.5, help="share of the training rows held out for validation")

    def __post_init__(self) -> None:
        super().__post_init__()
        lim = nn_settings.limits()
        if self.n_trials < 1:
            raise ConfigError("n_trials", f"a budget of {self.n_trials} trials runs nothing; ask for at least 1")
        if self.n_trials > lim.max_trials:
            raise ConfigError("n_trials", f"{self.n_trials:,} trials is more than the limit here "
                                          f"({lim.max_trials:,}); split it into several studies")
        if self.epochs < 1:
            raise ConfigError("epochs", f"{self.epochs} epochs per trial trains nothing; ask for at least 1")
        if self.epochs > lim.max_epochs:
            raise ConfigError("epochs", f"{self.epochs:,} epochs per trial is more than the limit here "
                                        f"({lim.max_epochs:,})")

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


# ---- samplers and pruners -----------------------------------------------------------------------
def _trial_seed(seed: int, number: int) -> int:
    return (seed * 1_000_003 + number * 7_919 + 12_345) % (2**32 - 1)


class _SeededRandom(optuna.samplers.RandomSampler):
    """Random search whose draws for trial n depend only on (seed, n): repeatable, and two workers
    never draw the same point by sharing a seed."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed=seed)
        self._base_seed = seed

    def before_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self._rng.rng.seed(_trial_seed(self._base_seed, trial.number))
        super().before_trial(study, trial)


class _SeededTPE(optuna.samplers.TPESampler):
    """TPE reseeded per trial from (seed, trial number); constant liar keeps parallel workers apart."""

    def __init__(self, seed: int, n_startup_trials: int) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            super().__init__(seed=seed, n_startup_trials=n_startup_trials, multivariate=True,
                             constant_liar=True)
        self._base_seed = seed

    def before_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        s = _trial_seed(self._base_seed, trial.number)
        self._rng.rng.seed(s)
        self._random_sampler._rng.rng.seed(s ^ 0x5A5A5A)
        super().before_trial(study, trial)


class _SeededGrid(optuna.samplers.GridSampler):
    """Grid search whose pick among the unvisited points depends only on (seed, trial number)."""

    def __init__(self, search_space: dict[str, list[Any]], seed: int) -> None:
        super().__init__(search_space, seed=seed)
        self._base_seed = seed

    def before_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self._rng.rng.seed(_trial_seed(self._base_seed, trial.number))
        super().before_trial(study, trial)


def make_sampler(space: SearchSpace, st: StudySettings) -> optuna.samplers.BaseSampler:
    """The study's sampler, seeded: the same settings give the same suggestions."""
    if st.sampler == "grid":
        return _SeededGrid(space.grid(st.grid_points), st.seed)
    if st.sampler == "random":
        return _SeededRandom(st.seed)
    return _SeededTPE(st.seed, n_startup_trials=min(10, max(3, st.n_trials // 4)))


def make_pruner(st: StudySettings) -> optuna.pruners.BasePruner:
    """The study's pruner, fed the validation accuracy after every epoch (step = epoch)."""
    if st.pruner == "median":
        # judged from the 3rd finished trial on, after the first epoch(s): on digits/TPE (bench/tuning.py)
        # this spares ~45% of the epochs for a best accuracy within 0.005 of the unpruned study's
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=max(1, st.epochs // 20))
    if st.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=max(1, st.epochs // 8), reduction_factor=3)
    if st.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=max(1, st.epochs // 8), max_resource=st.epochs,
                                              reduction_factor=3)
    return optuna.pruners.NopPruner()


def grid_size(space: SearchSpace, points: int) -> int:
    """How many points the grid sampler would visit."""
    return int(np.prod([len(v) for v in space.grid(points).values()]))


# ---- storage ------------------------------------------------------------------------------------
def default_storage() -> str:
    """The storage URL in force: $NNLAB_STORAGE (or Streamlit secrets, copied there) or the SQLite file."""
    return nn_settings.storage_url()


def mask_url(url: str) -> str:
    """A storage URL with any password hidden (for messages and the page)."""
    url = re.sub(r"^(\w+)\+\w+://", r"\1://", url)  # the driver is an implementation detail
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


@dataclass(frozen=True)
class Heartbeat:
    """How often a running trial says it is alive, and how long silence means its worker is dead (s)."""

    interval: int = 5
    grace: int = 20


_STORAGES: dict[tuple[str, Heartbeat | None], optuna.storages.RDBStorage] = {}


def open_storage(url: str | None = None, heartbeat: Heartbeat | None = None) -> optuna.storages.RDBStorage:
    """An Optuna RDBStorage for url (created once per process); TuningError if unreachable."""
    url = _driver_url((url or default_storage()).strip())
    key = (url, heartbeat)
    if key in _STORAGES:
        return _STORAGES[key]
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if str(path) not in ("", ":memory:"):
            path.parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"connect_args": {"timeout": 60}}
    elif "://" in url:
        kwargs = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}} if url.startswith("postgres") else {}
    else:
        raise TuningError(f"{url[:80]!r} is not a database URL (expected e.g. sqlite:///path/tuning.db "
                          "or postgresql://user@host:5432/db)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            hb: dict[str, Any] = {}
            if heartbeat is not None:  # a trial silent for `grace` s is failed, and its settings queued once more
                hb = {"heartbeat_interval": heartbeat.interval, "grace_period": heartbeat.grace,
                      "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1)}
            storage = optuna.storages.RDBStorage(url, engine_kwargs=kwargs, **hb)
    except ImportError as e:
        raise TuningError(f"cannot use {mask_url(url)}: its database driver is not installed ({e.name})") from None
    except Exception as e:  # sqlalchemy.exc.OperationalError, ArgumentError, ...
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:160]
        raise TuningError(f"cannot reach the database {mask_url(url)}: {reason}") from None
    if url.startswith("sqlite:///"):
        _sqlite_wal(storage)
    _STORAGES[key] = storage
    return storage


def _driver_url(url: str) -> str:
    """postgresql:// means psycopg 3 to SQLAlchemy 2.1; use psycopg2 (requirements.txt's) when only it is here."""
    import importlib.util

    m = re.match(r"^postgres(?:ql)?://", url)
    if m and importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
        return "postgresql+psycopg2://" + url[m.end():]
    return url


def _sqlite_wal(storage: optuna.storages.RDBStorage) -> None:
    """WAL journal, so readers (the page) never block the workers' writes, and synchronous=NORMAL, so a
    commit does not wait for an fsync (18 ms -> 6 ms per reported epoch here, and the write lock is
    held that much shorter). A killed worker still loses nothing committed; only a power cut could
    lose the last moments."""
    import sqlalchemy

    def on_connect(dbapi_connection, record) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    try:
        with storage.engine.connect() as c:
            c.execute(sqlalchemy.text("PRAGMA journal_mode=WAL"))
        sqlalchemy.event.listen(storage.engine, "connect", on_connect)
        storage.engine.dispose()  # pooled connections made before the listener reconnect with it
    except Exception:  # a read-only or odd file system: the default journal still works
        pass


def list_studies(url: str | None = None) -> list[str]:
    """Names of the studies in a storage, newest first."""
    import sqlalchemy

    storage = open_storage(url)
    with storage.engine.connect() as c:
        rows = c.execute(sqlalchemy.text("SELECT study_name FROM studies ORDER BY study_id DESC")).fetchall()
    return [r[0] for r in rows]


@dataclass
class StudyInfo:
    """What is stored about a study: its space, settings, heartbeat and run state."""

    name: str
    space: SearchSpace
    settings: StudySettings
    heartbeat: Heartbeat
    stop: bool = False
    deadline: float | None = None


def _load_meta(study: optuna.Study) -> StudyInfo:
    attrs = study.user_attrs
    meta = attrs.get(META_KEY)
    if not meta:
        raise TuningError(f"study {study.study_name!r} was not made by NN Lab (it has no search space stored)")
    tup = lambda d: {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}  # noqa: E731
    run = attrs.get(RUN_KEY) or {}
    return StudyInfo(study.study_name, SearchSpace(**tup(meta["space"])), StudySettings(**tup(meta["settings"])),
                     Heartbeat(*meta.get("heartbeat", (5, 20))), bool(attrs.get(STOP_KEY)), run.get("deadline"))


def study_info(url: str | None, name: str) -> StudyInfo:
    """The stored description of a study; TuningError if there is no such study."""
    return _load_meta(_load(open_storage(url), name))


def _load(storage: optuna.storages.RDBStorage, name: str, **kw: Any) -> optuna.Study:
    try:
        return optuna.load_study(study_name=name, storage=storage, **kw)
    except KeyError:
        raise TuningError(f"there is no study named {name!r} in {mask_url(storage.url)}; "
                          "create it on the Hyperparameter Tuner page first (or check the name)") from None


def _describe_difference(a: Config, b: Config) -> str:
    diffs = [f"{f.name} {getattr(a, f.name)!s} there, {getattr(b, f.name)!s} here"
             for f in dataclasses.fields(a) if getattr(a, f.name) != getattr(b, f.name)]
    return "; ".join(diffs[:3])


def create_study(name: str, space: SearchSpace, st: StudySettings, url: str | None = None,
                 heartbeat: Heartbeat = Heartbeat()) -> StudyInfo:
    """Create a study, or reopen one of that name with the same space and settings (the budget may change).

    Raises TuningError when the name exists with another space or other settings.
    """
    name = check_name(name)
    storage = open_storage(url)
    if st.dataset == "mnist":
        load_data(st)  # fail now, with the reason, rather than in every worker
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        study = None
    if study is not None:
        old = _load_meta(study)
        if old.space != space:
            raise TuningError(f"a study named {name!r} already exists with another search space "
                              f"({_describe_difference(old.space, space)}); resume it as it is or pick a new name")
        if not old.settings.resumable_with(st):
            raise TuningError(f"a study named {name!r} already exists with other settings "
                              f"({_describe_difference(old.settings, st)}); resume it as it is or pick a new name")
        meta = study.user_attrs[META_KEY]
        meta["settings"] = st.to_dict()
        study.set_user_attr(META_KEY, meta)
    else:
        try:
            study = optuna.create_study(study_name=name, storage=storage, direction="maximize",
                                        sampler=make_sampler(space, st), pruner=make_pruner(st))
        except optuna.exceptions.DuplicatedStudyError:  # made by someone else a moment ago
            return create_study(name, space, st, url, heartbeat)
        study.set_user_attr(META_KEY, {"version": 1, "space": space.to_dict(), "settings": st.to_dict(),
                                       "heartbeat": [heartbeat.interval, heartbeat.grace],
                                       "created": time.time()})
    _arm(study, st)
    return _load_meta(study)


def _arm(study: optuna.Study, st: StudySettings) -> None:
    """Clear the stop flag and set the time limit (counted from now)."""
    deadline = time.time() + st.timeout_min * 60 if st.timeout_min > 0 else None
    study.set_user_attr(RUN_KEY, {"deadline": deadline, "started": time.time()})
    study.set_user_attr(STOP_KEY, False)


def request_stop(url: str | None, name: str) -> None:
    """Ask every worker of the study (on any machine) to stop after its current epoch."""
    _load(open_storage(url), name).set_user_attr(STOP_KEY, True)


def resume(url: str | None, name: str, n_trials: int | None = None, timeout_min: float | None = None) -> StudyInfo:
    """Clear the stop flag (optionally with a new budget), so workers may run again."""
    info = study_info(url, name)
    changes = {k: v for k, v in (("n_trials", n_trials), ("timeout_min", timeout_min)) if v is not None}
    st = info.settings.replace(**changes) if changes else info.settings
    return create_study(name, info.space, st, url, info.heartbeat)


def delete_study(url: str | None, name: str) -> None:
    optuna.delete_study(study_name=name, storage=open_storage(url))


def reap_stale(url: str | None, name: str) -> None:
    """Mark trials whose worker stopped beating as FAIL (what a worker does before each trial)."""
    info = study_info(url, name)
    study = _load(open_storage(url, info.heartbeat), name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


# ---- data and the objective ---------------------------------------------------------------------
_DATA: dict[tuple, Any] = {}


def load_data(st: StudySettings):
    """The study's Dataset: train rows minus a seeded validation split, plus the held-out test set."""
    from core.datasets import digits_arrays, make_dataset

    key = (st.dataset, st.val_fraction, st.seed)
    if key in _DATA:
        return _DATA[key]
    if st.dataset == "mnist":
        try:
            from core.datasets.mnist import MnistUnavailable, load_mnist
        except ImportError:
            raise TuningError("MNIST is not available in this installation; use the digits data set") from None
        folder = os.environ.get("NNLAB_MNIST_DIR") or None
        try:
            Xtr, ytr, Xte, yte = load_mnist(folder, download=False)
        except (MnistUnavailable, OSError, ValueError) as e:
            raise TuningError(f"MNIST is not available here ({str(e).splitlines()[0][:120]}); "
                              "use the digits data set, or open the Digit Recognizer once to download it") from None
        if len(Xtr) > MNIST_MAX_TRAIN:
            idx = np.random.default_rng(st.seed).choice(len(Xtr), MNIST_MAX_TRAIN, replace=False)
            Xtr, ytr = Xtr[idx], ytr[idx]
    else:
        Xtr, ytr, Xte, yte = _digits_split(digits_arrays)
    data = make_dataset(Xtr, ytr, Xte, yte, task="multiclass", n_classes=10, val_fraction=st.val_fraction,
                        seed=st.seed)
    _DATA[key] = data
    return data


def _digits_split(compute: Callable[[], tuple]) -> tuple:
    """digits_arrays(), kept as a .npz in the data folder: a new worker skips importing scikit-learn (~2 s)."""
    path = nn_settings.data_dir() / "digits-split-v1.npz"
    try:
        with np.load(path) as z:
            return z["Xtr"], z["ytr"], z["Xte"], z["yte"]
    except (OSError, KeyError, ValueError):
        pass
    arrays = compute()
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **dict(zip(("Xtr", "ytr", "Xte", "yte"), arrays)))
    os.replace(tmp, path)
    return arrays


def train_config(params: dict[str, Any], st: StudySettings) -> TrainConfig:
    """The TrainConfig one trial trains: same seed for every trial, so trials differ only in settings."""
    return TrainConfig(hidden=(int(params["width"]),) * int(params["layers"]), activation=params["activation"],
                       optimizer=params.get("optimizer", "adam"), lr=float(params["lr"]),
                       batch_size=int(params["batch_size"]), dropout=float(params["dropout"]),
                       epochs=st.epochs, seed=st.seed)


CURVE_COLUMNS = ("train_loss", "val_loss", "val_acc", "test_acc")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


_TERM = {"asked": False}  # set by SIGTERM: the worker stops after its current epoch


@dataclass
class _WorkerState:
    storage: Any
    url: str
    name: str
    n_trials: int
    parent: int | None
    check_every: float = 0.5
    last_check: float = 0.0
    stop: bool = False
    ran: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _count_states(storage: optuna.storages.RDBStorage, study_id: int, below: int | None = None) -> dict[str, int]:
    """Trials per state in one small query (optionally only trial numbers below ``below``)."""
    import sqlalchemy

    sql = "SELECT state, COUNT(*) FROM trials WHERE study_id = :sid"
    args: dict[str, Any] = {"sid": study_id}
    if below is not None:
        sql += " AND number < :below"
        args["below"] = below
    with storage.engine.connect() as c:
        rows = c.execute(sqlalchemy.text(sql + " GROUP BY state"), args).fetchall()
    return {str(getattr(s, "name", s)): int(n) for s, n in rows}


def _should_stop(study: optuna.Study, ws: _WorkerState) -> bool:
    """The stop flag (read at most every ``check_every`` s) or a vanished parent process."""
    if ws.stop or _TERM["asked"]:
        ws.stop = True
        return True
    if ws.parent is not None and os.getppid() != ws.parent:
        ws.stop = True
        return True
    now = time.monotonic()
    if now - ws.last_check >= ws.check_every:
        ws.last_check = now
        import sqlalchemy

        with ws.storage.engine.connect() as c:
            row = c.execute(sqlalchemy.text(
                "SELECT value_json FROM study_user_attributes WHERE study_id = :sid AND key = :k"),
                {"sid": study._study_id, "k": STOP_KEY}).fetchone()
        ws.stop = bool(row and json.loads(row[0]))
    return ws.stop


def make_objective(info: StudyInfo, data, ws: _WorkerState | None = None,
                   epoch_hook: Callable[[int], None] | None = None) -> Callable[[optuna.trial.Trial], float]:
    """The objective: train the suggested MLP through core.engine's Trainer, one epoch at a time.

    Reports validation accuracy after each epoch (the pruner's input), stores the learning curve
    (``curve``: {column: [per epoch]}) and final metrics (``metrics``) as trial user attributes,
    and returns the last epoch's validation accuracy.
    """
    from core.engine import Trainer

    st, space = info.settings, info.space

    def objective(trial: optuna.trial.Trial) -> float:
        study = trial.study
        if ws is not None:
            done = _count_states(ws.storage, study._study_id, below=trial.number)
            taken = done.get("COMPLETE", 0) + done.get("PRUNED", 0) + done.get("RUNNING", 0)
            if taken >= st.n_trials:  # another worker took the last slot first
                trial.set_user_attr("surplus", True)
                study.stop()
                raise _Surplus()
        trial.set_user_attr("worker", worker_id())
        params = space.suggest(trial)
        tr = Trainer([train_config(params, st)], data)
        curve: dict[str, list[float]] = {c: [] for c in CURVE_COLUMNS}
        t0 = time.perf_counter()

        def save(state: str) -> None:
            row = tr.rows[-1] if tr.rows else {}
            metrics = {c: float(row[c][0]) for c in ("val_acc", "val_loss", "test_acc", "test_loss", "train_acc")
                       if c in row}
            metrics.update(epochs=tr.epoch, seconds=round(time.perf_counter() - t0, 3),
                           diverged=bool(tr.diverged[0]), state=state)
            trial.set_user_attr("curve", curve)
            trial.set_user_attr("metrics", metrics)

        value = 0.0
        for epoch in range(1, st.epochs + 1):
            tr.run(epochs=1, eval_every=1)
            row = tr.rows[-1]
            for c in CURVE_COLUMNS:
                v = float(row[c][0]) if c in row else math.nan
                curve[c].append(round(v, 6) if math.isfinite(v) else None)
            value = float(row["val_acc"][0])
            if epoch_hook is not None:
                epoch_hook(epoch)
            if bool(tr.diverged[0]):  # the loss blew up: the weights are gone, report what it scores
                trial.set_user_attr("diverged_at", epoch)
                trial.report(value, epoch)
                break
            trial.report(value, epoch)
            if trial.should_prune():
                save("pruned")
                raise optuna.TrialPruned(f"validation accuracy {value:.3f} at epoch {epoch}")
            if ws is not None and _should_stop(study, ws):
                save("interrupted")
                trial.set_user_attr("interrupted", epoch)
                # the same settings wait at the head of the queue; a resume runs them first
                study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
                study.stop()
                raise _Interrupted()
        save("complete")
        return value

    return objective


def run_worker(url: str | None, name: str, n_trials: int | None = None, parent: int | None = None,
               log: Callable[[str], None] | None = None) -> int:
    """Run trials of a stored study until its budget is done, it is stopped, its time is up, or
    ``n_trials`` trials ran here. Returns how many trials this worker ran."""
    import torch

    torch.set_num_threads(1)  # one core per worker: two workers on two cores, not four threads fighting
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = (url or default_storage()).strip()
    info = study_info(url, name)
    storage = open_storage(url, info.heartbeat)
    study = _load(storage, name, sampler=make_sampler(info.space, info.settings), pruner=make_pruner(info.settings))
    data = load_data(info.settings)
    ws = _WorkerState(storage, url, name, n_trials or 0, parent)
    objective = make_objective(info, data, ws)
    say = log or (lambda s: None)
    say(f"worker {worker_id()} on study {name!r} ({mask_url(url)})")
    idle_since: float | None = None
    while True:
        if _should_stop(study, ws):
            say("stopped")
            break
        info = study_info(url, name)  # the budget may have been raised by a resume
        objective_budget = info.settings.n_trials
        if info.deadline is not None and time.time() > info.deadline:
            say("time limit reached")
            break
        if n_trials and ws.ran >= n_trials:
            break
        counts = _count_states(storage, study._study_id)
        finished = counts.get("COMPLETE", 0) + counts.get("PRUNED", 0)
        running = counts.get("RUNNING", 0)
        if info.settings.sampler == "grid" and finished >= grid_size(info.space, info.settings.grid_points):
            say("grid done")
            break
        if finished + running >= objective_budget:
            if running == 0:
                say("budget done")
                break
            # others are finishing the last trials; one of them may be dead: wait, reap, re-check
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > max(60, 3 * info.heartbeat.grace):
                say("the last trials belong to other workers; leaving them to finish")
                break
            time.sleep(min(1.0, info.heartbeat.interval))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.fail_stale_trials(study)
            continue
        idle_since = None
        objective = make_objective(info, data, ws)
        study.optimize(objective, n_trials=1, catch=(_Interrupted, _Surplus), gc_after_trial=False)
        study._stop_flag = False  # study.stop() inside a trial ends that optimize call only
        ws.ran += 1
    return ws.ran


# ---- worker processes started from the page ----------------------------------------------------
ROOT = Path(__file__).resolve().parents[2]


def max_workers() -> int:
    """Worker processes one machine may run: its cores, and the hosted-mode limit."""
    cap = getattr(nn_settings.limits(), "max_workers", 4)
    return max(1, min(os.cpu_count() or 1, cap))


def spawn_worker(url: str, name: str, n_trials: int | None = None, parent: int | None = None,
                 log_dir: Path | None = None) -> subprocess.Popen:
    """Start ``python -m core.tuning worker`` as a separate process (returns at once)."""
    log_dir = log_dir or nn_settings.data_dir() / "tuning-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "core.tuning", "worker", "--storage", url, "--study", name]
    if n_trials:
        cmd += ["--n-trials", str(n_trials)]
    if parent is not None:
        cmd += ["--parent", str(parent)]
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    log = open(log_dir / f"{safe}-{int(time.time() * 1000)}.log", "ab")  # noqa: SIM115 (child owns it)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "OMP_NUM_THREADS": "1"}
    try:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    finally:
        log.close()


def start_workers(url: str, name: str, n: int, parent: int | None = None) -> list[subprocess.Popen]:
    """Start n workers on a study (capped by :func:`max_workers`). The page passes its own pid as
    parent, so its workers end when the app ends (no worker is left running on its own)."""
    n = max(1, min(int(n), max_workers()))
    return [spawn_worker(url, name, parent=parent) for _ in range(n)]


def stop_workers(procs: list[subprocess.Popen], timeout: float = 10.0) -> None:
    """Ask worker processes to end (SIGTERM: they finish the current epoch), then make sure."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.time() + timeout
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ---- reading a study fast (for the views) -------------------------------------------------------
STATE_ORDER = ("COMPLETE", "PRUNED", "RUNNING", "FAIL", "WAITING")
PARAMS = ("lr", "layers", "width", "batch_size", "activation", "dropout", "optimizer")


@dataclass
class StudyFrame:
    """A study read in a few queries: one row per trial, and the per-epoch validation curves.

    trials: number, state, value, start, end, duration_s, worker, epochs, test_acc, + one column per param.
    curves: number, epoch, val_acc (long form; running trials included).
    """

    name: str
    trials: pd.DataFrame
    curves: pd.DataFrame
    params: list[str]
    info: StudyInfo | None = None
    read_seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        vc = self.trials["state"].value_counts()
        return {s: int(vc.get(s, 0)) for s in STATE_ORDER}

    def best(self) -> pd.Series | None:
        done = self.trials[self.trials["state"] == "COMPLETE"].dropna(subset=["value"])
        if done.empty:
            return None
        return done.loc[done["value"].idxmax()]

    def best_params(self) -> dict[str, Any] | None:
        b = self.best()
        return None if b is None else {p: _plain(b[p]) for p in self.params if p in b and pd.notna(b[p])}


def _plain(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


_DIST_CACHE: dict[str, Any] = {}


def _external(dist_json: str, value: float) -> Any:
    d = _DIST_CACHE.get(dist_json)
    if d is None:
        d = _DIST_CACHE[dist_json] = optuna.distributions.json_to_distribution(dist_json)
    return d.to_external_repr(value)


def _external_many(dist_json: str, values: np.ndarray) -> list[Any]:
    """Internal representations -> the values trials saw (vectorised per distribution)."""
    d = _DIST_CACHE.get(dist_json)
    if d is None:
        d = _DIST_CACHE[dist_json] = optuna.distributions.json_to_distribution(dist_json)
    if isinstance(d, optuna.distributions.CategoricalDistribution):
        choices = np.array(d.choices, dtype=object)
        return list(choices[values.astype(int)])
    if isinstance(d, optuna.distributions.IntDistribution):
        return list(values.round().astype(np.int64))
    return list(values)


def read_study(url: str | None, name: str, with_curves: bool = True) -> StudyFrame:
    """The study's trials in four queries straight from Optuna's tables (no per-trial objects).

    10,000 trials read in well under a second, where ``study.get_trials()`` builds a Python
    object per trial with every attribute.
    """
    import sqlalchemy

    t0 = time.perf_counter()
    storage = open_storage(url)
    info = None
    with storage.engine.connect() as c:
        row = c.execute(sqlalchemy.text("SELECT study_id FROM studies WHERE study_name = :n"), {"n": name}).fetchone()
        if row is None:
            raise TuningError(f"there is no study named {name!r} in {mask_url(storage.url)}")
        sid = int(row[0])
        def q(sql: str) -> list[tuple]:
            # the driver's plain tuples: building Row objects costs seconds for 100k rows
            res = c.execute(sqlalchemy.text(sql), {"sid": sid})
            cur = getattr(res, "cursor", None)
            return list(cur.fetchall()) if cur is not None else [tuple(r) for r in res.fetchall()]

        trials = pd.DataFrame(q(
            "SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete, v.value "
            "FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 "
            "WHERE t.study_id = :sid ORDER BY t.number"),
            columns=["trial_id", "number", "state", "start", "end", "value"])
        params = pd.DataFrame(q(
            "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json FROM trial_params p "
            "JOIN trials t ON t.trial_id = p.trial_id WHERE t.study_id = :sid"),
            columns=["trial_id", "param", "value", "dist"])
        attrs = pd.DataFrame(q(
            "SELECT a.trial_id, a.key, a.value_json FROM trial_user_attributes a "
            "JOIN trials t ON t.trial_id = a.trial_id WHERE t.study_id = :sid "
            "AND a.key IN ('worker', 'surplus', 'interrupted', 'metrics', 'pruned_at')"),
            columns=["trial_id", "key", "value_json"])
        curves = pd.DataFrame(q(
            "SELECT i.trial_id, i.step, i.intermediate_value FROM trial_intermediate_values i "
            "JOIN trials t ON t.trial_id = i.trial_id WHERE t.study_id = :sid"),
            columns=["trial_id", "epoch", "val_acc"]) if with_curves else pd.DataFrame(
            columns=["trial_id", "epoch", "val_acc"])
        meta_rows = q("SELECT key, value_json FROM study_user_attributes WHERE study_id = :sid")
    trials["state"] = trials["state"].map(lambda s: str(getattr(s, "name", s)).split(".")[-1])
    trials["value"] = pd.to_numeric(trials["value"], errors="coerce")
    for col in ("start", "end"):
        trials[col] = pd.to_datetime(trials[col])
    trials["duration_s"] = (trials["end"] - trials["start"]).dt.total_seconds()
    # params: internal repr -> the value the trial saw (category index -> the choice)
    names: list[str] = []
    if len(params):
        ext = pd.Series(index=params.index, dtype=object)
        for dj, idx in params.groupby("dist").groups.items():  # a handful of distinct distributions
            ext[idx] = _external_many(dj, params.loc[idx, "value"].to_numpy(dtype=float))
        params["ext"] = ext
        wide = params.pivot(index="trial_id", columns="param", values="ext")
        names = [p for p in PARAMS if p in wide.columns] + sorted(set(wide.columns) - set(PARAMS))
        trials = trials.join(wide[names], on="trial_id")
        for p in names:
            nums = pd.to_numeric(trials[p], errors="coerce")
            if nums.notna().sum() == trials[p].notna().sum():
                trials[p] = nums
    # the small attributes; the curve attribute (bigger) stays in storage for whoever needs it
    extra: dict[str, dict[int, Any]] = {k: {} for k in ("worker", "surplus", "interrupted", "metrics")}
    for tid, key, vj in attrs.itertuples(index=False):
        if key in extra:
            extra[key][tid] = json.loads(vj)
    workers = extra["worker"]
    trials["worker"] = [str(workers.get(i, "")) for i in trials["trial_id"]]
    metrics = extra["metrics"]
    trials["test_acc"] = trials["trial_id"].map({k: m.get("test_acc") for k, m in metrics.items()})
    trials["interrupted"] = trials["trial_id"].map(extra["interrupted"])
    surplus = trials["trial_id"].isin(list(extra["surplus"]))
    trials = trials[~surplus].reset_index(drop=True)
    if with_curves and len(curves):
        curves = curves.merge(trials[["trial_id", "number"]], on="trial_id")
        curves = curves[["number", "epoch", "val_acc"]].sort_values(["number", "epoch"]).reset_index(drop=True)
        by = curves.groupby("number")
        trials["epochs"] = trials["number"].map(by["epoch"].max()).fillna(0).astype(int)
        trials["last"] = trials["number"].map(by["val_acc"].last())
    else:
        curves = pd.DataFrame({"number": pd.Series(dtype=int), "epoch": pd.Series(dtype=int),
                               "val_acc": pd.Series(dtype=float)})
        trials["epochs"] = 0
        trials["last"] = np.nan
    try:
        meta = {k: json.loads(v) for k, v in meta_rows}
        if META_KEY in meta:
            tup = lambda d: {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}  # noqa: E731
            m = meta[META_KEY]
            run = meta.get(RUN_KEY) or {}
            info = StudyInfo(name, SearchSpace(**tup(m["space"])), StudySettings(**tup(m["settings"])),
                             Heartbeat(*m.get("heartbeat", (5, 20))), bool(meta.get(STOP_KEY)), run.get("deadline"))
    except (ConfigError, TypeError, KeyError):
        info = None
    trials = trials.drop(columns=["trial_id"])
    return StudyFrame(name, trials, curves, names, info, time.perf_counter() - t0)


def trial_curve(url: str | None, name: str, number: int) -> pd.DataFrame:
    """One trial's full learning curve (its ``curve`` attribute): epoch + CURVE_COLUMNS."""
    study = _load(open_storage(url), name)
    t = study._storage.get_trial(study._storage.get_trial_id_from_study_id_trial_number(study._study_id, number))
    curve = t.user_attrs.get("curve") or {}
    df = pd.DataFrame({c: pd.to_numeric(pd.Series(curve.get(c, [])), errors="coerce") for c in CURVE_COLUMNS})
    df.insert(0, "epoch", np.arange(1, len(df) + 1))
    return df


def is_active(frame: StudyFrame, live_workers: int = 0) -> bool:
    """True while the study is going: trials running, or workers alive that have budget left."""
    c = frame.counts
    if c["RUNNING"] > 0:
        return True
    if frame.info is None or frame.info.stop:
        return False
    return live_workers > 0 and c["COMPLETE"] + c["PRUNED"] < frame.info.settings.n_trials


def param_importance(frame: StudyFrame, max_trials: int = 600) -> dict[str, float]:
    """Each varying parameter's importance by Optuna's PED-ANOVA evaluator (fast on big studies).

    Uses up to ``max_trials`` completed trials (an even sample) in an in-memory copy of the study.
    Empty when fewer than 4 trials completed.
    """
    if frame.info is None:
        return {}
    done = frame.trials[frame.trials["state"] == "COMPLETE"].dropna(subset=["value"])
    varying = [p for p in frame.info.space.varying() if p in done.columns]
    if len(done) < 4 or not varying:
        return {}
    if len(done) > max_trials:
        done = done.iloc[np.linspace(0, len(done) - 1, max_trials).round().astype(int)]
    all_dists = frame.info.space.distributions()
    dists = {p: all_dists[p] for p in varying}
    trials = []
    for row in done.itertuples(index=False):
        r = row._asdict()
        try:
            ps = {p: _plain(r[p]) for p in varying}
            trials.append(optuna.trial.create_trial(params=ps, distributions=dists, value=float(r["value"])))
        except (ValueError, KeyError):
            continue  # a value outside today's distribution (cannot happen for NN Lab studies)
    if len(trials) < 4:
        return {}
    mem = optuna.create_study(direction="maximize")
    mem.add_trials(trials)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            imp = optuna.importance.get_param_importances(
                mem, evaluator=optuna.importance.PedAnovaImportanceEvaluator(), params=varying)
        except (RuntimeError, ValueError, ZeroDivisionError):
            return {}
    return {k: float(v) for k, v in imp.items()}


def digits_link(params: dict[str, Any], st: StudySettings) -> str:
    """``/digits?...``: the Digit Recognizer on these settings (its config's own URL keys)."""
    from urllib.parse import urlencode

    return f"/{DIGITS_URL_PATH}?" + urlencode(digits_query(params, st))


def digits_query(params: dict[str, Any], st: StudySettings) -> dict[str, str]:
    """The Digit Recognizer's URL query params for a trial's settings (``DigitsConfig.to_query()``)."""
    cfg = train_config(params, st)
    try:
        from core.digits import DigitsConfig  # the Digit Recognizer's job config (a TrainConfig)
    except ImportError:
        DigitsConfig = None  # noqa: N806
    if DigitsConfig is not None:
        names = {f.name for f in dataclasses.fields(DigitsConfig)}
        values = {k: v for k, v in cfg.to_dict().items() if k in names}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        extra = {"dataset": st.dataset, "val_fraction": st.val_fraction,
                 "train_limit": MNIST_MAX_TRAIN if st.dataset == "mnist" else 0}
        values.update({k: v for k, v in extra.items() if k in names})
        try:
            query = DigitsConfig(**values).to_query()
        except (ConfigError, TypeError, ValueError):
            query = _explicit_query(cfg)
    else:
        query = _explicit_query(cfg)
    return query


def _explicit_query(cfg: TrainConfig) -> dict[str, str]:
    keys = ("hidden", "activation", "optimizer", "lr", "batch_size", "dropout", "epochs", "seed")
    full = TrainConfig(**{k: getattr(cfg, k) for k in keys})
    q = full.to_query()
    for k in keys:  # every key explicit: the other page's defaults may differ from TrainConfig's
        if k not in q:
            v = getattr(cfg, k)
            q[k] = ",".join(str(x) for x in v) if isinstance(v, tuple) else (
                repr(v) if isinstance(v, float) else str(v))
    return q


# ---- command line -------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m core.tuning", description="NN Lab tuning worker")
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker", help="run trials of a study that exists in the storage")
    w.add_argument("--storage", default=None, help="SQLAlchemy URL (default: $NNLAB_STORAGE or the SQLite file)")
    w.add_argument("--study", required=True, help="study name (create it on the page first)")
    w.add_argument("--n-trials", type=int, default=None, help="run at most this many trials here")
    w.add_argument("--parent", type=int, default=None, help=argparse.SUPPRESS)
    ls = sub.add_parser("list", help="list the studies in a storage")
    ls.add_argument("--storage", default=None)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "list":
            for n in list_studies(args.storage):
                print(n)
            return 0
        if args.n_trials is not None and args.n_trials < 1:
            raise TuningError(f"--n-trials {args.n_trials}: ask for at least 1 trial")

        def on_term(signum, frame):  # SIGTERM: stop after the current epoch, like the Stop button
            _TERM["asked"] = True

        signal.signal(signal.SIGTERM, on_term)
        ran = run_worker(args.storage, args.study, args.n_trials, args.parent,
                         log=lambda s: print(s, flush=True))
        print(f"ran {ran} trials", flush=True)
        return 0
    except TuningError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130



# ---- fake studies (benchmarks and tests of the views) -------------------------------------------
def populate_fake(url: str | None, name: str, n: int, epochs: int = 10, seed: int = 0, workers: int = 4) -> None:
    """Write ``n`` made-up finished trials into a new NN Lab study with bulk inserts (seconds for 10,000).

    Accuracies follow a smooth made-up function of the parameters plus noise; about a third of the
    trials are pruned part-way, a few failed. For timing the views, never for results.
    """
    from optuna.storages._rdb import models

    space = SearchSpace()
    st = StudySettings(n_trials=min(n, nn_settings.limits().max_trials), epochs=epochs, seed=seed)
    create_study(name, space, st, url)
    storage = open_storage(url)
    study = _load(storage, name)
    sid = study._study_id
    rng = np.random.default_rng(seed)
    lr = np.exp(rng.uniform(np.log(space.lr_low), np.log(space.lr_high), n))
    layers = rng.integers(space.layers_min, space.layers_max + 1, n)
    width = np.exp(rng.uniform(np.log(space.width_min), np.log(space.width_max), n)).round().astype(int)
    bs = rng.integers(0, len(space.batch_sizes), n)
    act = rng.integers(0, len(space.activations), n)
    drop = rng.uniform(space.dropout_low, space.dropout_high, n)
    opt = np.zeros(n, dtype=int)
    final = np.clip(0.97 - 0.05 * (np.log10(lr) + 2.5) ** 2 - 0.08 * drop ** 2 - 0.01 * layers
                    + 0.01 * np.log2(width / 16) / 3 + rng.normal(0, 0.01, n), 0.05, 0.995)
    state = np.where(rng.random(n) < 0.35, "PRUNED", "COMPLETE")
    state[rng.random(n) < 0.01] = "FAIL"
    stop = np.where(state == "PRUNED", rng.integers(1, max(2, epochs // 2), n), epochs)
    stop[state == "FAIL"] = 1
    t0 = datetime(2026, 1, 1, 9, 0, 0)
    dur = rng.uniform(0.5, 3.0, n) * stop / epochs
    starts = [t0 + timedelta(seconds=float(s)) for s in np.cumsum(dur) / workers]
    ends = [s + timedelta(seconds=float(d)) for s, d in zip(starts, dur)]
    TS = optuna.trial.TrialState
    with storage.engine.begin() as c:
        first = c.execute(models.TrialModel.__table__.select().where(
            models.TrialModel.__table__.c.study_id == sid)).fetchall()
        base = len(first)
        c.execute(models.TrialModel.__table__.insert(), [
            {"number": base + i, "study_id": sid, "state": TS[state[i]], "datetime_start": starts[i],
             "datetime_complete": ends[i]} for i in range(n)])
        tt = models.TrialModel.__table__
        ids = dict(c.execute(tt.select().with_only_columns(tt.c.number, tt.c.trial_id).where(
            tt.c.study_id == sid)).fetchall())
        dists = space.distributions()
        dj = {k: optuna.distributions.distribution_to_json(v) for k, v in dists.items()}
        cols = {"lr": lr, "layers": layers, "width": width, "batch_size": bs, "activation": act, "dropout": drop,
                "optimizer": opt}
        c.execute(models.TrialParamModel.__table__.insert(), [
            {"trial_id": ids[base + i], "param_name": p, "param_value": float(cols[p][i]), "distribution_json": dj[p]}
            for i in range(n) for p in PARAMS])
        c.execute(models.TrialValueModel.__table__.insert(), [
            {"trial_id": ids[base + i], "objective": 0, "value": float(final[i]),
             "value_type": models.TrialValueModel.TrialValueType.FINITE}
            for i in range(n) if state[i] == "COMPLETE"])
        ivs = []
        for i in range(n):
            e = np.arange(1, stop[i] + 1)
            curve = final[i] * (1 - np.exp(-e / 2.5)) + rng.normal(0, 0.005, len(e))
            ivs += [{"trial_id": ids[base + i], "step": int(k), "intermediate_value": float(v),
                     "intermediate_value_type": models.TrialIntermediateValueModel.TrialIntermediateValueType.FINITE}
                    for k, v in zip(e, curve)]
        c.execute(models.TrialIntermediateValueModel.__table__.insert(), ivs)
        c.execute(models.TrialUserAttributeModel.__table__.insert(), [
            {"trial_id": ids[base + i], "key": "worker", "value_json": json.dumps(f"fake:{i % workers}")}
            for i in range(n)])
