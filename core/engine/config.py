"""What one training run is: :class:`TrainConfig`, and which of its fields may differ within a stack."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from core.config import Config, param
from core.engine import activations
from core.engine.models import INITS

OPTIMIZERS = ("adam", "sgd", "momentum")
LOSSES = ("auto", "mse", "ce")


@dataclass(frozen=True)
class TrainConfig(Config):
    """How to build and train one MLP. Data settings live in the job configs that extend this."""

    kind: ClassVar[str] = "train"
    shared_fields: ClassVar[tuple[str, ...]] = ()  # a subclass's own fields the models of one stack must share

    hidden: tuple[int, ...] = param((4,), lo=1, hi=4096, length=(0, 20), cap=("width", "layers"),
                                      help="hidden layer widths")
    activation: str = param("relu", choices=activations.HIDDEN)
    init: str = param("default", choices=INITS)
    loss: str = param("auto", choices=LOSSES, help="auto: cross-entropy for classes, MSE for regression")
    optimizer: str = param("adam", choices=OPTIMIZERS)
    lr: float = param(0.01, lo=1e-6, hi=10.0)
    momentum: float = param(0.9, lo=0.0, hi=0.999)
    batch_size: int = param(0, lo=0, hi=100_000, help="0 means the whole training set")
    epochs: int = param(100, lo=1, hi=100_000, cap="epochs")
    l1: float = param(0.0, lo=0.0, hi=10.0)
    l2: float = param(0.0, lo=0.0, hi=10.0)
    dropout: float = param(0.0, lo=0.0, hi=0.9)
    patience: int = param(0, lo=0, hi=10_000, help="early stopping; 0 means off")
    seed: int = param(0, lo=0, hi=2**31 - 1)

    def as_train(self, **changes: Any) -> TrainConfig:
        """Just the TrainConfig part of a job config (which may extend this class), with changes."""
        names = [f.name for f in dataclasses.fields(TrainConfig)]
        return TrainConfig(**{**{n: getattr(self, n) for n in names}, **changes})


# fields that may differ between the models of one stack
PER_MODEL = ("seed", "activation", "init", "lr", "momentum", "l1", "l2", "dropout", "epochs", "patience")


def check_stack(configs: Sequence[TrainConfig]) -> None:
    """Raise ValueError unless the configs can train as one stack (they differ only in PER_MODEL fields)."""
    if not configs:
        raise ValueError("no models to train")
    base = configs[0]
    for c in configs[1:]:
        if c.shared_fields != base.shared_fields:  # one kind of model (an MLP, a CNN) per stack
            raise ValueError("models of one stack must be of one kind")
        for f in (*(f.name for f in dataclasses.fields(TrainConfig)), *base.shared_fields):
            if f not in PER_MODEL and getattr(c, f) != getattr(base, f):
                raise ValueError(f"models of one stack must share {f!r}")


def loss_kind(config: TrainConfig, task: str) -> str:
    """The loss a config trains with on a task: "ce" or "mse" ("auto": cross-entropy for classes)."""
    kind = config.loss if config.loss != "auto" else ("mse" if task == "regression" else "ce")
    if task == "regression" and kind == "ce":
        raise ValueError("cross-entropy needs classes; use mse for regression")
    return kind
