"""fit(): train a list of configs to results, past the run guard before anything is allocated.

(Named fitting, not fit: core.engine re-exports the function fit, which would hide a module of that name.)

The models train as one batched stack, or as a few stacks side by side on the machine's idle
cores (:func:`~core.engine.cores.shard_plan`); each model ends where it would alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch

from core.datasets import Dataset
from core.engine.config import TrainConfig
from core.engine.conv import is_cnn
from core.engine.cores import merged_plan, shard_plan
from core.engine.guard import deadline_within, guarded
from core.engine.results import TrainResult
from core.engine.trainer import ProgressFn, Trainer, default_eval_every


def fit(configs: Sequence[TrainConfig], data: Dataset, progress: ProgressFn | None = None,
        eval_every: int | None = None, deadline: float | None = None,
        owners: Sequence[tuple[int, int]] | None = None, log_every: int = 1) -> list[TrainResult]:
    """Train every config to its own epochs; one result per config, in order.

    The run guard (:mod:`core.engine.guard`) sees every config once, before any weights exist:
    a refused request allocates nothing. ``progress`` is called from this thread with the first
    stack's trainer. ``deadline`` (``time.monotonic()`` seconds): see :meth:`Trainer.run`.

    ``owners``: (start, end) of each request merged into this run (several visitors' stacks of one
    shape on one data set): each model then ends exactly as its own request's fit would end it (its
    evaluation schedule and early stopping are its request's, and the run trains on one thread per
    stack; big runs as a few stacks side by side, each request whole in one, :func:`~core.engine.cores.
    merged_plan`). Models that stop leave the stack, so a stopped model costs nothing more. ``progress``
    then sees a :class:`MergedParts` when the run is split.
    """
    if owners is None:
        owners = [(0, len(configs))]
    stacks = [tuple(configs[lo:hi]) for lo, hi in owners]  # one object per visitor's stack: the trainer groups by it
    alone = [stack for stack, (lo, hi) in zip(stacks, owners) for _ in range(lo, hi)]
    if len(alone) != len(configs):
        raise ValueError("owners must cover every config once, in order")
    merged = len(owners) > 1
    for hook in _merge_point:
        merged_results = None if merged else hook(configs, data, progress, eval_every, deadline, log_every)
        if merged_results is not None:
            return merged_results
    plan = [_by_activation(part, configs) for part in merged_plan(configs, data, owners)] if merged else \
        shard_plan(configs, data)
    t0 = time.perf_counter()
    with guarded(configs, data) as limit:  # hosted: priced and queued here; may cap the wall-clock time
        deadline = deadline_within(limit, deadline)
        trainers = [Trainer([configs[k] for k in part], data, [alone[k] for k in part])
                    for part in plan]  # here: seeding is global
        stops = len({(c.epochs, c.patience) for c in configs}) > 1 or any(c.patience for c in configs)
        for tr in trainers:
            tr.compact = merged or (stops and tr.K > 1 and not is_cnn(configs[0]))
            tr.one_thread = merged
        parts = MergedParts(trainers, plan) if merged else None
        if parts is not None and len(trainers) == 1:
            trainers[0].run_unguarded(None, parts.reports(progress)[0], eval_every, 0.25, deadline, log_every)
            parts.end(trainers[0])
        elif parts is not None:
            _side_by_side(trainers, parts.reports(progress), eval_every, deadline, after=parts.end,
                          log_every=log_every)
        elif len(trainers) == 1:
            trainers[0].run_unguarded(None, progress, eval_every, 0.25, deadline, log_every)
        else:
            every = default_eval_every(configs) if eval_every is None else eval_every  # as one stack would
            _side_by_side(trainers, [progress] + [None] * (len(trainers) - 1), every, deadline, log_every=log_every)
    if parts is not None:
        return parts.results()
    if len(trainers) == 1:
        return trainers[0].results()
    wall = time.perf_counter() - t0
    results: list[TrainResult | None] = [None] * len(configs)
    for part, tr in zip(plan, trainers):
        for k, r in zip(part, tr.results()):
            r.seconds = wall / len(configs)  # as for one stack: the results' seconds add up to the wall time
            r.extra["stacks"] = len(plan)
            results[k] = r
    return [r for r in results if r is not None]


def _by_activation(part: list[int], configs: Sequence[TrainConfig]) -> list[int]:
    """A merged part's models with each activation's together (in order of first appearance, else as given):
    the stack applies an activation once per run of it, and visitors' requests of the Activation Explorer
    (each model its own activation) made one run per model (88 models: 88 calls per layer and step, not 8).
    Each model's numbers are the same at any place in a stack (core.engine.stack.stacks_exactly)."""
    first: dict[str, int] = {}
    for k in part:
        first.setdefault(configs[k].activation, len(first))
    return sorted(part, key=lambda k: first[configs[k].activation])


MergePoint = Callable[[Sequence[TrainConfig], Dataset, "ProgressFn | None", "int | None", "float | None", int],
                     "list[TrainResult] | None"]
_merge_point: list[MergePoint] = []


