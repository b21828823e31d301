"""What a tuning study trains, as the server prices it: every trial at the largest network the search
space allows, one after the other. :mod:`core.serve.price` prices this (``check_study``)."""

from __future__ import annotations

from typing import Any

from core.datasets import digits, mnist
from core.serve.workload import DataShape, Lower, Net, Stack, Workload


def study(st: Any, space: Any) -> Workload:
    """A StudySettings' trials on ``space`` (a SearchSpace): each trial the widest and deepest network at
    the smallest batch, on all the training rows of its data set (MNIST's priced whole: it errs high)."""
    if st.dataset == "digits":
        n_all, n_test, F = digits.TRAIN_ROWS, digits.TEST_ROWS, digits.FEATURES
    else:
        n_all, n_test, F = mnist.TRAIN_ROWS, mnist.TEST_ROWS, mnist.FEATURES
    n_val = int(round(st.val_fraction * n_all))
    batch = min(space.batch_sizes) if space.batch_sizes else 32
    trial = Net((space.width_max,) * space.layers_max, max(1, st.epochs), batch)
    lower = (Lower("fewer trials", memory=False), Lower("fewer epochs", memory=False),
             Lower("fewer or narrower layers"))
    return Workload((Stack((trial,), DataShape(n_all - n_val, F, 10, n_val + n_test)),), repeat=max(1, st.n_trials),
                    lower=lower)
