"""bench.classroom's compute floor: the class's training matmul FLOPs, counted from the runs it trained (no
timings here)."""

from __future__ import annotations

import numpy as np

from bench.classroom import matmul_rate, train_flops
from core.datasets import make_dataset
from core.engine import TrainConfig, fit


def test_train_flops_counts_each_model_s_steps_and_the_epochs_it_trained():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 3)).astype(np.float32), (rng.random(10) > 0.5).astype(np.float32)
    data = make_dataset(X, y, task="binary")
    configs = [TrainConfig(hidden=(4,), batch_size=4, epochs=e, seed=1) for e in (3, 5)]
    results = fit(configs, data)
    assert [r.stopped_epoch for r in results] == [3, 5]
    # widths 3 -> 4 -> 1: 16 weights; a step of 4 rows is 6 x 4 x 16 FLOPs; 10 rows are 3 steps an epoch
    assert train_flops(configs, data, results) == 6 * 4 * 16 * 3 * (3 + 5)
    whole = [TrainConfig(hidden=(4,), batch_size=0, epochs=2, seed=1)]  # the whole set as one batch
    assert train_flops(whole, data, fit(whole, data)) == 6 * 10 * 16 * 2
    # early stopping: the epochs it trained, not the epochs it was allowed
    held = make_dataset(X, y, task="binary", val_fraction=0.3)
    stopping = [TrainConfig(hidden=(4,), batch_size=0, epochs=500, patience=2, lr=0.5, seed=1)]
    r = fit(stopping, held)[0]
    assert r.stopped_epoch < 500
    assert train_flops(stopping, held, [r]) == 6 * len(held.X_train) * 16 * r.stopped_epoch


def test_the_matmul_rate_is_a_rate():
    assert 1e8 < matmul_rate(1, size=128) < 1e14
