"""One trial: the data a study trains on, the TrainConfig a trial's settings make, and the objective.

Each trial trains one MLP through :class:`core.engine.Trainer` one epoch at a time, reports the
validation accuracy after every epoch (for the pruner), and stores its learning curve and final
metrics as trial user attributes.
"""

from __future__ import annotations

import math
import os
import socket
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import optuna

from core import settings as nn_settings
from core.engine import TrainConfig
from core.tuning import optuna_internals as internals
from core.tuning.errors import TuningError
from core.tuning.space import SearchSpace, StudySettings

MNIST_MAX_TRAIN = 10_000  # MNIST trials train on a seeded sample this big (a trial stays seconds)
CURVE_COLUMNS = ("train_loss", "val_loss", "val_acc", "test_acc")


class Interrupted(Exception):
    """Raised inside a trial when the study is stopped (or the worker was asked to end)."""


class Surplus(Exception):
    """Raised when another worker took the study's last trial slot first."""


class StudyInfo(Protocol):
    """What a trial reads of a study (core.tuning.study.StudyInfo): its search space and settings."""

    space: SearchSpace
    settings: StudySettings


class Supervisor(Protocol):
    """What a worker tells a running trial: whether to run at all, and whether to stop."""

    def surplus(self, trial: optuna.trial.Trial) -> bool: ...

    def should_stop(self) -> bool: ...


def worker_id() -> str:
    """This process as the trials record it: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


# ---- data ---------------------------------------------------------------------------------------
_DATA: dict[tuple, Any] = {}


def load_data(st: StudySettings):
    """The study's Dataset: train rows minus a seeded validation split, plus the held-out test set."""
    from core.datasets import digits_arrays, make_dataset

    key = (st.dataset, st.val_fraction, st.seed)
    if key in _DATA:
        return _DATA[key]
    if st.dataset == "mnist":
        Xtr, ytr, Xte, yte = _mnist_sample(st.seed)
    else:
        Xtr, ytr, Xte, yte = _digits_split(digits_arrays)
    data = make_dataset(Xtr, ytr, Xte, yte, task="multiclass", n_classes=10, val_fraction=st.val_fraction,
                        seed=st.seed)
    _DATA[key] = data
    return data


def _mnist_sample(seed: int) -> tuple:
    """MNIST from the local folder (never downloaded here), training rows sampled to MNIST_MAX_TRAIN."""
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
        idx = np.random.default_rng(seed).choice(len(Xtr), MNIST_MAX_TRAIN, replace=False)
        Xtr, ytr = Xtr[idx], ytr[idx]
    return Xtr, ytr, Xte, yte


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


# ---- the objective ------------------------------------------------------------------------------
def train_config(params: dict[str, Any], st: StudySettings) -> TrainConfig:
    """The TrainConfig one trial trains: same seed for every trial, so trials differ only in settings."""
    return TrainConfig(hidden=(int(params["width"]),) * int(params["layers"]), activation=params["activation"],
                       optimizer=params.get("optimizer", "adam"), lr=float(params["lr"]),
                       batch_size=int(params["batch_size"]), dropout=float(params["dropout"]),
                       epochs=st.epochs, seed=st.seed)


def make_objective(info: StudyInfo, data, supervisor: Supervisor | None = None,
                   epoch_hook: Callable[[int], None] | None = None
                   ) -> Callable[[optuna.trial.Trial], float | tuple[float, float]]:
    """The objective: train the suggested MLP through core.engine's Trainer, one epoch at a time.

    Reports validation accuracy after each epoch (the pruner's input), stores the learning curve
    (``curve``: {column: [per epoch]}) and final metrics (``metrics``) as trial user attributes,
    and returns the last epoch's validation accuracy (with a second objective: and the network's parameter
    count, or its training seconds; a study with two objectives does not prune). With a supervisor (a
    worker), a trial past the budget raises :class:`Surplus`, and a stop request ends it after the
    current epoch: its settings are queued again and it raises :class:`Interrupted`.
    """
    from core.engine import Trainer

    st, space = info.settings, info.space

    def objective(trial: optuna.trial.Trial) -> float:
        study = trial.study
        if supervisor is not None and supervisor.surplus(trial):
            trial.set_user_attr("surplus", True)
            study.stop()
            raise Surplus()
        trial.set_user_attr("worker", worker_id())
        cfg = train_config(space.suggest(trial), st)
        tr = Trainer([cfg], data)
        curve: dict[str, list[float | None]] = {c: [] for c in CURVE_COLUMNS}
        t0 = time.perf_counter()

        def save(state: str) -> float:
            """Store the curve and the metrics; returns the training seconds they record."""
            row = tr.rows[-1] if tr.rows else {}
            metrics = {c: float(row[c][0]) for c in ("val_acc", "val_loss", "test_acc", "test_loss", "train_acc")
                       if c in row}
            metrics.update(epochs=tr.epoch, seconds=round(time.perf_counter() - t0, 3),
                           diverged=bool(tr.diverged[0]), state=state)
            trial.set_user_attr("curve", curve)
            trial.set_user_attr("metrics", metrics)
            return metrics["seconds"]

        value = 0.0
        # two objectives: Optuna refuses Trial.report, but the page's learning curves read the reported
        # values, so each epoch's accuracy is stored the same way (there is no pruner to read it)
        report = (lambda v, step: internals.report(trial, v, step)) if st.multi else trial.report
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
                report(value, epoch)
                break
            report(value, epoch)
            if not st.multi and trial.should_prune():
                save("pruned")
                raise optuna.TrialPruned(f"validation accuracy {value:.3f} at epoch {epoch}")
            if supervisor is not None and supervisor.should_stop():
                save("interrupted")
                trial.set_user_attr("interrupted", epoch)
                # the same settings wait at the head of the queue; a resume runs them first
                study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
                study.stop()
                raise Interrupted()
        seconds = save("complete")
        if st.objective == "accuracy+params":
            return value, float(param_count(tr.n_in, cfg.hidden, tr.n_out))
        if st.objective == "accuracy+time":
            return value, seconds  # the metrics' own reading (writing them to the storage is not training)
        return value

    return objective


def param_count(n_in: int, hidden: tuple[int, ...], n_out: int) -> int:
    """Weights and biases of an MLP n_in -> hidden... -> n_out."""
    widths = [n_in, *hidden, n_out]
    return sum(a * b + b for a, b in zip(widths, widths[1:]))
