"""The tensors one training run reads: train, validation and test splits of one task."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Dataset:
    """Tensors for training: X_* [N, F] float32; y_* [N] (float32 targets or int64 class ids)."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    task: str  # "binary" | "multiclass" | "regression"
    n_classes: int = 2
    X_val: torch.Tensor | None = None
    y_val: torch.Tensor | None = None

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_outputs(self) -> int:
        return self.n_classes if self.task == "multiclass" else 1


def make_dataset(X_train, y_train, X_test=None, y_test=None, task: str = "binary",
                 n_classes: int = 2, val_fraction: float = 0.0, seed: int = 0) -> Dataset:
    """Wrap NumPy arrays as a :class:`Dataset`; carve a validation split off the training rows."""
    if X_test is None:
        X_test, y_test = X_train, y_train
    X_val = y_val = None
    if val_fraction > 0:
        rng = np.random.default_rng(seed + 7_919)
        perm = rng.permutation(len(X_train))
        n_val = max(1, int(round(val_fraction * len(X_train))))
        X_val, y_val = X_train[perm[:n_val]], y_train[perm[:n_val]]
        X_train, y_train = X_train[perm[n_val:]], y_train[perm[n_val:]]
    ydt = torch.long if task == "multiclass" else torch.float32

    def t(a, dt=torch.float32):
        return None if a is None else torch.as_tensor(np.asarray(a), dtype=dt)

    return Dataset(t(X_train), t(y_train, ydt), t(X_test), t(y_test, ydt), task, n_classes,
                   t(X_val), t(y_val, ydt))
