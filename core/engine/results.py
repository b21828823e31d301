"""What a run leaves: the epoch log (one row of per-model metrics per epoch) and one TrainResult per model."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch

from core.datasets import Dataset
from core.engine.config import TrainConfig
from core.engine.conv import ConvStack, build_for, is_cnn
from core.engine.evaluation import Stopping
from core.engine.models import build_mlp
from core.engine.stack import Stack


@dataclass
class TrainResult:
    """One trained model: its config, history, final metrics and weights.

    history has one row per evaluated epoch: epoch, train_loss (mean over the epoch's batches), and
    where evaluated: train_eval_loss, test_loss, train_acc, test_acc (classification), val_loss, val_acc.
    Per-epoch train_eval_loss / train_acc use at most EVAL_ROWS training rows (a fixed seeded sample
    when there are more: a full pass over MNIST's 60,000 rows each epoch would cost a third of the
    epoch); metrics' final_train_* use every row. It may be given as its columns (name -> array [E]),
    made a frame when first read (:meth:`history_columns` reads them without one): a merged run of
    3,000 XOR models made 3,000 frames the pages then took apart again (0.4 s of its 2.6 s).
    state is an nn.Sequential state dict ("0.weight": [out, in], ...; a CNN's is :func:`~core.engine.conv.build_cnn`'s).
    extra may hold "stacks" (fit split the run over that many stacks) and "cut_short" (True: a
    deadline stopped the run early, at "cut_short_epoch" = stopped_epoch).
    """

    config: TrainConfig
    history: pd.DataFrame
    metrics: dict[str, float]
    state: dict[str, torch.Tensor]
    n_in: int
    n_out: int
    stopped_epoch: int
    best_epoch: int
    diverged: bool = False
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def history_columns(self) -> dict[str, np.ndarray]:
        """The history's columns as arrays [E], "epoch" first (no frame is made for them)."""
        h = self.__dict__["_history"]
        return dict(h) if isinstance(h, dict) else {c: h[c].to_numpy() for c in h.columns}

    def model(self) -> torch.nn.Sequential:
        """The trained network as an nn.Sequential in eval mode (dropout off)."""
        c = self.config
        if is_cnn(c):
            net = build_for(c, self.n_in, self.n_out, init="default")  # type: ignore[arg-type]
            net.load_state_dict(self.state)
            return net.eval()
        net = build_mlp(self.n_in, c.hidden, self.n_out, c.activation, "default", c.dropout)
        net.load_state_dict(self.state)
        return net.eval()


def _get_history(self: TrainResult) -> pd.DataFrame:
    h = self.__dict__["_history"]
    if isinstance(h, dict):  # columns: made a frame on first read (two threads at once make two equal ones)
        h = self.__dict__["_history"] = pd.DataFrame(h)
    return h


def _set_history(self: TrainResult, value: pd.DataFrame | dict[str, np.ndarray]) -> None:
    self.__dict__["_history"] = value


# the dataclass's __init__ assigns history through this property
TrainResult.history = property(_get_history, _set_history, doc="The history as a frame (see TrainResult).")  # type: ignore[assignment,method-assign]


class EpochLog:
    """The run's rows, one per epoch: {"epoch": e, "train_loss": [K], metric: [K], ...}.

    ``rows`` are the epochs logged since the last :meth:`subset`; the epochs before it are kept as one
    block per column (``_epochs`` [E0], ``_block`` name -> [E0, K], NaN where not logged), so models
    leaving a stack cost one index per column, not one per epoch and column. The columns read last are
    kept (``_cache``): a live view asking for each model's history in turn stacks each row once, not
    once per model (the trainer only ever appends rows, so the cache stays true).
    """

    def __init__(self, K: int) -> None:
        self.K = K
        self.rows: list[dict[str, Any]] = []
        self._epochs: list[int] = []
        self._block: dict[str, torch.Tensor] = {}
        self._cache: tuple[int, list[int], dict[str, torch.Tensor]] | None = None  # (rows read, epochs, columns)

    def __len__(self) -> int:
        return len(self._epochs) + len(self.rows)

    def _columns(self) -> tuple[list[int], dict[str, torch.Tensor]]:
        """Every epoch logged [E] and each column's values [E, K] (NaN where that epoch did not log it)."""
        n, epochs, cols = self._cache or (0, self._epochs, self._block)
        m = len(self.rows)  # rows appended meanwhile (another thread trains on) wait for the next call
        if m == n:
            return epochs, cols
        rows = self.rows[n:m]
        E0, E = len(epochs), len(epochs) + len(rows)
        out = {}
        for c in sorted(set(cols) | {c for r in rows for c in r if c != "epoch"}):
            have = [i for i, r in enumerate(rows) if c in r]
            new = torch.stack([rows[i][c] for i in have]) if have else None
            base = cols.get(c)
            if base is not None and new is not None and len(have) == len(rows):
                out[c] = torch.cat([base, new.to(base.dtype)])
                continue
            dtype = base.dtype if base is not None else new.dtype if new is not None else torch.float32
            a = torch.full((E, self.K), torch.nan, dtype=dtype)
            if base is not None:
                a[:E0] = base
            if new is not None:
                a[E0 + torch.tensor(have)] = new.to(dtype)
            out[c] = a
        epochs = epochs + [r["epoch"] for r in rows]
        self._cache = (m, epochs, out)
        return epochs, out

    def subset(self, keep: list[int]) -> EpochLog:
        """The log of the models at positions ``keep`` (in that order), as one block."""
        epochs, cols = self._columns()
        idx = torch.tensor(keep, dtype=torch.long)
        new = EpochLog(len(keep))
        new._epochs = epochs
        new._block = {c: a.index_select(1, idx) for c, a in cols.items()}
        return new

    def arrays(self, stopped: torch.Tensor) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """epochs [E], column -> values [E, K] in the log's dtype (NaN where not evaluated), rows kept per model [K].

        stopped: each model's stop epoch [K] (0: still training, keeps every row).
        """
        ep, cols = self._columns()
        E = len(ep)
        epochs = np.array(ep, dtype=np.int64)
        frame = {c: a.numpy() for c, a in cols.items()}  # as logged (float32): a float64 copy holds no more
        stop = stopped.numpy().copy()
        last = epochs[-1] if E else 0
        stop[stop == 0] = last
        n_rows = np.searchsorted(epochs, stop, side="right") if E else np.zeros(self.K, dtype=np.int64)
        return epochs, frame, n_rows

    def frame(self, stopped: torch.Tensor, k: int | None = None) -> pd.DataFrame:
        """History as a long frame: model, epoch, train_loss, [train_eval_loss, test_loss, ...].

        Rows after a model stopped are dropped; epochs that were not evaluated have NaN metrics.
        With k, model k's rows only (no model column).
        """
        epochs, frame, n_rows = self.arrays(stopped)
        models = range(self.K) if k is None else [k]
        parts = {"model": np.concatenate([np.full(n_rows[m], m) for m in models]) if len(epochs) else []}
        parts["epoch"] = np.concatenate([epochs[:n_rows[m]] for m in models]) if len(epochs) else []
        for c, a in frame.items():
            parts[c] = np.concatenate([a[:n_rows[m], m] for m in models])
        df = pd.DataFrame(parts)
        return df if k is None else df.drop(columns="model")


def _all_metrics(frame: dict[str, np.ndarray], epochs: np.ndarray, n_rows: np.ndarray, best_epoch: list[int],
                 patience: list[int]) -> list[dict[str, float]]:
    """Per model k: each column's last evaluated value in its first n_rows[k] rows, and best_* at its best
    epoch when it early-stops. frame: column -> [E, K]. (Vectorised over the models: a merged run's 3,000.)"""
    E, K = len(epochs), len(n_rows)
    out: list[dict[str, float]] = [{} for _ in range(K)]
    if E == 0:
        return out
    in_rows = np.arange(E)[:, None] < n_rows[None, :]  # [E, K]
    best = [k for k in range(K) if patience[k] and 0 < best_epoch[k] <= E]
    at = np.searchsorted(epochs, [best_epoch[k] for k in best]) if best else np.zeros(0, dtype=np.int64)
    for name, a in frame.items():
        valid = in_rows & ~np.isnan(a)
        last = E - 1 - np.argmax(valid[::-1], axis=0)  # the last valid row per model (where any)
        values = a[last, np.arange(K)].tolist()
        for k in np.flatnonzero(valid.any(0)).tolist():
            out[k][name] = values[k]
        for k, i in zip(best, at.tolist()):
            if i < n_rows[k] and not np.isnan(a[i, k]):
                out[k][f"best_{name}"] = float(a[i, k])
    return out


class Trained(Protocol):
    """What :func:`collect` reads of a finished run (a :class:`core.engine.trainer.Trainer`)."""

    data: Dataset
    stack: Stack
    stopping: Stopping
    log: EpochLog
    cut_short: torch.Tensor | None  # per model: a deadline stopped it
    epoch: int

    def model_seconds(self) -> float: ...


def _final_metrics(tr: Trained, flat: torch.Tensor) -> dict[str, np.ndarray]:
    """Loss/accuracy of the returned weights (best ones when early stopping) on every row: name -> [K]."""
    d, s = tr.data, tr.stack
    out: dict[str, np.ndarray] = {}
    with torch.no_grad():
        for name, X, y in (("final_train", d.X_train, d.y_train), ("final_test", d.X_test, d.y_test)):
            logits = s.forward(X, flat)
            out[f"{name}_loss"] = s.loss_per_model(logits, y).numpy()
            if s.task != "regression":
                out[f"{name}_acc"] = s.accuracy(logits, y).numpy()
    return out


def _states(s: Stack, flat: torch.Tensor) -> list[dict[str, torch.Tensor]]:
    """Each model's nn.Sequential state dict: views of one copy of its own parameters (one clone per model,
    not one per tensor; never views of the whole stack, which a saved state would then write whole)."""
    rows = s.layout.to_rows(flat)  # [K, P], nn.Linear order: weight, bias per layer
    sizes = [n for o, i in s.shapes for n in (o * i, o)]
    out = []
    for k, c in enumerate(s.configs):
        step = 3 if c.dropout > 0 else 2  # nn.Sequential modules per layer: Linear, activation(, Dropout)
        parts = rows[k].clone().split_with_sizes(sizes)  # (Tensor.split: 25 us of Python a call)
        state: dict[str, torch.Tensor] = {}
        for li, (o, i) in enumerate(s.shapes):
            state[f"{li * step}.weight"] = parts[2 * li].view(o, i)
            state[f"{li * step}.bias"] = parts[2 * li + 1]
        out.append(state)
    return out


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic collector off meanwhile (as it was after): the objects of thousands of results (none in
    a cycle) otherwise set off collections that walk every object of the server (3,000 states: 0.17 -> 0.02 s)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def collect(tr: Trained) -> list[TrainResult]:
    """One :class:`TrainResult` per model of a trainer, in config order; early-stopped models get their best weights."""
    with _gc_paused():
        return _collect(tr)


def _collect(tr: Trained) -> list[TrainResult]:
    s, st = tr.stack, tr.stopping
    flat = s.flat.clone()
    best_epoch, stopped, patience = st.best_epoch.tolist(), st.stopped.tolist(), st.patience.tolist()
    if st.best_flat is not None:
        s.layout.select(flat, (st.patience > 0) & (st.best_epoch > 0), st.best_flat)
    epochs, frame, n_rows = tr.log.arrays(st.stopped)
    final = {name: (v.tolist(), np.isfinite(v).tolist()) for name, v in _final_metrics(tr, flat).items()}
    if isinstance(s, ConvStack):
        views = s.layout.layers(flat)
        states = [s.state(views, k) for k in range(s.K)]
    else:
        states = _states(s, flat)
    metrics = _all_metrics(frame, epochs, n_rows, best_epoch, patience)
    columns = {name: np.ascontiguousarray(a.T) for name, a in frame.items()}  # [K, E]: a model's rows in one run
    diverged, seconds = st.diverged.tolist(), tr.model_seconds()
    cut = tr.cut_short.tolist() if tr.cut_short is not None else None
    out = []
    for k, c in enumerate(s.configs):
        n = int(n_rows[k])
        history = {"epoch": epochs[:n].copy(), **{name: a[k, :n].copy() for name, a in columns.items()}}
        m = metrics[k]
        m.update({name: v[k] for name, (v, ok) in final.items() if ok[k]})
        extra: dict[str, Any] = {}
        if cut is not None and cut[k]:
            extra.update(cut_short=True, cut_short_epoch=tr.epoch)
        out.append(TrainResult(
            config=c, history=history, metrics=m, state=states[k], n_in=s.n_in, n_out=s.n_out,  # type: ignore[arg-type]
            stopped_epoch=stopped[k] or tr.epoch, best_epoch=best_epoch[k] or tr.epoch,
            diverged=bool(diverged[k]), seconds=seconds, extra=extra,
        ))
    return out
