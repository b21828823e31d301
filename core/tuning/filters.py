"""Filtering a study's trials: one filter, applied once, and every view draws the filtered frame.

    flt = TrialFilter(states=("COMPLETE",), value=(0.9, 1.0), ranges={"lr": (1e-3, 1e-2)},
                      choices={"activation": ("relu",)})
    shown = apply_filter(frame, flt)   # a StudyFrame: trials and curves of the kept trials only

The page builds a TrialFilter from its widgets and passes ``apply_filter``'s frame to every view, so
the history, the table, the contour and the rest always show the same trials.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.tuning.read import STATE_ORDER, StudyFrame


@dataclass(frozen=True)
class TrialFilter:
    """Which trials to show. Empty fields keep everything.

    states: the states to keep (``STATE_ORDER`` names); empty keeps every state.
    value: (low, high) of the validation accuracy, inclusive. A trial without a final value (pruned,
        running, interrupted) is judged by its last reported accuracy (column ``last``); one with
        neither is dropped while a value range is set.
    ranges: param -> (low, high), inclusive, for numeric parameters (-inf or inf: no limit on that side).
    choices: param -> the values to keep, for categorical parameters (compared as text, so 64 == "64").
    """

    states: tuple[str, ...] = ()
    value: tuple[float, float] | None = None
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    choices: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """True when the filter keeps every trial."""
        return not (self.states or self.value is not None or self.ranges or self.choices)

    def describe(self) -> str:
        """One short line saying what the filter keeps (for a caption); '' when it keeps everything."""
        parts = []
        if self.states:
            parts.append("state " + " or ".join(s.lower() for s in self.states))
        if self.value is not None:
            parts.append(f"accuracy {self.value[0]:.3f} to {self.value[1]:.3f}")
        for p, (lo, hi) in self.ranges.items():
            if np.isinf(lo) and np.isinf(hi):
                continue
            parts.append(f"{label(p)} up to {hi:.3g}" if np.isinf(lo) else f"{label(p)} from {lo:.3g}"
                         if np.isinf(hi) else f"{label(p)} {lo:.3g} to {hi:.3g}")
        parts += [f"{label(p)} in {', '.join(str(c) for c in cs)}" for p, cs in self.choices.items()]
        return "; ".join(parts)


def label(param: str) -> str:
    """A parameter's plain name (the charts' words)."""
    from core.tuning.charts import label as chart_label

    return chart_label(param)


def trial_mask(trials: pd.DataFrame, flt: TrialFilter) -> np.ndarray:
    """A boolean array (one per row of ``trials``): True for the trials ``flt`` keeps."""
    keep = np.ones(len(trials), dtype=bool)
    if flt.states:
        unknown = set(flt.states) - set(STATE_ORDER)
        if unknown:
            raise ValueError(f"unknown trial state(s): {', '.join(sorted(unknown))}")
        keep &= trials["state"].isin(flt.states).to_numpy()
    if flt.value is not None:
        lo, hi = flt.value
        v = trials["value"]
        if "last" in trials:
            v = v.fillna(trials["last"])
        v = pd.to_numeric(v, errors="coerce").to_numpy(dtype=float)
        keep &= (v >= lo) & (v <= hi)  # NaN compares False: no value, not kept
    for p, (lo, hi) in flt.ranges.items():
        if p not in trials:
            continue  # a parameter this study does not have cannot filter it
        x = pd.to_numeric(trials[p], errors="coerce").to_numpy(dtype=float)
        keep &= (x >= lo) & (x <= hi)
    for p, cs in flt.choices.items():
        if p not in trials:
            continue
        keep &= trials[p].astype(str).isin([str(c) for c in cs]).to_numpy()
    return keep


def apply_filter(frame: StudyFrame, flt: TrialFilter) -> StudyFrame:
    """The frame with only the trials ``flt`` keeps (trials and their curves); the same frame when it keeps all."""
    if flt.is_empty():
        return frame
    trials = frame.trials[trial_mask(frame.trials, flt)].reset_index(drop=True)
    curves = frame.curves[frame.curves["number"].isin(trials["number"])].reset_index(drop=True)
    return dataclasses.replace(frame, trials=trials, curves=curves)


def param_bounds(trials: pd.DataFrame, params: list[str]) -> dict[str, tuple[float, float] | tuple[Any, ...]]:
    """For each parameter: (min, max) when numeric and not a choice, else its sorted choices (numbers in
    numeric order). What a page offers as filter widgets."""
    from core.tuning.charts import CATEGORICAL, sorted_choices

    out: dict[str, tuple[float, float] | tuple[Any, ...]] = {}
    for p in params:
        if p not in trials:
            continue
        col = trials[p].dropna()
        num = pd.to_numeric(col, errors="coerce")
        if p not in CATEGORICAL and len(col) and num.notna().all():
            out[p] = (float(num.min()), float(num.max()))
        else:
            out[p] = tuple(sorted_choices(col))
    return out
