"""The Hyperparameter Tuner's claims (core/tuning/claims.py), each fed numbers on both sides of its condition."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import tuning
from core.claims import load_all
from core.tuning import claims as C
from tests.claimcheck import both_sides


def frame(values: list[float | None], states: list[str] | None = None, test_acc: list[float] | None = None,
          lr: list[float] | None = None) -> tuning.StudyFrame:
    """A StudyFrame of made-up trials: their validation accuracies, states, test accuracies and learning rates."""
    n = len(values)
    trials = pd.DataFrame({
        "number": np.arange(n), "state": states or ["COMPLETE"] * n,
        "value": pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"),
        "test_acc": test_acc if test_acc is not None else [np.nan] * n,
        "lr": lr or list(np.geomspace(1e-4, 1e-1, n)), "layers": [2] * n})
    info = tuning.study.StudyInfo("s", tuning.SearchSpace(), tuning.StudySettings(), tuning.Heartbeat())
    curves = pd.DataFrame({"number": [], "epoch": [], "val_acc": []})
    return tuning.StudyFrame("s", trials, curves, ["lr", "layers"], info)


def test_best_trial_names_the_best_completed_one():
    with both_sides("tuning.best_trial"):
        s = C.best_trial(frame([0.9, 0.97, 0.99], ["COMPLETE", "COMPLETE", "PRUNED"]))
        assert s.holds and s.startswith("Best trial so far: #1, validation accuracy 0.9700")
        assert "learning rate" in s and "hidden layers 2" in s
        nothing = C.best_trial(frame([0.5, None], ["PRUNED", "RUNNING"]))
        assert not nothing.holds and nothing == ""


def test_test_estimate_says_whether_the_chosen_trial_lost_accuracy_on_test():
    with both_sides("tuning.test_estimate"):
        lower = C.test_estimate(frame([0.95, 0.98], test_acc=[0.94, 0.96]))
        assert lower.holds and "#1" in lower and "0.9600" in lower and "is lower" in lower
        assert "among 2 completed trials" in lower
        higher = C.test_estimate(frame([0.95, 0.96], test_acc=[0.94, 0.97]))
        assert not higher.holds and "is not lower here" in higher and "0.9700" in higher
    assert C.test_estimate(frame([0.9])) == ""  # no test accuracy stored: nothing to say


def test_importance_leader_only_when_one_setting_clearly_leads():
    with both_sides("tuning.importance_leader"):
        lead = C.importance_leader({"lr": 0.7, "width": 0.2, "dropout": 0.1})
        assert lead.holds and lead.startswith("**Learning rate** decided most") and "70%" in lead
        assert "neurons per layer next with 20%" in lead
        close = C.importance_leader({"lr": 0.45, "width": 0.4, "dropout": 0.15})
        assert not close.holds and close.startswith("No single setting decided alone")
    assert C.importance_leader({"lr": 1.0}) == ""


def test_space_mostly_good_counts_trials_near_the_best():
    with both_sides("tuning.space_mostly_good"):
        good = C.space_mostly_good(frame([0.97, 0.975, 0.98, 0.6]).trials)
        assert good.holds and good.startswith("75% of the 4 completed trials came within 0.01 of the best (0.9800)")
        half = C.space_mostly_good(frame([0.5, 0.975, 0.98, 0.1]).trials)  # half is not most
        assert not half.holds and half.startswith("50% of the 4")
        poor = C.space_mostly_good(frame([0.5, 0.6, 0.98, 0.1]).trials)
        assert not poor.holds and poor.startswith("25% of the 4") and "parts of this search space are poor" in poor
    assert C.space_mostly_good(frame([0.9], ["PRUNED"]).trials) == ""


def test_compare_overall_names_the_better_study_by_its_median():
    a, b = frame([0.9, 0.95, 0.96]).trials, frame([0.8, 0.85, 0.97]).trials
    with both_sides("tuning.compare_overall"):
        s = C.compare_overall("A", a, "B", b)
        assert s.holds and s.startswith("**A**'s completed trials were better overall") and "0.9500 against 0.8500" in s
        assert C.compare_overall("B", b, "A", a).startswith("**A**")  # the order the studies are picked in
        same = C.compare_overall("A", a, "B", frame([0.9, 0.945, 0.96]).trials)
        assert not same.holds and "about as good overall" in same


def test_every_tuning_claim_runs_at_its_defaults():
    """The claims' default study: a real seeded study (the page's space, fewer trials and epochs)."""
    studies = C.default_studies()
    assert len(studies["tpe"].trials) == C.DEFAULT_RUN["n_trials"]
    for name, c in load_all().items():
        if name.startswith("tuning."):
            got = c.defaults()
            assert got.claim == name and got, name  # each says something at the defaults
