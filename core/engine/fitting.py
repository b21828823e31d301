"""fit(): train a list of configs to results, past the run guard before anything is allocated.

(Named fitting, not fit: core.engine re-exports the function fit, which would hide a module of that name.)

The models train as one batched stack, or as a few stacks side by side on the machine's idle
cores (:func:`~core.engine.cores.shard_plan`); each model ends where it would alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import torch

from core.datasets import Dataset
from core.engine.config import TrainConfig
from core.engine.cores import shard_plan
from core.engine.guard import deadline_within, guarded
from core.engine.results import TrainResult
from core.engine.trainer import ProgressFn, Trainer, default_eval_every


def fit(configs: Sequence[TrainConfig], data: Dataset, progress: ProgressFn | None = None,
        eval_every: int | None = None, deadline: float | None = None) -> list[TrainResult]:
    """Train every config to its own epochs; one result per config, in order.

    The run guard (:mod:`core.engine.guard`) sees every config once, before any weights exist:
    a refused request allocates nothing. ``progress`` is called from this thread with the first
    stack's trainer. ``deadline`` (``time.monotonic()`` seconds): see :meth:`Trainer.run`.
    """
    plan = shard_plan(configs, data)
    t0 = time.perf_counter()
    with guarded(configs, data) as limit:  # hosted: priced and queued here; may cap the wall-clock time
        deadline = deadline_within(limit, deadline)
        trainers = [Trainer([configs[k] for k in part], data) for part in plan]  # here: seeding is global
        if len(trainers) == 1:
            trainers[0].run_unguarded(None, progress, eval_every, 0.25, deadline)
        else:
            every = default_eval_every(configs) if eval_every is None else eval_every  # as one stack would
            _side_by_side(trainers, progress, every, deadline)
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
