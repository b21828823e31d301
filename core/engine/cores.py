"""How many CPU cores a run uses: threads per training step, and how fit() splits a stack over cores.

Measured on this app's runs: a small step is fastest on one thread (splitting tiny ops costs more
than it saves), and under contention (another training in this server, another process) torch's
thread pool waits cost 6-10x, so a run takes every thread only when the machine is otherwise idle.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence

import torch

from core.datasets import Dataset
from core.engine.activations import REGISTRY
from core.engine.config import TrainConfig
from core.engine.stack import activation_runs

SMALL_STEP_FLOPS = 2e7  # below this per training step, train on one thread
MERGED_CORES: int | None = None  # cores a merged run may split over (None: the machine's; a worker: its pool's share)
_ACTIVE = [0]  # trainings running in this process now
_ACTIVE_LOCK = threading.Lock()


def machine_busy() -> bool:
    """Another training runs in this process, or more tasks want the CPU than it has cores (1-minute load)."""
    if _ACTIVE[0] > 0:
        return True
    try:
        return os.getloadavg()[0] > (os.cpu_count() or 1)
    except OSError:
        return False


@contextlib.contextmanager
def training_threads(step_flops: float) -> Iterator[bool]:
    """Hold while a run trains with step_flops per step; yields whether a spare core is free for helpers.

    Sets torch to one thread for a small step or a busy machine (measured: the Activation Explorer's
    24-model stack 5.9 s on one thread vs 35.8 s on two with the CPU busy; 100 XOR nets 0.4 s vs
    4-15 s), counts the run as active, and restores the thread count after.
    """
    prev_threads = torch.get_num_threads()
    busy = machine_busy()
    if prev_threads > 1 and (step_flops < SMALL_STEP_FLOPS or busy):
        torch.set_num_threads(1)
    spare_core = (os.cpu_count() or 1) > 1 and not busy
    with _ACTIVE_LOCK:
        _ACTIVE[0] += 1
    try:
        yield spare_core
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE[0] -= 1
        if torch.get_num_threads() != prev_threads:
            torch.set_num_threads(prev_threads)


def model_step_flops(config: TrainConfig, data: Dataset) -> float:
    """Matmul FLOPs of one model's training step (forward and backward) on one batch of ``data``."""
    n_rows = len(data.X_train)
    B = n_rows if config.batch_size <= 0 else min(config.batch_size, n_rows)
    widths = [data.n_features, *config.hidden, data.n_outputs]
    return 6 * B * sum(widths[i] * widths[i + 1] for i in range(len(widths) - 1))


def gil_bound(configs: Sequence[TrainConfig], data: Dataset) -> bool:
    """The stack's training step is so small (under SMALL_STEP_FLOPS) that its time is Python's and
    torch's per-call overhead, spent holding the interpreter lock: two such runs in one process take
    turns on it rather than using two cores (measured: a class's XOR retries, 12 visitors' 155 models,
    19.5 s beside another such run against 2.4 s alone)."""
    return len(configs) * model_step_flops(configs[0], data) < SMALL_STEP_FLOPS


def shard_plan(configs: Sequence[TrainConfig], data: Dataset, cores: int | None = None) -> list[list[int]]:
    """How fit() splits a stack over the CPU's cores: lists of model indices, model 0 in the first.

    One list (no split) unless the machine has idle cores, the stack has several models and each
    part's training step is big enough (SMALL_STEP_FLOPS) to pay for a thread. Parts keep runs of one
    activation together and are balanced by estimated cost (the registry's ``cost``). Measured on the
    Activation Explorer's 24 models: two parts of 12 on one thread each beat one stack on two threads
    by 1.3-1.4x, since the activations' elementwise kernels (a third of the step) are too small for
    torch to split.
    """
    K = len(configs)
    if cores is None:
        cores = torch.get_num_threads() if not machine_busy() else 1
    if K < 2 or cores < 2:
        return [list(range(K))]
    per_model = model_step_flops(configs[0], data)
    n = min(cores, K, int(K * per_model // SMALL_STEP_FLOPS))
    if n < 2:
        return [list(range(K))]
    runs = [list(range(lo, hi)) for lo, hi in activation_runs(configs)]
    while len(runs) < n:  # fewer runs than parts: halve the largest
        big = max(range(len(runs)), key=lambda i: len(runs[i]))
        r = runs.pop(big)
        runs[big:big] = [r[:len(r) // 2], r[len(r) // 2:]]
    return _balance(runs, lambda run: len(run) * (1.0 + REGISTRY[configs[run[0]].activation].cost), n)


def merged_plan(configs: Sequence[TrainConfig], data: Dataset, owners: Sequence[tuple[int, int]],
                cores: int | None = None) -> list[list[int]]:
    """How fit() splits a merged run (several visitors' stacks, ``owners``' (start, end) ranges) over the
    CPU's cores: lists of model indices, each request whole in one part, model 0 in the first.

    Every part trains on one thread, so each model's numbers stay those of its run alone (one thread per
    stack). Parts are balanced by estimated cost (models x epochs x the activation's ``cost``, longest first)
    and made only where each part's training step is big enough to pay for a thread (SMALL_STEP_FLOPS): 30
    Digit Recognizer runs split in two, a class's XOR nets (a few hundred FLOPs a model) never. Unlike
    :func:`shard_plan` it does not wait for an idle machine: a merged run holds one place in a server's
    queue for a whole class, and one thread each cannot make torch's thread pool spin.
    """
    K = len(configs)
    if cores is None:
        cores = MERGED_CORES or os.cpu_count() or 1
    if K < 2 or cores < 2 or len(owners) < 2:
        return [list(range(K))]
    per_model = model_step_flops(configs[0], data)
    n = min(cores, len(owners), int(K * per_model // SMALL_STEP_FLOPS))
    if n < 2:
        return [list(range(K))]
    requests = [list(range(lo, hi)) for lo, hi in owners]
    return _balance(requests, lambda req: sum(configs[k].epochs * (1.0 + REGISTRY[configs[k].activation].cost)
                                              for k in req), n)


def _balance(groups: list[list[int]], cost: Callable[[list[int]], float], n: int) -> list[list[int]]:
    """Groups of model indices dealt into at most n parts, each whole, longest processing time first (each to
    the part with the least cost so far); parts sorted, in order of their first model."""
    parts: list[list[int]] = [[] for _ in range(n)]
    load = [0.0] * n
    for g in sorted(groups, key=cost, reverse=True):
        i = min(range(n), key=load.__getitem__)
        parts[i] += g
        load[i] += cost(g)
    return sorted((sorted(p) for p in parts if p), key=lambda p: p[0])
