"""The Hyperparameter Tuner's verdicts: each a function of a study's numbers (see :mod:`core.claims`).

The page has no study at its defaults, so each claim's ``defaults`` runs a small seeded study of the
page's default search space and settings (fewer trials and epochs) on a temporary SQLite storage, once
per process: the same worker loop and objective the page's workers run.
"""

from __future__ import annotations

import functools
import tempfile
from typing import Any

import numpy as np
import pandas as pd

from core.claims import Said, claim, said
from core.tuning.charts import label

PAGE = "Hyperparameter Tuner"
NEAR_BEST = 0.01  # "came within 0.01 of the best": a trial as good as the best for a student's purpose
SAME_MEDIAN = 0.01  # medians closer than this are "about as good" (3 of the 287 validation digits)
CLEAR_LEAD = 2.0  # the top setting "decided most" when its importance share is at least this times the next
DEFAULT_RUN = {"n_trials": 20, "epochs": 5}  # the claims' default study: the page's settings, smaller


def _fmt(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def _completed(trials: pd.DataFrame) -> np.ndarray:
    done = trials[trials["state"] == "COMPLETE"]["value"].to_numpy(dtype=float)
    return done[np.isfinite(done)]


# ---- the default study ----------------------------------------------------------------------------
@functools.cache
def default_studies() -> dict[str, Any]:
    """Two small seeded studies of the page's default space on a temporary SQLite storage: the page's
    sampler (TPE) and random search on the same budget; {'tpe': StudyFrame, 'random': StudyFrame}."""
    from core import tuning
    from core.tuning.worker import Worker

    url = f"sqlite:///{tempfile.mkdtemp(prefix='nnlab-claims-tuning-')}/claims.db"
    out = {}
    for sampler in ("tpe", "random"):
        st = tuning.StudySettings(sampler=sampler, **DEFAULT_RUN)
        name = f"digits-{sampler}-1"
        tuning.create_study(name, tuning.SearchSpace(), st, url)
        Worker(url, name).run()  # in this process, one trial after another, as a page's worker does
        out[sampler] = tuning.read_study(url, name)
    return out


def _tpe() -> Any:
    return default_studies()["tpe"]


# ---- the study's status -----------------------------------------------------------------------------
@claim("tuning.best_trial", page=PAGE, tab="status", condition="at least one trial completed; the one named has "
       "the highest validation accuracy among them", defaults=lambda: best_trial(_tpe()))
def best_trial(frame: Any) -> Said:
    """The best completed trial's number, accuracy and settings (nothing before a trial completes)."""
    b = frame.best()
    params = frame.best_params() or {}
    done = _completed(frame.trials)
    if b is None:
        return said(False, "", "", completed=0)
    best = float(b["value"])
    text = (f"Best trial so far: #{int(b['number'])}, validation accuracy {best:.4f}: "
            + ", ".join(f"{label(k)} {_fmt(v)}" for k, v in params.items()))
    return said(bool(len(done)) and best >= float(done.max()), text, "", completed=len(done), best=best)


@claim("tuning.test_estimate", page=PAGE, tab="status",
       condition="the chosen (best validation) trial's test accuracy < its validation accuracy",
       defaults=lambda: test_estimate(_tpe()))
def test_estimate(frame: Any) -> Said:
    """The chosen trial's test accuracy next to the validation accuracy it was picked on."""
    b = frame.best()
    if b is None or "test_acc" not in b or not pd.notna(b["test_acc"]):
        return said(False, "", "")
    val, test, n = float(b["value"]), float(b["test_acc"]), len(_completed(frame.trials))
    head = (f"**Chosen trial #{int(b['number'])}**, picked on validation accuracy {val:.4f} among {n:,} "
            f"completed trials. Its **test accuracy, {test:.4f}**, on held-out images no trial was chosen on, ")
    return said(test < val,
                head + "is lower, as is usual for the best of many trials picked on one set of validation "
                       "images: part of its lead there was luck. The test accuracy is the honest estimate "
                       "for new digits.",
                head + "is not lower here; it, not the validation accuracy, is the honest estimate for new "
                       "digits.",
                val_acc=val, test_acc=test, completed=n)


# ---- the views -------------------------------------------------------------------------------------------
@claim("tuning.importance_leader", page=PAGE, tab="Importance",
       condition=f"top setting's PED-ANOVA share >= {CLEAR_LEAD:g} x the next one's",
       defaults=lambda: importance_leader(_importance_at_defaults()))
def importance_leader(imp: dict[str, float]) -> Said:
    """Which setting decided most whether a trial reached the top 10%, or that none did alone."""
    if len(imp) < 2:
        return said(False, "", "", settings=len(imp))
    (top, a), (second, b) = sorted(imp.items(), key=lambda kv: -kv[1])[:2]
    return said(a >= CLEAR_LEAD * b,
                f"**{label(top).capitalize()}** decided most here which trials reached the top 10%: {a:.0%} of "
                f"the importance, {label(second)} next with {b:.0%}.",
                f"No single setting decided alone here: {label(top)} has {a:.0%} of the importance and "
                f"{label(second)} {b:.0%}.",
                top=a, second=b)


def _importance_at_defaults() -> dict[str, float]:
    from core.tuning.read import param_importance

    return param_importance(_tpe())


@claim("tuning.space_mostly_good", page=PAGE, tab="Distribution",
       condition=f"share of completed trials within {NEAR_BEST:g} of the best > 50%",
       defaults=lambda: space_mostly_good(_tpe().trials))
def space_mostly_good(trials: pd.DataFrame) -> Said:
    """How many completed trials came close to the best: most (a search space with few bad settings) or not."""
    v = _completed(trials)
    if not len(v):
        return said(False, "", "", completed=0)
    best = float(v.max())
    share = float(np.mean(v >= best - NEAR_BEST))
    head = f"{share:.0%} of the {len(v):,} completed trials came within {NEAR_BEST:g} of the best ({best:.4f})"
    return said(share > 0.5,
                head + ": most trials did well, so this search space holds few bad settings.",
                head + ": many did worse, so parts of this search space are poor (the Slices and Contour "
                       "views show which).",
                share=share, completed=len(v), best=best)


@claim("tuning.compare_overall", page=PAGE, tab="Compare two studies",
       condition=f"the two studies' median completed validation accuracies differ by >= {SAME_MEDIAN:g}",
       defaults=lambda: compare_overall("digits-tpe-1", _tpe().trials, "digits-random-1",
                                        default_studies()["random"].trials))
def compare_overall(name_a: str, a: pd.DataFrame, name_b: str, b: pd.DataFrame) -> Said:
    """Which study's completed trials were better overall (by the median), or that they were alike."""
    va, vb = _completed(a), _completed(b)
    if not len(va) or not len(vb):
        return said(False, "", "")
    ma, mb = float(np.median(va)), float(np.median(vb))
    win, lose, mw, ml = (name_a, name_b, ma, mb) if ma >= mb else (name_b, name_a, mb, ma)
    return said(abs(ma - mb) >= SAME_MEDIAN,
                f"**{win}**'s completed trials were better overall: median validation accuracy {mw:.4f} against "
                f"{ml:.4f} for {lose}, so its curve crosses 50% further right.",
                f"The two studies' completed trials were about as good overall: median validation accuracy "
                f"{ma:.4f} ({name_a}) and {mb:.4f} ({name_b}).",
                median_a=ma, median_b=mb)


@functools.cache
def pareto_study() -> Any:
    """A small seeded study with two objectives (accuracy and parameter count; no pruner, as two objectives
    need) of the page's default space, on a temporary SQLite storage: the Pareto view's default."""
    from core import tuning
    from core.tuning.worker import Worker

    url = f"sqlite:///{tempfile.mkdtemp(prefix='nnlab-claims-pareto-')}/claims.db"
    st = tuning.StudySettings(objective="accuracy+params", pruner="none", **DEFAULT_RUN)
    tuning.create_study("digits-pareto-1", tuning.SearchSpace(), st, url)
    Worker(url, "digits-pareto-1").run()
    return tuning.read_study(url, "digits-pareto-1")


@claim("tuning.pareto_tradeoff", page=PAGE, tab="Pareto front",
       condition="the Pareto front holds at least two trials (the most accurate one is not also the cheapest)",
       defaults=lambda: pareto_tradeoff(pareto_study().trials, "accuracy+params"))
def pareto_tradeoff(trials: pd.DataFrame, objective: str) -> Said:
    """What the front trades: its cheapest trial against its most accurate one, or that one trial wins both."""
    from core.tuning.pareto import front_frame
    from core.tuning.space import SECOND_OBJECTIVE

    d = front_frame(trials)
    front = d[d["front"]]
    if front.empty:
        return said(False, "", "", front=0)
    cost = SECOND_OBJECTIVE[objective]
    cheap, best = front.iloc[0], front.iloc[-1]  # sorted by cost: the front's accuracy grows with it

    def what(r: pd.Series) -> str:
        return f"trial {int(r['number'])}, {r['value']:.4f} with {r['value2']:,.4g} {cost}"

    return said(len(front) >= 2,
                f"{len(front)} of the {len(d):,} completed trials form the front: the cheapest ({what(cheap)}) to the "
                f"most accurate ({what(best)}, {best['value2'] / cheap['value2']:.1f}× the {cost} for "
                f"{best['value'] - cheap['value']:+.4f} accuracy). No trial there is better on both; which to take "
                "is a choice between them.",
                f"One trial is best on both ({what(best)}): here accuracy did not have to be bought with {cost}.",
                front=len(front), completed=len(d))


__all__ = ["best_trial", "compare_overall", "default_studies", "importance_leader", "pareto_study",
           "pareto_tradeoff", "space_mostly_good", "test_estimate"]
