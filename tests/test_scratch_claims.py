"""The from-scratch tab's claims, each checked on both sides of its condition (see core/scratch/claims.py)."""

from __future__ import annotations

import dataclasses

from core.scratch import claims as sc
from core.scratch import jobs as J
from tests.claimcheck import both_sides


def test_gradients_agree_only_when_every_array_does():
    c = J.compare(J.ScratchConfig(epochs=3))
    with both_sides("scratch.gradients_agree"):
        ok = sc.gradients_agree(c)
        assert ok.holds and ok.startswith("Autograd agrees") and ok.numbers["max_rel_error"] < 1e-6
        wrong = c.check_end.copy()
        wrong.loc[3, "relative error"] = 3e-4  # one array off, as a wrong backward line would make it
        bad = sc.gradients_agree(dataclasses.replace(c, check_end=wrong))
        assert not bad.holds and "3.0e-04" in bad and "disagrees" in bad


def test_same_accuracy_within_two_points_only():
    c = J.compare(J.ScratchConfig(epochs=5))
    with both_sides("scratch.same_accuracy"):
        near = sc.same_accuracy(dataclasses.replace(c, torch=dataclasses.replace(c.numpy, test_acc=c.numpy.test_acc
                                                                                  - 0.015)))
        assert near.holds and "1.5 points apart" in near
        far = sc.same_accuracy(dataclasses.replace(c, torch=dataclasses.replace(c.numpy, test_acc=0.5)))
        assert not far.holds and "differ by" in far


def test_learns_says_so_only_when_the_loss_fell_and_accuracy_is_far_above_chance():
    with both_sides("scratch.learns"):
        good = sc.learns(J.run_numpy(J.ScratchConfig(epochs=3)))
        assert good.holds and "learned the digits" in good
        diverged = sc.learns(J.run_numpy(J.ScratchConfig(epochs=3, lr=5.0, activation="relu")))
        stuck = J.ScratchRun(test_acc=0.11, train_acc=0.1, seconds=0.1, losses=[2.3, 2.3])
        assert not sc.learns(stuck).holds and "did not learn" in sc.learns(stuck)
        assert diverged.holds is (diverged.numbers["test_acc"] >= 0.5 and
                                  diverged.numbers["last_loss"] < diverged.numbers["first_loss"])


def test_every_claim_holds_at_the_defaults():
    for name in ("gradients_agree", "same_accuracy", "learns"):
        from core.claims import REGISTRY
        assert REGISTRY[f"scratch.{name}"].defaults().holds, name


def test_same_accuracy_does_not_call_two_failures_learning():
    c = J.compare(J.ScratchConfig(epochs=3))
    fail = dataclasses.replace(c, numpy=dataclasses.replace(c.numpy, test_acc=0.09),
                               torch=dataclasses.replace(c.numpy, test_acc=0.1))
    said = sc.same_accuracy(fail)
    assert said.holds and said.startswith("Neither learned") and "learns about as well" not in said
