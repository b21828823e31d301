"""fit(): train a list of configs to results, past the run guard before anything is allocated.

(Named fitting, not fit: core.engine re-exports the function fit, which would hide a module of that name.)

The models train as one batched stack, or as a few stacks side by side on the machine's idle
cores (:func:`~core.engine.cores.shard_plan`); each model ends where it would alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import torch

from core.datasets import Dataset
from core.engine.config import TrainConfig
from core.engine.conv import is_cnn
from core.engine.cores import shard_plan
from core.engine.guard import deadline_within, guarded
from core.engine.results import TrainResult
from core.engine.trainer import ProgressFn, Trainer, default_eval_every


def fit(configs: Sequence[TrainConfig], data: Dataset, progress: ProgressFn | None = None,
        eval_every: int | None = None, deadline: float | None = None,
        owners: Sequence[tuple[int, int]] | None = None) -> list[TrainResult]:
    """Train every config to its own epochs; one result per config, in order.

    The run guard (:mod:`core.engine.guard`) sees every config once, before any weights exist:
    a refused request allocates nothing. ``progress`` is called from this thread with the first
    stack's trainer. ``deadline`` (``time.monotonic()`` seconds): see :meth:`Trainer.run`.

    ``owners``: (start, end) of each request merged into this run (several visitors' stacks of one
    shape on one data set): each model then ends exactly as its own request's fit would end it (its
    evaluation schedule and early stopping are its request's, and the run trains on one thread per
    stack). Models that stop leave the stack, so a stopped model costs nothing more.
    """
    if owners is None:
        owners = [(0, len(configs))]
    stacks = [tuple(configs[lo:hi]) for lo, hi in owners]  # one object per visitor's stack: the trainer groups by it
    alone = [stack for stack, (lo, hi) in zip(stacks, owners) for _ in range(lo, hi)]
    if len(alone) != len(configs):
        raise ValueError("owners must cover every config once, in order")
    merged = len(owners) > 1
    for hook in _merge_point:
        merged_results = None if merged else hook(configs, data, progress, eval_every, deadline)
        if merged_results is not None:
            return merged_results
    plan = [list(range(len(configs)))] if merged else shard_plan(configs, data)  # merged: one stack, one thread
    t0 = time.perf_counter()
    with guarded(configs, data) as limit:  # hosted: priced and queued here; may cap the wall-clock time
        deadline = deadline_within(limit, deadline)
        trainers = [Trainer([configs[k] for k in part], data, [alone[k] for k in part])
                    for part in plan]  # here: seeding is global
        stops = len({(c.epochs, c.patience) for c in configs}) > 1 or any(c.patience for c in configs)
        for tr in trainers:
            tr.compact = merged or (stops and tr.K > 1 and not is_cnn(configs[0]))
            tr.one_thread = merged
        if len(trainers) == 1:
            trainers[0].run_unguarded(None, progress, eval_every, 0.25, deadline)
        else:
            every = default_eval_every(configs) if eval_every is None else eval_every  # as one stack would
            _side_by_side(trainers, progress, every if not merged else eval_every, deadline)
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


MergePoint = Callable[[Sequence[TrainConfig], Dataset, "ProgressFn | None", "int | None", "float | None"],
                     "list[TrainResult] | None"]
_merge_point: list[MergePoint] = []


def set_merge_point(hook: MergePoint | None) -> None:
    """Install ``hook(configs, data, progress, eval_every, deadline)``, asked first by every fit(): it may
    train the request together with others of one shape (a shared server's merge, core.serve.merge) and
    return its results, or return None to let fit() train it here. None removes it."""
    _merge_point.clear()
    if hook is not None:
        _merge_point.append(hook)


def _side_by_side(trainers: list[Trainer], progress: ProgressFn | None, eval_every: int,
                  deadline: float | None) -> None:
    """Train each stack on its own core (one thread each); the first on this thread, with progress."""
    for tr in trainers:
        tr.helpers = False  # every core is busy with a stack already

    def train(tr: Trainer, report: ProgressFn | None) -> None:
        torch.set_num_threads(1)  # each stack on its own core
        tr.run_unguarded(None, report, eval_every, 0.25, deadline)

    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(len(trainers) - 1, thread_name_prefix="nnlab-shard") as pool:
            futures = [pool.submit(train, tr, None) for tr in trainers[1:]]
            try:
                train(trainers[0], progress)
            except BaseException:  # e.g. Streamlit stopping the script: the other stacks stop too
                for tr in trainers[1:]:
                    tr.cancelled = True
                raise
            for f in futures:
                f.result()
    finally:
        torch.set_num_threads(prev)
