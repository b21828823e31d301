"""The tutorial's table of hyperparameter effects, each row a seeded sweep on sklearn's digits.

A sweep trains one MLP for each value of one hyperparameter (everything else fixed) from several
seeds. Values the engine lets differ inside one stack (learning rate, activation, dropout) train as
one batched stack; values that change the shape or the batch size (hidden layers, batch size) train
as one stack each. Every result remembers its swept value and its stack's wall time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from core import datasets
from core.config import Config, ConfigError, param
from core.datasets.digits import TRAIN_ROWS
from core.engine import TrainConfig, TrainResult, fit
from core.engine import activations as acts
from core.engine.models import build_mlp
from core.hyperparameters import workload
from core.serve.workload import Workload

SWEEPS = ("lr", "batch", "capacity", "activation", "dropout")
TITLES = {"lr": "Learning rate", "batch": "Batch size", "capacity": "Hidden layers and neurons",
          "activation": "Activation", "dropout": "Dropout rate"}
VAL_FRACTION = 0.15  # of the 1,437 training images: 216 for validation (choosing), 1,221 to train on
DATA_KEY = f"digits-80-20-rs42-val{VAL_FRACTION:g}"
OPTIMIZERS = ("adam", "sgd")
#: the tutorial's starting learning rate for each optimizer
START_LR = {"adam": 1e-3, "sgd": 1e-2}
OPT_LABEL = {"adam": "Adam", "sgd": "SGD"}
N_TRAIN = 1437  # digits' training images in the tutorial's split
N_VAL = round(VAL_FRACTION * N_TRAIN)


def digits_data() -> datasets.Dataset:
    """sklearn digits, the tutorial's 80/20 split (random_state 42), 15% of the training images kept back
    for validation: the sweep picks its best value on those 216 and reports the 360 test images once."""
    Xtr, ytr, Xte, yte = datasets.digits_arrays()
    return datasets.make_dataset(Xtr, ytr, Xte, yte, task="multiclass", n_classes=10, val_fraction=VAL_FRACTION)


def parse_shape(text: str) -> tuple[int, ...]:
    """'128x64' -> (128, 64); '0' or '' -> () (no hidden layer). Raises ValueError."""
    t = text.strip().lower().replace(" ", "")
    if t in ("", "0", "none"):
        return ()
    parts = t.replace("-", "x").replace("*", "x").split("x")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"could not read {text!r} as widths like 128x64") from None
    if not all(1 <= w <= 1024 for w in shape) or len(shape) > 6:
        raise ValueError(f"{text!r}: 1 to 6 layers of 1 to 1024 neurons")
    return shape


def shape_label(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if shape else "none"


@dataclass(frozen=True)
class Sweep(Config):
    """What every sweep shares: seeds, epochs and the fixed settings (an MLP on digits, Adam)."""

    kind: ClassVar[str] = "hp-sweep"
    name: ClassVar[str] = ""
    values: tuple = ()

    seeds: int = param(2, lo=1, hi=10, cap="seeds")
    epochs: int = param(20, lo=1, hi=300, cap="epochs")
    hidden: tuple[int, ...] = param((64,), lo=1, hi=1024, length=(0, 6), cap=("width", "layers"))
    activation: str = param("relu", choices=acts.HIDDEN)
    lr: float = param(1e-3, lo=1e-6, hi=10.0)
    batch_size: int = param(64, lo=1, hi=2048)
    dropout: float = param(0.0, lo=0.0, hi=0.9)
    optimizer: str = param("adam", choices=OPTIMIZERS, help="Adam, or plain SGD (minibatch gradient descent)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(set(self.values)) != len(self.values):
            raise ConfigError("values", "each value may be chosen once")

    def base(self, seed: int) -> TrainConfig:
        return TrainConfig(hidden=self.hidden, activation=self.activation, lr=self.lr, batch_size=self.batch_size,
                           dropout=self.dropout, epochs=self.epochs, seed=seed, optimizer=self.optimizer)

    def change(self, value: Any) -> dict[str, Any]:
        """The TrainConfig fields one swept value sets."""
        raise NotImplementedError

    def label(self, value: Any) -> str:
        return f"{value:g}" if isinstance(value, float) else str(value)

    def stacks(self) -> list[list[tuple[str, TrainConfig]]]:
        """(label, config) lists, one per batched stack; within a stack grouped by value, then seed."""
        stacks: dict[Any, list[tuple[str, TrainConfig]]] = {}
        for v in self.values:
            ch = self.change(v)
            shape_key = (ch.get("hidden", self.hidden), ch.get("batch_size", self.batch_size))
            stacks.setdefault(shape_key, []).extend(
                (self.label(v), self.base(s).replace(**ch)) for s in range(self.seeds))
        return list(stacks.values())

    def train_configs(self) -> list[TrainConfig]:
        return [c for st in self.stacks() for _, c in st]

    def n_models(self) -> int:
        return len(self.values) * self.seeds

    def workload(self, data: Any = None) -> Workload:
        return workload.sweep(self, data)


@dataclass(frozen=True)
class LrSweep(Sweep):
    """Adam's learning rate from 1e-4 to 1: one stack."""

    kind: ClassVar[str] = "hp-lr"
    name: ClassVar[str] = "lr"
    values: tuple[float, ...] = param((1e-4, 1e-3, 1e-2, 1e-1, 1.0), lo=1e-6, hi=10.0, length=(2, 8))
    epochs: int = param(15, lo=1, hi=300, cap="epochs")

    def change(self, value: float) -> dict[str, Any]:
        return {"lr": float(value)}


