"""The Hyperparameter Tuner's views: the study read (cached for a second), the trial filter that every view
applies, and each view drawn from the filtered frame."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import tuning
from core.plotting import fit_width
from core.tuning import charts, landscape
from core.tuning import claims as verdicts
from ui import say, tuner_extra
from ui.tuner_cache import read


@st.cache_data(max_entries=16, show_spinner=False)
def importance(url: str, name: str, n_complete: int, filter_key: str, _flt: tuning.TrialFilter) -> dict[str, float]:
    """PED-ANOVA importance of the filtered trials (recomputed when trials complete or the filter changes)."""
    return tuning.param_importance(tuning.apply_filter(read(url, name), _flt))


def trial_filter(frame: tuning.StudyFrame, params: list[str]) -> tuning.TrialFilter:
    """The filter widgets (state, accuracy range, each varying parameter); the TrialFilter they set."""
    key = f"flt_{frame.name}"
    t = frame.trials
    with st.expander("Filter trials (applies to every view)", icon=":material/filter_alt:"):
        c1, c2 = st.columns([1, 1])
        states = c1.multiselect("States", list(tuning.STATE_ORDER), key=f"{key}_states",
                                format_func=str.lower, placeholder="every state")
        acc = c2.slider("Validation accuracy", 0.0, 1.0, (0.0, 1.0), 0.01, key=f"{key}_acc",
                        help="a pruned or interrupted trial counts with the accuracy it had when it stopped")
        ranges: dict[str, tuple[float, float]] = {}
        choices: dict[str, tuple] = {}
        bounds = tuning.param_bounds(t, params)
        cols = st.columns(max(1, min(4, len(bounds))))
        for i, (p, b) in enumerate(bounds.items()):
            box = cols[i % len(cols)]
            if isinstance(b[0], str):  # categorical: the choices seen, numbers in numeric order
                got = box.multiselect(charts.label(p).capitalize(), list(b), key=f"{key}_{p}",
                                      placeholder="every value")
                if got:
                    choices[p] = tuple(got)
                continue
            lo, hi = float(b[0]), float(b[1])
            if lo >= hi:
                continue
            name = charts.label(p).capitalize()
            if p in charts.LOG_PARAMS and lo > 0:  # a log range: 25 steps evenly spaced in log
                steps = np.geomspace(lo, hi, 25)
            elif p == "layers":
                steps = np.arange(int(lo), int(hi) + 1)
            else:
                steps = np.linspace(lo, hi, 21)
            i0, i1 = box.select_slider(name, list(range(len(steps))), (0, len(steps) - 1), key=f"{key}_{p}",
                                       format_func=lambda i, s=steps: f"{s[i]:.3g}")
            if i0 > 0 or i1 < len(steps) - 1:  # the ends mean "no limit", so no trial drops out by rounding
                ranges[p] = (float(steps[i0]) if i0 > 0 else -np.inf, float(steps[i1]) if i1 < len(steps) - 1
                             else np.inf)
    flt = tuning.TrialFilter(states=tuple(states), value=None if acc == (0.0, 1.0) else (float(acc[0]), float(acc[1])),
                             ranges=ranges, choices=choices)
    return flt


def pair_pickers(params: list[str], key: str) -> tuple[str, str] | None:
    """Two different parameters for the contour and rank views (None when fewer than two vary)."""
    if len(params) < 2:
        say.status("These views need two parameters that vary in this study's search space.")
        return None
    c1, c2, _ = st.columns([1, 1, 2])
    x = c1.selectbox("x axis", params, 0, format_func=charts.label, key=f"{key}_x")
    rest = [p for p in params if p != x]
    y = c2.selectbox("y axis", rest, 0, format_func=charts.label, key=f"{key}_y")
    return x, y


def show(frame: tuning.StudyFrame, view: str, flt: tuning.TrialFilter, url: str, alive: int = 0,
         total: int | None = None) -> None:
    """Draw one view of the (filtered) frame; ``alive``: this server's workers on the study, ``total``: its
    trials before the filter."""
    t = frame.trials
    varying = frame.info.space.varying() if frame.info else frame.params
    params = [p for p in frame.params if p in varying]  # a fixed setting adds an axis with nothing on it
    if t.empty:
        if total:
            say.status(f"No trials to show: the filter keeps none of the {total:,}.")
        elif alive:
            say.status(f"No trials yet: {alive} worker{'s are' if alive > 1 else ' is'} starting (loading PyTorch "
                       "takes a few seconds).")
        else:
            say.status("No trials yet, and no worker is running on this study here: Resume starts workers (or "
                       "start one on another machine, below).")
        return
    if view == "History":
        st.altair_chart(fit_width(charts.history(t)), width="stretch")
        st.caption("Each dot is a trial's validation accuracy (a pruned trial's when it was stopped); "
                   "the red line is the best completed trial so far.")
    elif view == "Trials":
        table = charts.trials_table(t, frame.params)
        # fourteen columns are wider than a 1024 px page: the trial, its state and its accuracy stay put
        # while the rest scroll (the settings first, then epochs, time and worker)
        pin = {c: st.column_config.Column(pinned=True) for c in ("trial", "state")}
        st.dataframe(table, hide_index=True, width="stretch", height=360,
                     column_config={**pin, "validation accuracy": st.column_config.NumberColumn(format="%.4f",
                                                                                                pinned=True),
                                    "learning rate": st.column_config.NumberColumn(format="%.2e"),
                                    "dropout rate": st.column_config.NumberColumn(format="%.3f"),
                                    "seconds": st.column_config.NumberColumn(format="%.1f")})
        st.caption("Choose on validation accuracy. The test set is kept for the one trial you choose: its test "
                   "accuracy is shown under the study's status, for the best trial only.")
        st.download_button("Download CSV", charts.trials_csv(t, frame.params), f"{frame.name}.csv", "text/csv",
                           icon=":material/download:")
    elif view == "Parallel coordinates":
        st.altair_chart(fit_width(charts.parallel_coordinates(t, params)), width="stretch")
        st.caption("Each line is a completed trial; its colour is its validation accuracy.")
    elif view == "Importance":
        imp = importance(url, frame.name, frame.counts["COMPLETE"], flt.describe(), flt)
        if imp:
            st.altair_chart(fit_width(charts.importance(imp)), width="stretch")
            st.caption("How much each setting decided whether a trial reached the top 10% (Optuna's PED-ANOVA "
                       "evaluator); the shares add up to 100%.")
            say.lesson(verdicts.importance_leader(imp), "caption")
        else:
            say.status("Importance needs at least 4 completed trials with some variety.")
    elif view == "Slices":
        parts = charts.slice_charts(t, params)
        for i in range(0, len(parts), 2):  # two to a row, each stretched to its column: fits any width
            for col, chart in zip(st.columns(2), parts[i:i + 2]):
                col.altair_chart(fit_width(chart), width="stretch")
        st.caption("Each parameter against the validation accuracy; darker dots are later trials.")
    elif view in ("Contour", "Rank"):
        pair = pair_pickers(params, f"pair_{frame.name}")
        if pair is None:
            return
        if not (t["state"] == "COMPLETE").any():
            say.status("No completed trial yet.")
        elif view == "Contour":
            st.altair_chart(fit_width(landscape.contour(t, *pair)), width="stretch")
            st.caption("Each cell's colour is the mean validation accuracy of the completed trials in it (blank: "
                       "no trial there; brighter is higher); white dots are the trials.")
        else:
            st.altair_chart(fit_width(landscape.rank(t, *pair)), width="stretch")
            st.caption("One dot per completed trial, coloured by its rank (yellow = best). Ranks, not accuracies, "
                       "so a few failed runs do not wash out the differences among good ones.")
    elif view == "Distribution":
        st.altair_chart(fit_width(charts.edf({frame.name: t})), width="stretch")
        st.caption("Empirical distribution (EDF): for each accuracy, the share of completed trials at or below it; "
                   "a curve that stays low until far right means most trials were good. Compare two studies' "
                   "curves under **Compare two studies**.")
        say.lesson(verdicts.space_mostly_good(t), "caption")
    elif view == "Pareto front":
        tuner_extra.pareto_view(url, frame, params)
    elif view == "Notes":
        tuner_extra.notes_view(url, frame)
    elif view == "Learning curves":
        st.altair_chart(fit_width(charts.learning_curves(frame.curves, t)), width="stretch")
        st.caption("Orange crosses mark where the pruner stopped a trial.")
    else:
        st.altair_chart(fit_width(charts.timeline(t)), width="stretch")
        st.caption("One row per worker process (host:pid); gaps are the sampler choosing and the database.")
