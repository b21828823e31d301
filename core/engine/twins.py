"""Twins: models of a merged run that differ only in their epochs train as one row of the stack.

A class told "now train it longer" asks for models whose first epochs are the same numbers: a model's weights
at epoch E do not depend on how many epochs it will train (nothing reads the total: no schedule, and each model
shuffles and drops units with its own generator). So a merged run (several visitors' requests, ``alone``) trains
one row per group of such models, to the largest of their epochs, and hands each member the row's state at its
own last epoch: its weights, its history (the rows and evaluations its own request's schedule makes) and its
metrics, bit for bit what it gets alone. The XOR Lab's seed-study class, half of it asking for its own epochs:
3,000 models train as 1,600 rows, and the failed seeds' retry 561 as about 200.

Models with early stopping in their request do not share (a model's best epoch is its request's business), nor
do CNNs (a merged run holds MLPs only). A mixin of :class:`core.engine.trainer.Trainer`, whose attributes it reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch

from core.engine.config import TrainConfig
from core.engine.conv import is_cnn
from core.engine.results import TrainResult, _all_metrics, collect


def group(configs: Sequence[TrainConfig], alone: Sequence[tuple[TrainConfig, ...]]) -> list[list[int]]:
    """The rows of a stack: each row's members (indices into configs), by ascending epochs (then order).

    Models share a row when they differ only in their epochs and no model of their requests stops early;
    only in a merged run (several requests), whose results are handed out per model."""
    if len({id(a) for a in alone}) < 2 or not configs or is_cnn(configs[0]):
        return [[k] for k in range(len(configs))]
    patient = {id(a): any(c.patience for c in a) for a in {id(a): a for a in alone}.values()}
    rows: dict[TrainConfig, int] = {}
    out: list[list[int]] = []
    for k, c in enumerate(configs):
        if patient[id(alone[k])]:
            out.append([k])
            continue
        key = dataclasses.replace(c, epochs=1)
        if key in rows:
            out[rows[key]].append(k)
        else:
            rows[key] = len(out)
            out.append([k])
    for m in out:
        m.sort(key=lambda k: configs[k].epochs)
    return out


def row_config(configs: Sequence[TrainConfig], members: list[int]) -> TrainConfig:
    """What a row trains as: its first member's config, to the largest of its members' epochs."""
    c = configs[members[0]]
    top = max(configs[k].epochs for k in members)
    return c if c.epochs == top else dataclasses.replace(c, epochs=top)


class TwinRows:
    """A Trainer's rows of several members: their results at each member's own end (and live views)."""

    # set by Trainer: inputs (the configs asked for), members (per row: its members), alone_all (per input: its
    # request), _sched (per request: every, last, ends, watch), _log_every, _done, _raw, stopping, K, ...

    def _twin_ends(self) -> set[int]:
        """The epochs at which a member leaves a row that trains on (for the loop to check cheaply)."""
        return {self.inputs[i].epochs for p, m in enumerate(self.members) if len(m) > 1 for i in m
                if self.inputs[i].epochs < self.configs[p].epochs}

    def _position(self, k: int) -> int:
        """The row now holding input model k."""
        seen = self._positions
        if seen is None or seen[0] is not self.members:
            seen = self._positions = (self.members, {i: p for p, m in enumerate(self.members) for i in m})
        return seen[1][k]

    def _members_end(self, e: int) -> None:
        """Epoch e ended: members whose own epochs end here, in rows that train on, get the row's state now."""
        self._settle()  # a pending evaluation of this epoch first
        active = self.stopping.active.tolist()
        due = [p for p, m in enumerate(self.members)
               if active[p] and len(m) > 1 and any(self.inputs[i].epochs == e and i not in self._done for i in m)]
        if not due:
            return
        for p, r in zip(due, collect(self._subset(due))):
            for i in self.members[p]:
                if self.inputs[i].epochs == e and i not in self._done:
                    self._done[i] = self._as_member(r, i)
                    self._raw[i] = (e, 0)  # as alone: it stops at its own epochs, no early stopping

    def _leave(self, p: int, r: TrainResult, raw: tuple[int, int]) -> dict[int, TrainResult]:
        """Row p's result r as each of its members' not handed out yet (its raw (stopped, best) epochs too).
        A merged run that thins its log keeps rows its other requests evaluated: each model keeps its own."""
        out = {}
        for i in self.members[p]:
            if i not in self._done:
                alone = len(self.members[p]) == 1 and (self._log_every == 1 or not self.merged)
                out[i] = r if alone else self._as_member(r, i)
                self._raw[i] = raw
        return out

    def _as_member(self, r: TrainResult, i: int) -> TrainResult:
        """A row's result as its member i's: i's config, the rows i's own request logs (its evaluations, every
        log_every-th epoch, a divergence) and its metrics then, the row's weights and final metrics."""
        cols = r.history_columns()
        ep = cols["epoch"]
        every, last, ends, watch = self._sched[id(self.alone_all[i])]
        own = (ep % every == 0) | (ep == last) | np.isin(ep, list(ends)) | watch
        keep = own | (ep % self._log_every == 0)
        if r.diverged and len(ep):
            keep[-1] = True  # a diverged model's history ends at the epoch it diverged
        own = own[keep]
        hist: dict[str, np.ndarray] = {"epoch": ep[keep]}
        for name, a in cols.items():
            if name != "epoch":
                hist[name] = a[keep] if name == "train_loss" else np.where(own, a[keep], np.nan).astype(a.dtype)
        frame = {name: a[:, None] for name, a in hist.items() if name != "epoch"}  # as the log's [E, K = 1]
        metrics = {k: v for k, v in r.metrics.items() if k not in cols}  # the weights' own (final_*)
        metrics.update(_all_metrics(frame, hist["epoch"], np.array([len(hist["epoch"])]), [0], [0])[0])
        return dataclasses.replace(r, config=self.inputs[i], history=hist, metrics=metrics, state=dict(r.state),
                                   extra=dict(r.extra))

    def _rows_due(self, row: np.ndarray, index: dict[int, int]) -> torch.Tensor:
        """Whether each row evaluates an epoch: any of its members' requests does (row: per request [G])."""
        m = self.members
        flat = np.array([index[id(self.alone_all[i])] for x in m for i in x])
        starts = np.cumsum([0] + [len(x) for x in m[:-1]])
        return torch.from_numpy(np.logical_or.reduceat(row[flat], starts))


def trim_columns(results: Sequence[TrainResult]) -> None:
    """One request's results from a merged run: drop the metric columns no model of it has a value in (alone,
    its log would not have them: nothing evaluated before its models stopped; others' evaluations made them)."""
    cols = [r.history_columns() for r in results]
    names = {n for c in cols for n in c if n not in ("epoch", "train_loss")}
    empty = {n for n in names if all(np.isnan(c[n]).all() for c in cols if n in c)}
    if not empty:
        return
    for r, c in zip(results, cols):
        r.history = {n: a for n, a in c.items() if n not in empty}


def trim_requests(results: dict[int, TrainResult], alone: Sequence[tuple[TrainConfig, ...]]) -> None:
    """:func:`trim_columns` for each request of a merged run (``alone``: each model's request)."""
    requests: dict[int, list[TrainResult]] = {}
    for i, a in enumerate(alone):
        requests.setdefault(id(a), []).append(results[i])
    for rs in requests.values():
        trim_columns(rs)
