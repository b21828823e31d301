"""What a tuning study trains, as the server prices it: every trial at the largest network the search
space allows, one after the other (the bound), and the mean trial of the space (what it likely costs).
:mod:`core.serve.price` prices this (``check_study``)."""

from __future__ import annotations

import itertools
import math
from typing import Any

from core.datasets import digits, mnist
from core.serve.cost import LOAD_BYTES, stack_price
from core.serve.workload import DataShape, Lower, Net, Stack, Workload

WIDTH_QUANTILES = (0.1, 0.3, 0.5, 0.7, 0.9)  # where the mean trial samples the log-uniform widths


def _mean_trial_seconds(space: Any, epochs: int, data: DataShape) -> float:
    """The CPU seconds of the mean trial: the trial's price averaged over the space as the sampler draws
    it (width log-uniform, at five quantiles; every layer count and batch size alike). Every epoch is
    priced: a pruned trial that stops early makes it err high."""
    lo, hi = max(1, space.width_min), max(1, space.width_max)
    widths = {max(1, round(lo * (hi / lo) ** q)) for q in WIDTH_QUANTILES}
    layers = range(min(space.layers_min, space.layers_max), space.layers_max + 1)
    batches = space.batch_sizes or (32,)
    costs = [stack_price([Net((w,) * n, epochs, b)], data).seconds for w, n, b in itertools.product(widths, layers,
                                                                                                      batches)]
    return math.fsum(costs) / len(costs)


def study(st: Any, space: Any) -> Workload:
    """A StudySettings' trials on ``space`` (a SearchSpace): each trial the widest and deepest network at
    the smallest batch, on all the training rows of its data set (MNIST's priced whole: it errs high);
    likely_seconds: the mean trial. A worker reads the 8x8 digits once, through scikit-learn (when its data
    folder has no copy yet): what that leaves held (LOAD_BYTES) stays through every trial. Its seconds are
    not added: read once, they are less than what every trial's price counts for torch's first calls."""
    if st.dataset == "digits":
        n_all, n_test, F = digits.TRAIN_ROWS, digits.TEST_ROWS, digits.FEATURES
        held = LOAD_BYTES
    else:
        n_all, n_test, F = mnist.TRAIN_ROWS, mnist.TEST_ROWS, mnist.FEATURES
        held = 0
    n_val = int(round(st.val_fraction * n_all))
    batch = min(space.batch_sizes) if space.batch_sizes else 32
    epochs = max(1, st.epochs)
    data = DataShape(n_all - n_val, F, 10, n_val + n_test, held)
    trial = Net((space.width_max,) * space.layers_max, epochs, batch)
    lower = (Lower("fewer trials", memory=False), Lower("fewer epochs", memory=False),
             Lower("fewer or narrower layers"))
    return Workload((Stack((trial,), data),), repeat=max(1, st.n_trials), lower=lower,
                    likely_seconds=_mean_trial_seconds(space, epochs, data))
