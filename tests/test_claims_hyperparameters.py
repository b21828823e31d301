"""Hyperparameter Effects' claims, each fed numbers on both sides of its condition: each tab's default sweep
(cached like the page) for one side, small tables of made-up numbers for the other."""

import pandas as pd
import pytest

import core.hyperparameters as hp
from core.hyperparameters import claims as c
from tests.claimcheck import both_sides


def table(values, **cols) -> pd.DataFrame:
    """A summary-like table: value plus the given columns (lists), zeros elsewhere."""
    base = {k: [0.0] * len(values) for k in ("train loss", "val loss", "test loss", "train acc", "val acc",
                                             "test acc", "gap", "loss gap", "s / epoch")}
    base.update(diverged=[0] * len(values), seeds=[2] * len(values), parameters=[100 * (i + 1) for i in
                                                                                range(len(values))])
    return pd.DataFrame({"value": list(values), **base, **cols})


def curves(values, metric, rows) -> pd.DataFrame:
    """A curves frame: one seed, epochs 1..n, ``rows[v]`` the metric per epoch for value v."""
    parts = [pd.DataFrame({"value": v, "seed": 0, "epoch": range(1, len(rows[v]) + 1), metric: rows[v]})
             for v in values]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def runs():
    return {name: c.default_run(name) for name in hp.SWEEP_TYPES}


def test_learning_rate_claims_both_sides(runs):
    cfg, t, cu = runs["lr"]
    with both_sides("hyperparameters.lr_best"):
        s = c.lr_best(cfg, t)
        assert s.holds and ": lr 0.01, 98.4%" in s and "the best test accuracy too" in s
        other = table(["0.001", "0.01"], **{"val acc": [0.9, 0.95], "test acc": [0.93, 0.92]})
        s = c.lr_best(cfg, other)
        assert not s.holds and "lr 0.001 scored higher (93.0%)" in s
    with both_sides("hyperparameters.lr_start"):
        s = c.lr_start(cfg, t)
        assert not s.holds and s.startswith("The tutorial's starting point for Adam is lr 0.001: a place to start")
        assert "lr 0.01 did better: 98.4% validation accuracy against 95.4% at 0.001" in s
        agree = table(["0.001", "0.01"], **{"val acc": [0.95, 0.9]})
        assert c.lr_start(cfg, agree).endswith("and it is the best here too (95.0% validation accuracy after 15 "
                                               "epochs).")
        sgd = c.lr_start(hp.LrSweep(optimizer="sgd"), table(["0.01", "1"], **{"val acc": [0.6, 0.94]}))
        assert sgd.startswith("The tutorial's starting point for SGD is lr 0.01") and "lr 1 did better" in sgd
        assert "not in this sweep" in c.lr_start(cfg, table(["0.1", "1"], **{"val acc": [0.6, 0.5]}))
    with both_sides("hyperparameters.lr_too_high"):
        assert c.lr_too_high(cfg, t, cu).startswith("Too high: lr 1 ")
        mild = table(["0.01", "0.1"])
        cm = curves(["0.01", "0.1"], "train_eval_loss", {"0.01": [1.0, 0.5, 0.3], "0.1": [1.0, 0.4, 0.25]})
        assert not c.lr_too_high(hp.LrSweep(values=(0.01, 0.1), epochs=3), mild, cm)
    with both_sides("hyperparameters.lr_too_low"):
        assert c.lr_too_low(cfg, t, cu).startswith("Too low: lr 0.0001 crawls")
        assert not c.lr_too_low(hp.LrSweep(values=(0.01, 0.1), epochs=3), mild, cm)  # reached only at the end


def test_the_sgd_sweep_is_an_option_and_keeps_adams_cache_keys():
    adam, sgd = hp.LrSweep(), hp.LrSweep(optimizer="sgd")
    assert {x.optimizer for x in sgd.train_configs()} == {"sgd"} and {x.optimizer for x in adam.train_configs()} == {
        "adam"}
    assert hp.sweep_key(adam) != hp.sweep_key(sgd)
    assert hp.LrSweep.from_query(sgd.to_query("lr_"), "lr_")[0] == sgd


def test_batch_claims_both_sides(runs):
    cfg, t, _ = runs["batch"]
    with both_sides("hyperparameters.batch_time"):
        assert c.batch_time(cfg, t).startswith("Smaller batches are slower per epoch")
        assert not c.batch_time(cfg, table(["8", "512"], **{"s / epoch": [0.01, 0.02]}))
    with both_sides("hyperparameters.batch_noise"):
        assert "noisier gradients" in c.batch_noise(c.default_noise())
        assert not c.batch_noise(pd.DataFrame({"batch": [8, 512], "noise": [0.2, 0.3]}))
    with both_sides("hyperparameters.batch_progress"):
        assert c.batch_progress(cfg, t).startswith("Per epoch, the small batches got further")
        assert not c.batch_progress(cfg, table(["8", "512"], **{"train loss": [0.5, 0.4]}))