def set_merge_point(hook: MergePoint | None) -> None:
    """Install ``hook(configs, data, progress, eval_every, deadline, log_every)``, asked first by every fit(): it may
    train the request together with others of one shape (a shared server's merge, core.serve.merge) and
    return its results, or return None to let fit() train it here. None removes it."""
    _merge_point.clear()
    if hook is not None:
        _merge_point.append(hook)


def _side_by_side(trainers: list[Trainer], reports: list[ProgressFn | None], eval_every: int | None,
                  deadline: float | None, after: Callable[[Trainer], None] | None = None, log_every: int = 1) -> None:
    """Train each stack on its own core (one thread each), with its own progress (``reports``); the first on
    this thread. ``after(trainer)`` on each one's thread when its run ends."""
    for tr in trainers:
        tr.helpers = False  # every core is busy with a stack already

    def train(tr: Trainer, report: ProgressFn | None) -> None:
        torch.set_num_threads(1)  # each stack on its own core
        tr.run_unguarded(None, report, eval_every, 0.25, deadline, log_every)
        if after is not None:
            after(tr)

    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(len(trainers) - 1, thread_name_prefix="nnlab-shard") as pool:
            futures = [pool.submit(train, tr, r) for tr, r in zip(trainers[1:], reports[1:])]
            try:
                train(trainers[0], reports[0])
            except BaseException:  # e.g. Streamlit stopping the script: the other stacks stop too
                for tr in trainers[1:]:
                    tr.cancelled = True
                raise
            for f in futures:
                f.result()
    finally:
        torch.set_num_threads(prev)


class MergedParts:
    """A merged run (split over cores by :func:`~core.engine.cores.merged_plan`, each part's models ordered by
    activation), as its progress sees it: one trainer's face (``epoch``, ``finished``, ``history``,
    ``cancelled``) over the parts, by the run's own model indices. Each request is whole in one part; a part
    that ends hands its requests their results then, not when the slowest part ends."""

    def __init__(self, trainers: list[Trainer], plan: list[list[int]]) -> None:
        self.trainers, self.plan = trainers, plan
        self.K = sum(len(p) for p in plan)
        self._where = {k: (t, j) for t, part in enumerate(plan) for j, k in enumerate(part)}
        self._threads: dict[int, int] = {}  # part -> the thread training it
        self._ended: dict[int, list[TrainResult]] = {}  # part -> its results, once its run ended
        self._lock = threading.Lock()
        self._progress: ProgressFn | None = None

    @property
    def epoch(self) -> int:
        return max(tr.epoch for tr in self.trainers)

    def epoch_of(self, ids: Sequence[int]) -> int:
        """The epoch the part holding models ``ids`` (one request's) has reached."""
        return self.trainers[self._where[ids[0]][0]].epoch

    @property
    def cancelled(self) -> bool:
        return all(tr.cancelled for tr in self.trainers)

    @cancelled.setter
    def cancelled(self, value: bool) -> None:
        for tr in self.trainers:
            tr.cancelled = value

    def history(self, k: int | None = None) -> Any:
        """Model k's history (as Trainer.history); k is required."""
        if k is None:
            raise ValueError("a merged run split over cores gives one model's history at a time")
        t, j = self._where[k]
        return self.trainers[t].history(j)

    def finished(self, ids: Sequence[int]) -> list[TrainResult] | None:
        """The results of models ``ids`` (one request's) once they have all stopped, else None. A running
        part answers only on its own thread (its stack changes there); an ended one, on any."""
        t = self._where[ids[0]][0]
        with self._lock:
            done = self._ended.get(t)
        local = [self._where[k][1] for k in ids]
        if done is not None:
            return [done[j] for j in local]
        if self._threads.get(t) != threading.get_ident():
            return None
        return self.trainers[t].finished(local)

    def reports(self, progress: ProgressFn | None) -> list[ProgressFn | None]:
        """Each part's progress callback: ``progress`` with this view, from the part's own thread."""
        def report(t: int) -> ProgressFn:
            def call(epoch: int, total: int, _tr: Trainer) -> None:
                self._threads[t] = threading.get_ident()
                if progress is not None:
                    progress(self.epoch, total, self)  # type: ignore[arg-type]
            return call
        self._progress = progress
        return [report(t) for t in range(len(self.trainers))]

    def end(self, tr: Trainer) -> None:
        """A part's run ended (on its thread): its results now, and one more report so its requests get them."""
        t = self.trainers.index(tr)
        results = tr.results()
        with self._lock:
            self._ended[t] = results
        if self._progress is not None:
            self._progress(self.epoch, int(tr.stopping.max_epochs.max()), self)  # type: ignore[arg-type]

    def results(self) -> list[TrainResult]:
        """One result per model of the run, in its order."""
        out: list[TrainResult | None] = [None] * self.K
        for t, part in enumerate(self.plan):
            done = self._ended.get(t) or self.trainers[t].results()
            for j, k in enumerate(part):
                out[k] = done[j]
        return [r for r in out if r is not None]
