"""Models that stop leave a stack: a trainer's results for them are made at once and the rest train on
as a smaller stack (what lets a merged run of many visitors hand each its results when its own models
stop, and stop costing). A mixin of :class:`core.engine.trainer.Trainer`, whose attributes it reads."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from core.engine.backprop import Backprop, Penalty
from core.engine.evaluation import Evaluator
from core.engine.optim import Optimizer
from core.engine.results import TrainResult, collect
from core.engine.stack import Stack
from core.engine.twins import trim_columns


class LeavingModels:
    """finished(), model_seconds() and the compaction of a Trainer's stack."""

    def elapsed(self) -> float:
        """The stack's training seconds so far, the run now going included."""
        return self.seconds + (0.0 if self._t_run is None else time.perf_counter() - self._t_run)

    def model_seconds(self) -> float:
        """Each model's share of the training seconds: the stack's time while it was in it, over the
        models in it then (a model that left a merged run early gets its share up to then)."""
        return self._share_s + (self.elapsed() - self._mark) / self.K

    def finished(self, ids: Sequence[int]) -> list[TrainResult] | None:
        """The results of the models ``ids`` (original indices, one request's) once all have left the
        stack, else None (a merged run hands a visitor its results as soon as its own models stop)."""
        if not all(i in self._done for i in ids):
            return None
        end = max(self._raw[i][0] for i in ids)
        for i in ids:
            self._done[i].stopped_epoch, self._done[i].best_epoch = self._raw[i][0] or end, self._raw[i][1] or end
        out = [self._done[i] for i in ids]
        if self.merged:
            trim_columns(out)
        return out

    COMPACT_SHARE = 0.125  # leave when this share of the stack (or 4 models) has stopped

    def _compact(self) -> None:
        """Models that stopped leave: their results are made now, the rest train on as a smaller stack."""
        mask = self.stopping.active  # replaced, never edited, when a model stops: a mask seen is decided
        if mask is self._compact_seen:
            return
        self._compact_seen = mask
        off = int((~mask).sum())
        if off == 0 or off == self.K or (off < 4 and off < self.COMPACT_SHARE * self.K):
            return
        self._settle()  # a pending evaluation's decisions first
        active = self.stopping.active.tolist()
        keep = [p for p in range(self.K) if active[p]]
        gone = [p for p in range(self.K) if not active[p]]
        if not keep:
            return
        share = self.model_seconds()
        self._share_s, self._mark = share, self.elapsed()
        done = self._subset(gone)
        for p, r in zip(gone, collect(done)):
            self._done.update(self._leave(p, r, (int(self.stopping.stopped[p]), int(self.stopping.best_epoch[p]))))
        new = self._subset(keep)
        helper = self.evaluator.helper
        self.evaluator.stop_helper()
        for name in ("configs", "stack", "dropout", "backprop", "optim", "evaluator", "stopping", "log", "alone",
                     "ids", "members", "_ends"):
            setattr(self, name, getattr(new, name))
        if helper:
            self.evaluator.start_helper()

    def _subset(self, keep: list[int]) -> Any:
        """A trainer of the models ``keep`` (positions now) in the state they are in."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.configs = [self.configs[p] for p in keep]
        assert isinstance(self.stack, Stack)
        new.stack = self.stack.subset(keep)
        new.dropout = self.dropout.subset(keep)
        new.backprop = Backprop(new.stack, new.dropout, Penalty(new.configs), self.data.y_train.dtype)
        new.optim = Optimizer(new.configs, new.stack.layout, new.stack.flat, new.stack.grad_buf)
        m, v = self.optim.state_rows()
        new.optim.load_rows(m[keep], v[keep], self.optim.step_count)
        new.evaluator = Evaluator(new.stack, self.data)
        new.stopping = self.stopping.subset(keep, new.stack.layout, new.stack.flat)
        new.log = self.log.subset(keep)
        new.alone = [self.alone[p] for p in keep]
        new.ids = [self.ids[p] for p in keep]
        new.members = [self.members[p] for p in keep]
        new._ends = new._twin_ends()
        return new
