"""Maths the pages show, in core: XOR surfaces and verdicts (core.xor.surfaces), digit accuracy counts
and the regulariser pairs (core.digits.metrics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core import xor
from core.digits import DigitsConfig
from core.digits import metrics as dm
from core.xor import surfaces


@pytest.fixture(scope="module")
def xor_results():
    return xor.run_seed_study(xor.SeedStudyConfig(n_seeds=4, epochs=300))


def test_unit_square_grid_covers_the_four_points_with_a_margin():
    g = surfaces.unit_square_grid(41)
    assert g.shape == (41 * 41, 2) and g.dtype == np.float32
    assert g.min() == pytest.approx(-0.5) and g.max() == pytest.approx(1.5)
    for corner in ([0, 0], [0, 1], [1, 0], [1, 1]):
        assert np.isclose(g, corner, atol=1e-6).all(axis=1).any()  # 0 and 1 are grid points


def test_probability_surface_is_the_models_sigmoid_output(xor_results):
    r = xor_results[0]
    s = surfaces.probability_surface(r, steps=11)
    assert list(s.columns) == ["x1", "x2", "p"] and len(s) == 121
    assert ((s.p > 0) & (s.p < 1)).all()
    X = torch.tensor(s[["x1", "x2"]].to_numpy(), dtype=torch.float32)
    with torch.no_grad():
        want = torch.sigmoid(r.model()(X))[:, 0].numpy()
    np.testing.assert_allclose(s.p.to_numpy(), want, rtol=1e-6)


def test_a_solving_seeds_surface_matches_xor_at_the_corners(xor_results):
    sm = surfaces.seed_summary(xor_results)
    k = int(np.flatnonzero(sm.solved)[0])
    s = surfaces.probability_surface(xor_results[k], steps=41)
    at = {(round(a, 3), round(b, 3)): p for a, b, p in s.itertuples(index=False)}
    for x1, x2, label in surfaces.XOR_POINTS.itertuples(index=False):
        assert (at[(x1, x2)] > 0.5) == bool(label)


def test_solves_xor_needs_all_four_on_the_right_side():
    target = np.array([0, 1, 1, 0])
    assert surfaces.solves_xor(np.array([0.1, 0.9, 0.8, 0.2]), target)
    assert not surfaces.solves_xor(np.array([0.1, 0.9, 0.8, 0.6]), target)
    assert not surfaces.solves_xor(np.array([0.1, 0.5, 0.8, 0.2]), target)  # 0.5 is not above 0.5


def test_compare_verdicts_read_the_last_loss_and_the_outputs():
    preds = pd.DataFrame({"NumPy": [0.1, 0.9, 0.9, 0.1], "PyTorch": [0.6, 0.9, 0.9, 0.1], "target": [0, 1, 1, 0]})
    losses = pd.DataFrame({"net": ["NumPy (hand)", "NumPy (hand)", "PyTorch"], "loss": [0.5, 0.01, 0.3]})
    v = {x.name: x for x in surfaces.compare_verdicts(preds, losses)}
    assert v["NumPy"].solved and v["NumPy"].final_loss == 0.01
    assert not v["PyTorch"].solved and v["PyTorch"].final_loss == 0.3


def test_seed_summary_counts(xor_results):
    sm = surfaces.seed_summary(xor_results)
    assert sm.n == 4 and sm.n_solved == int(xor.solved(xor_results).sum())
    assert sorted(sm.failed + list(np.flatnonzero(sm.solved))) == [0, 1, 2, 3]
    assert sm.median_loss == pytest.approx(np.median([r.metrics["final_train_loss"] for r in xor_results]))
    assert sm.n_diverged == 0 and sm.seconds >= 0
    h = surfaces.all_histories(xor_results)
    assert sorted(h.model.unique()) == [0, 1, 2, 3] and len(h) == sum(len(r.history) for r in xor_results)


def test_train_test_losses_is_long_and_named():
    h = pd.DataFrame({"model": [0, 0], "epoch": [1, 2], "train_eval_loss": [0.7, 0.5], "test_loss": [0.8, np.nan]})
    long = surfaces.train_test_losses(h)
    assert sorted(long.series.unique()) == ["test", "train"] and len(long) == 3  # the NaN row is dropped


def test_accuracy_counts():
    probs = np.eye(10)[[1, 2, 3, 3]]
    a = dm.accuracy(probs, np.array([1, 2, 3, 4]))
    assert (a.right, a.wrong, a.n) == (3, 1, 4) and a.acc == 0.75


def test_regulariser_pairs_differ_in_one_setting_only():
    cfg = DigitsConfig(dropout=0.0, patience=0, val_fraction=0.0, augment_copies=2)
    val, pairs = dm.regulariser_pairs(cfg, 30)
    assert val == dm.TUTORIAL_VAL
    drop, stop = pairs
    off, on = drop.configs
    assert off.replace(dropout=on.dropout) == on and on.dropout == dm.TUTORIAL_DROPOUT
    off, on = stop.configs
    assert off.replace(patience=on.patience) == on and on.patience == dm.TUTORIAL_PATIENCE
    for p in pairs:
        assert all(c.epochs == 30 and c.augment_copies == 0 and c.val_fraction == val for c in p.configs)
    _, pairs = dm.regulariser_pairs(DigitsConfig(dropout=0.4, patience=5, val_fraction=0.2), 10)
    assert pairs[0].names == ("dropout off", "dropout 0.4") and pairs[1].configs[1].patience == 5
