"""What the loop does after an epoch: measure the stack (:class:`Evaluator`) and decide who stops
(:class:`Stopping`: divergence, each model's own epochs, early stopping on the watched loss)."""

from __future__ import annotations

import contextlib
import ctypes
import math
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import torch

from core import settings
from core.datasets import Dataset
from core.engine.config import TrainConfig
from core.engine.stack import Layout, Stack

EVAL_CHUNK_BYTES = 8 << 20  # an evaluation takes models a few at a time, their hidden outputs about this big
EVAL_ROWS = 2048  # per-epoch train metrics use at most this many training rows (a fixed, seeded sample)

# blocks this large or larger are mapped on their own and returned when freed: above a merged stack's per-step
# buffers (15 Digit Recognizer models: [15, 256, 100] floats, 1.5 MB; at 256 kB each step mapped and faulted
# them afresh, +20% CPU for a class's merged run), below the evaluation's chunks (EVAL_CHUNK_BYTES). The lr
# sweep's peak (tests/test_escapes_queue.py) is the same at 256 kB and 4 MB: 406 vs 409 MB.
MMAP_BYTES = 4 << 20


def _fixed_mmap_threshold(nbytes: int = MMAP_BYTES) -> None:
    """Fix glibc's mmap threshold: by default it rises each time a large block is freed, so later
    evaluation buffers land on the heap and stay held after they are freed (an lr sweep of 300 epochs on
    the digits peaked at ~1 GB, against ~0.4 GB with the threshold fixed). Other C libraries: nothing.
    Only on a shared (hosted) server, where memory is bounded per visitor: each large block then comes
    fresh from the system, which made the 8x8 digits' default run ~10% slower on a laptop."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").mallopt(-3, int(nbytes))  # -3: M_MMAP_THRESHOLD


if settings.hosted():
    _fixed_mmap_threshold()

Pending = tuple[dict[str, Any], Future, torch.Tensor, torch.Tensor, int]  # row, metrics, weights, active, epoch


class Evaluator:
    """Loss (and accuracy) of a stack's weights on train (a fixed sample), test and val: name -> [K].

    With a spare core the evaluation of an epoch can run on a copy of the weights in a helper
    thread (:meth:`defer`) while the next epoch trains.
    """

    def __init__(self, stack: Stack, data: Dataset) -> None:
        self.stack, self.data = stack, data
        n = len(data.X_train)
        self.train_rows = min(n, EVAL_ROWS)
        if n > EVAL_ROWS:
            pick = torch.randperm(n, generator=torch.Generator().manual_seed(0))[:EVAL_ROWS].sort().values
            self.train_sample = (data.X_train[pick], data.y_train[pick])
        else:
            self.train_sample = (data.X_train, data.y_train)
        self._pool: ThreadPoolExecutor | None = None
        self.pending: Pending | None = None

    @property
    def rows(self) -> int:
        """Rows one evaluation reads (train sample, test, val)."""
        d = self.data
        return self.train_rows + len(d.X_test) + (0 if d.X_val is None else len(d.X_val))

    def __call__(self, flat: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Per-epoch metrics of the weights flat (default: the live ones): name -> [K]. Thread-safe."""
        d, s = self.data, self.stack
        out: dict[str, torch.Tensor] = {}
        with torch.no_grad():
            for name, X, y in (("train_eval", *self.train_sample), ("test", d.X_test, d.y_test),
                               ("val", d.X_val, d.y_val)):
                if X is None or len(X) == 0:
                    continue
                acc_name = f"{name.replace('_eval', '')}_acc"
                if name == "test" and X is d.X_train:  # no separate test set: same numbers
                    out["test_loss"] = out["train_eval_loss"]
                    if "train_acc" in out:
                        out["test_acc"] = out["train_acc"]
                    continue
                # a few models at a time: their hidden outputs stay in the cache (each model's numbers alike)
                per_model = 4 * len(X) * max(s.hidden_widths, default=s.n_out)
                step = max(1, EVAL_CHUNK_BYTES // per_model) if isinstance(s, Stack) else s.K
                losses, accs = [], []
                for lo in range(0, s.K, step):
                    logits = s.forward(X, flat) if step >= s.K else s.forward(X, flat, models=(lo, min(s.K, lo + step)))
                    losses.append(s.loss_per_model(logits, y))
                    if s.task != "regression":
                        accs.append(s.accuracy(logits, y))
                out[f"{name}_loss"] = torch.cat(losses)
                if accs:
                    out[acc_name] = torch.cat(accs)
        return out

    # ---- the helper thread --------------------------------------------------------------------
    @property
    def helper(self) -> bool:
        """A helper thread is running (evaluations may be deferred)."""
        return self._pool is not None

    def start_helper(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="nnlab-eval")

    def defer(self, row: dict[str, Any], active: torch.Tensor, e: int) -> None:
        """Evaluate a copy of the live weights on the helper; kept as pending with its row, mask and epoch."""
        assert self._pool is not None
        snapshot = self.stack.flat.clone()
        self.pending = (row, self._pool.submit(self, snapshot), snapshot, active, e)

    def stop_helper(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self.pending = None


class Stopping:
    """Which models still train; each model's stop epoch, divergence, and early-stopping best so far.

    ``active`` [K] is replaced (never edited in place) when models stop: the optimiser remakes its
    learning rates when it sees a new mask.
    """

    def __init__(self, configs: Sequence[TrainConfig], layout: Layout, flat: torch.Tensor) -> None:
        K = len(configs)
        self.layout = layout
        self.active = torch.ones(K, dtype=torch.bool)
        self.diverged = torch.zeros(K, dtype=torch.bool)
        self.stopped = torch.zeros(K, dtype=torch.long)  # epoch each model stopped at; 0: not stopped
        self.max_epochs = torch.tensor([c.epochs for c in configs])
        self.end_epochs = {c.epochs for c in configs}
        self.patience = torch.tensor([c.patience for c in configs])
        self.watch = bool((self.patience > 0).any())  # early stopping: evaluate every epoch
        self.best_loss = torch.full((K,), math.inf)
        self.best_epoch = torch.zeros(K, dtype=torch.long)
        self.since_best = torch.zeros(K, dtype=torch.long)
        self.best_flat = flat.clone() if self.watch else None  # block layout, like flat
        self.watching = torch.full((K,), self.watch)  # models whose early stopping (their stack's) is on

    def subset(self, keep: list[int], layout: Layout, flat: torch.Tensor) -> Stopping:
        """This state for the models ``keep`` of a stack made of them (``layout``, weights ``flat``)."""
        new = Stopping.__new__(Stopping)
        new.layout = layout
        for name in ("active", "diverged", "stopped", "max_epochs", "patience", "best_loss", "best_epoch",
                     "since_best", "watching"):
            setattr(new, name, getattr(self, name)[keep].clone())
        new.end_epochs = {int(e) for e in new.max_epochs}
        new.watch = self.watch
        new.best_flat = None
        if self.best_flat is not None:
            new.best_flat = layout.from_rows(self.layout.to_rows(self.best_flat)[keep])
        return new

    def stop(self, models: torch.Tensor, e: int) -> None:
        """Models [K] (bool) stop training, recorded as stopped at epoch e."""
        if bool(models.any()):
            self.active = self.active & ~models
            self.stopped[models] = e

    def check_divergence(self, epoch_loss: torch.Tensor, flat: torch.Tensor, e: int) -> bool:
        """Models whose epoch loss [K] is not finite stop as diverged (weights zeroed: no NaN in later sums).
        Returns whether any did."""
        if math.isfinite(epoch_loss.sum().item()):  # one call, not three, for the usual epoch (a sum of finite
            return False  # losses may overflow: then the exact test below decides)
        newly = ~torch.isfinite(epoch_loss) & self.active
        if not bool(newly.any()):
            return False
        self.diverged |= newly
        self.layout.select(flat, newly, 0.0)
        self.stop(newly, e)
        return True

    def end(self, e: int) -> None:
        """Models whose own epochs end at e stop."""
        self.stop(self.active & (self.max_epochs <= e), e)

    def decide(self, row: dict[str, Any], flat: torch.Tensor, active: torch.Tensor, e: int) -> None:
        """Early stopping at epoch e: keep each improved model's weights (flat), stop the patient-out.

        row: the epoch's metrics [K] (val_loss watched, else train_loss); active: who trained then.
        """
        watch = row.get("val_loss", row["train_loss"])
        better = (watch < self.best_loss - 1e-7) & active & self.watching
        self.best_loss = torch.where(better, watch, self.best_loss)
        self.since_best = torch.where(better, torch.zeros_like(self.since_best), self.since_best + 1)
        assert self.best_flat is not None
        self.layout.select(self.best_flat, better, flat)
        self.best_epoch[better] = e
        self.stop(self.active & (self.patience > 0) & (self.since_best >= self.patience), e)