@dataclass(frozen=True)
class BatchSweep(Sweep):
    """Batch size: one stack per size (the batch size is shared inside a stack)."""

    kind: ClassVar[str] = "hp-batch"
    name: ClassVar[str] = "batch"
    values: tuple[int, ...] = param((8, 32, 128, 512), lo=1, hi=TRAIN_ROWS, length=(2, 6))
    epochs: int = param(8, lo=1, hi=300, cap="epochs")

    def change(self, value: int) -> dict[str, Any]:
        return {"batch_size": int(value)}

    def label(self, value: Any) -> str:
        return str(int(value))


@dataclass(frozen=True)
class CapacitySweep(Sweep):
    """Hidden layers and neurons ('8', '128x128', ...): one stack per shape."""

    kind: ClassVar[str] = "hp-capacity"
    name: ClassVar[str] = "capacity"
    values: tuple[str, ...] = param(("4", "16", "64", "128x128"), length=(2, 6))
    # lr 0.01 for 15 epochs left 128x128 fitting its training set worse than 64 (94% against 99%): at 0.003
    # for 30 epochs every larger net fits its training set better and the largest overfits (on validation)
    epochs: int = param(30, lo=1, hi=300, cap="epochs")
    lr: float = param(3e-3, lo=1e-6, hi=10.0, help="small enough that every net settles within the epochs")

    def __post_init__(self) -> None:
        super().__post_init__()
        for v in self.values:
            try:
                parse_shape(v)
            except ValueError as e:
                raise ConfigError("values", str(e)) from None

    def change(self, value: str) -> dict[str, Any]:
        return {"hidden": parse_shape(value)}

    def label(self, value: Any) -> str:
        return shape_label(parse_shape(value))


@dataclass(frozen=True)
class ActivationSweep(Sweep):
    """Hidden activation: one stack."""

    kind: ClassVar[str] = "hp-activation"
    name: ClassVar[str] = "activation"
    values: tuple[str, ...] = param(("sigmoid", "tanh", "relu", "leaky_relu", "gelu"), choices=acts.HIDDEN,
                                    length=(2, 8))
    epochs: int = param(12, lo=1, hi=300, cap="epochs")

    def change(self, value: str) -> dict[str, Any]:
        return {"activation": value}

    def label(self, value: Any) -> str:
        return acts.REGISTRY[value].label


@dataclass(frozen=True)
class DropoutSweep(Sweep):
    """Dropout rate on the hidden layers, 0 to 0.5: one stack (a net wide enough to overfit)."""

    kind: ClassVar[str] = "hp-dropout"
    name: ClassVar[str] = "dropout"
    values: tuple[float, ...] = param((0.0, 0.1, 0.3, 0.5), lo=0.0, hi=0.9, length=(2, 6))
    hidden: tuple[int, ...] = param((128,), lo=1, hi=1024, length=(0, 6), cap=("width", "layers"))
    epochs: int = param(15, lo=1, hi=300, cap="epochs")
    lr: float = param(1e-2, lo=1e-6, hi=10.0, help="high enough that the net overfits within the epochs")

    def change(self, value: float) -> dict[str, Any]:
        return {"dropout": float(value)}


SWEEP_TYPES: dict[str, type[Sweep]] = {c.name: c for c in (LrSweep, BatchSweep, CapacitySweep, ActivationSweep,
                                                           DropoutSweep)}


def run_sweep(cfg: Sweep, progress: Callable | None = None, final_only: bool = False) -> list[TrainResult]:
    """Train every (value, seed) of cfg: one fit() per stack, evaluated every epoch (``final_only``: after the
    last epoch only, for a view that shows no curves); results in stack order.

    Each result's extra holds 'label' (the swept value), 'stack' (its stack's index) and
    'stack_seconds' (that stack's wall time; every model in it trained during all of it).
    """
    data = digits_data()
    out: list[TrainResult] = []
    for i, stack in enumerate(cfg.stacks()):
        labels, configs = zip(*stack)
        every = max(c.epochs for c in configs) if final_only else 1  # evaluating changes no weight, no draw
        results = fit(list(configs), data, progress=progress, eval_every=every)
        wall = sum(r.seconds for r in results)
        for lab, r in zip(labels, results):
            r.extra.update(label=lab, stack=i, stack_seconds=wall)
        out.extend(results)
    return out