def test_capacity_claims_both_sides(runs):
    cfg, t, _ = runs["capacity"]
    with both_sides("hyperparameters.capacity_fit"):
        assert c.capacity_fit(cfg, t).startswith("More capacity fits the training set better")
        worse = table(["4", "64", "128x128"], **{"train acc": [0.7, 0.99, 0.94]})
        s = c.capacity_fit(cfg, worse)
        assert not s.holds and "is not the one that fits its training set best here: 64 reaches 99.0%" in s
    with both_sides("hyperparameters.capacity_gap"):
        s = c.capacity_gap(cfg, t)
        assert s.holds and "and it overfits: it fits its training images better than 64" in s
        narrow = table(["4", "64"], **{"loss gap": [0.2, 0.1], "val acc": [0.8, 0.9]})
        assert c.capacity_gap(cfg, narrow).startswith("The gap did not grow with size")
        helped = table(["4", "64"], **{"loss gap": [0.1, 0.2], "val acc": [0.8, 0.9]})
        assert "yet it has the best validation accuracy" in c.capacity_gap(cfg, helped)
        undertrained = table(["4", "16", "64"], **{"loss gap": [0.1, 0.1, 0.2], "val acc": [0.8, 0.95, 0.9],
                                                   "train acc": [0.8, 0.99, 0.9]})
        assert "it trails from training, not from memorising" in c.capacity_gap(cfg, undertrained)
    with both_sides("hyperparameters.capacity_best"):
        assert c.capacity_best(cfg, t).holds
        assert not c.capacity_best(cfg, table(["4", "64"], **{"val acc": [0.9, 0.8], "test acc": [0.8, 0.9]})).holds


def test_activation_claims_both_sides(runs):
    cfg, t, cu = runs["activation"]
    with both_sides("hyperparameters.activation_rank"):
        assert c.activation_rank(cfg, t).startswith("After 12 epochs: best GELU")
        assert "within 1 point" in c.activation_rank(cfg, table(["ReLU", "Tanh"], **{"val acc": [0.9, 0.895]}))
    with both_sides("hyperparameters.activation_speed"):
        assert "Sigmoid not within 12 epochs" in c.activation_speed(cfg, t, cu)
        same = curves(["ReLU", "Tanh"], "val_acc", {"ReLU": [0.5, 0.95], "Tanh": [0.6, 0.92]})
        assert not c.activation_speed(cfg, table(["ReLU", "Tanh"]), same)
    with both_sides("hyperparameters.activation_depth"):
        s = c.activation_depth(cfg, t)
        assert not s.holds and "this sweep's network has 1 hidden layer (64)" in s and "Tanh ranks" in s
        deep = hp.ActivationSweep(hidden=(32, 32, 32))
        assert c.activation_depth(deep, t).startswith("With 3 hidden layers the gradient passes 3 activation slopes")


def test_dropout_claims_both_sides(runs):
    cfg, t, _ = runs["dropout"]
    with both_sides("hyperparameters.dropout_gap"):
        assert c.dropout_gap(cfg, t).startswith("Dropout narrows the gap")
        assert "did not narrow" in c.dropout_gap(cfg, table(["0", "0.5"], **{"loss gap": [0.1, 0.2]}))
    with both_sides("hyperparameters.dropout_train"):
        assert c.dropout_train(cfg, t).startswith("It costs training fit")
        assert not c.dropout_train(cfg, table(["0", "0.5"], **{"train loss": [0.3, 0.2]}))
    with both_sides("hyperparameters.dropout_best"):
        assert "p = " in c.dropout_best(cfg, t)
        assert c.dropout_best(cfg, table(["0", "0.5"], **{"val acc": [0.9, 0.8], "test acc": [0.9, 0.8]})).holds
        assert not c.dropout_best(cfg, table(["0", "0.5"], **{"val acc": [0.9, 0.8], "test acc": [0.8, 0.9]})).holds


def test_the_tutorial_networks_claims_both_ways():
    """The tutorial's 64-128-64-10 network with and without Dropout(0.3): its real run, then made-up numbers."""
    real = c.tutorial_table()
    assert list(real["value"]) == ["0", "0.3"] and (real["seeds"] == hp.TUTORIAL_NET.seeds).all()
    none, drop = real.iloc[0], real.iloc[1]
    with both_sides("hyperparameters.tutorial_net_gap"):
        said = c.tutorial_net_gap(real)
        assert said.holds is bool(drop["gap"] < none["gap"]) and f"{drop['gap']:.1%} with Dropout(0.3)" in said
        wide = c.tutorial_net_gap(table(["0", "0.3"], gap=[0.01, 0.03], **{"train acc": [1.0, 1.0]}))
        assert not wide.holds and "did not narrow" in wide
        assert c.tutorial_net_gap(table(["0", "0.3"], gap=[0.03, 0.01])).holds
    with both_sides("hyperparameters.tutorial_net_test"):
        said = c.tutorial_net_test(real)
        assert said.holds is bool(drop["test acc"] > none["test acc"]) and f"{drop['test acc']:.1%} with" in said
        worse = c.tutorial_net_test(table(["0", "0.3"], **{"test acc": [0.97, 0.95]}))
        assert not worse.holds and "did not raise" in worse and "hint" not in worse  # 7.2 images: not a hint
        better = c.tutorial_net_test(table(["0", "0.3"], **{"test acc": [0.97, 0.975]}))
        assert better.holds and "about 2 images" in better and "hint, not a law" in better