def curves(results: list[TrainResult]) -> pd.DataFrame:
    """Long frame: value (label), seed, epoch, train_loss, train_eval_loss, test_loss, train_acc, test_acc,
    val_loss, val_acc."""
    parts = []
    for r in results:
        h = r.history
        df = pd.DataFrame({"value": r.extra["label"], "seed": r.config.seed, "epoch": h["epoch"].to_numpy()})
        for c in ("train_loss", "train_eval_loss", "test_loss", "train_acc", "test_acc", "val_loss", "val_acc"):
            df[c] = h[c].to_numpy(dtype=np.float64) if c in h else np.nan
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def bands(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean and min-max over seeds per value and epoch: value, epoch, mean, lo, hi (non-finite dropped)."""
    d = frame.replace([np.inf, -np.inf], np.nan).dropna(subset=[metric])
    g = d.groupby(["value", "epoch"], sort=False)[metric]
    return g.agg(mean="mean", lo="min", hi="max").reset_index()


def summary(cfg: Sweep, results: list[TrainResult]) -> pd.DataFrame:
    """One row per swept value, in cfg order.

    Columns: value, parameters, final train/val/test loss and accuracy (means over seeds), gap (train acc -
    test acc), loss gap (test loss - train loss), diverged (seeds), s / epoch (its stack's wall time / epochs).
    """
    rows = []
    for v in cfg.values:
        lab = cfg.label(v)
        rs = [r for r in results if r.extra["label"] == lab]

        def m(k: str, rs: list[TrainResult] = rs) -> float:
            return float(np.nanmean([r.metrics.get(k, np.nan) for r in rs]))

        c = rs[0].config
        widths = [rs[0].n_in, *c.hidden, rs[0].n_out]
        params = sum(widths[i] * widths[i + 1] + widths[i + 1] for i in range(len(widths) - 1))
        rows.append({
            "value": lab, "parameters": params, "train loss": m("final_train_loss"), "test loss": m("final_test_loss"),
            "val loss": m("val_loss"), "train acc": m("final_train_acc"), "val acc": m("val_acc"),
            "test acc": m("final_test_acc"),
            "gap": m("final_train_acc") - m("final_test_acc"),
            "loss gap": m("final_test_loss") - m("final_train_loss"), "diverged": sum(r.diverged for r in rs),
            "seeds": len(rs), "s / epoch": rs[0].extra["stack_seconds"] / max(c.epochs, 1),
        })
    return pd.DataFrame(rows)


def gradient_noise(batches: tuple[int, ...], hidden: tuple[int, ...] = (64,), seed: int = 0,
                   draws: int = 16) -> pd.DataFrame:
    """How far a minibatch's gradient strays from the full-batch gradient, at initialisation.

    For each batch size B: mean over ``draws`` seeded minibatches of ||g_B - g|| / ||g|| (g: the
    gradient of the loss over all training rows, from autograd). Returns batch, noise.
    """
    data = digits_data()
    net = build_mlp(data.n_features, hidden, data.n_outputs, "relu", seed=seed)
    params = [p for p in net.parameters()]

    def grad(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss = torch.nn.functional.cross_entropy(net(X), y)
        return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)])

    full = grad(data.X_train, data.y_train)
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for B in batches:
        B = min(int(B), len(data.X_train))
        dev = []
        for _ in range(draws):
            idx = torch.randperm(len(data.X_train), generator=gen)[:B]
            dev.append(float((grad(data.X_train[idx], data.y_train[idx]) - full).norm() / full.norm()))
        rows.append({"batch": B, "noise": float(np.mean(dev))})
    return pd.DataFrame(rows)


# The tutorial's exact dropout network, 64-128-ReLU-Dropout(0.3)-64-ReLU-Dropout(0.3)-10, with Adam at the
# tutorial's 0.001 and the sweeps' batch of 64, against the same network without dropout: a fixed, seeded pair
# (one stack).
TUTORIAL_NET = DropoutSweep(values=(0.0, 0.3), hidden=(128, 64), lr=1e-3, batch_size=64, epochs=40, seeds=2)


def run_tutorial_net(progress: Callable | None = None) -> list[TrainResult]:
    """TUTORIAL_NET's pair as one stack (dropout is a per-model rate: the four models train together),
    evaluated once after the last epoch: its table shows final numbers only, the same as evaluating each epoch."""
    return run_sweep(TUTORIAL_NET, progress, final_only=True)
