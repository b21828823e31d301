"""Altair views of a tuning study: data in (the frames of :func:`core.tuning.read_study`), charts out.

Every builder downsamples what it draws (best trials always kept), so a 10,000-trial study renders
as fast as a small one. No Streamlit here; tests read ``to_dict()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from core.plotting import wrapped_labels

STATE_COLORS = alt.Scale(domain=["COMPLETE", "PRUNED", "RUNNING", "INTERRUPTED", "FAIL", "WAITING"],
                         range=["#1f77b4", "#ff7f0e", "#2ca02c", "#8c8c8c", "#d62728", "#9467bd"])
LOG_PARAMS = ("lr", "width")
CATEGORICAL = ("batch_size", "activation", "optimizer")
VALUE_TITLE = "validation accuracy"
PARAM_LABELS = {"lr": "learning rate", "layers": "hidden layers", "width": "neurons per layer",
                "batch_size": "batch size", "activation": "activation", "dropout": "dropout rate",
                "optimizer": "optimiser"}


def label(param: str) -> str:
    """A parameter's plain name ('lr' -> 'learning rate')."""
    return PARAM_LABELS.get(param, param.replace("_", " "))


def sorted_choices(values: Iterable[Any]) -> list[str]:
    """The distinct values as text, numbers in numeric order (16, 32, 128, not '128', '16', '32')."""
    uniq = pd.unique(pd.Series(list(values)).dropna().astype(str))
    nums = pd.to_numeric(pd.Series(uniq), errors="coerce")
    if len(uniq) and nums.notna().all():
        return [uniq[i] for i in np.argsort(nums.to_numpy(), kind="stable")]
    return sorted(uniq)


def completed(trials: pd.DataFrame) -> pd.DataFrame:
    """The completed trials that have a value."""
    return trials[trials["state"] == "COMPLETE"].dropna(subset=["value"])


def pick(df: pd.DataFrame, n: int, keep_best: int = 50, by: str = "value") -> pd.DataFrame:
    """At most n rows: the ``keep_best`` best by ``by`` plus an even sample of the rest (row order kept)."""
    if len(df) <= n:
        return df
    best = df[by].nlargest(min(keep_best, n)).index if by in df else df.index[:0]
    rest = df.index.difference(best)
    take = rest[np.linspace(0, len(rest) - 1, max(0, n - len(best))).round().astype(int)] if len(rest) else rest
    return df.loc[df.index.isin(best.union(take))]


TABLE_LABELS = {"number": "trial", "state": "state", "value": "validation accuracy", "epochs": "epochs run",
                "duration_s": "seconds", "worker": "worker", "start": "started"}


def trials_table(trials: pd.DataFrame, params: list[str], plain: bool = True) -> pd.DataFrame:
    """The trials table: one row per trial (trial, state, validation accuracy, each parameter, epochs run,
    seconds, worker, started), column names in plain words (``plain=False``: the data's names).

    The settings come straight after the accuracy: a page 1024 px wide shows about eight columns, and those
    are the ones that say why a trial did well. No test accuracy: a trial is chosen on validation; the test
    set is for the chosen one only.
    """
    cols = ["number", "state", "value", *params, "epochs", "duration_s", "worker", "start"]
    t = trials[[c for c in cols if c in trials]].copy()
    if not plain:
        return t.rename(columns={"value": "val_acc", "duration_s": "seconds", "epochs": "epochs_run"})
    return t.rename(columns={**TABLE_LABELS, **{p: label(p) for p in params}})


def trials_csv(trials: pd.DataFrame, params: list[str]) -> bytes:
    """The trials table as CSV bytes with the data's column names (for the download button)."""
    return trials_table(trials, params, plain=False).to_csv(index=False).encode()


def best_so_far(trials: pd.DataFrame, max_points: int | None = None) -> pd.DataFrame:
    """number, best: the best validation accuracy among completed trials up to each trial number.

    With ``max_points``, only the trials where the best changed (and the last one) are kept when
    there are more rows than that: the step line looks the same.
    """
    done = trials[trials["state"] == "COMPLETE"].dropna(subset=["value"]).sort_values("number")
    best = pd.DataFrame({"number": done["number"].to_numpy(), "best": done["value"].cummax().to_numpy()})
    if max_points is not None and len(best) > max_points:
        change = np.r_[True, np.diff(best["best"].to_numpy()) != 0]
        change[-1] = True
        best = best[change]
    return best


def history(trials: pd.DataFrame, max_points: int = 2000, title: str = "Optimisation history") -> alt.LayerChart:
    """Each finished trial's validation accuracy by trial number, and the best so far as a step line.

    Pruned trials sit at the accuracy they had when stopped (column ``last``, optional).
    """
    d = trials[trials["state"].isin(["COMPLETE", "PRUNED"])].copy()
    if "last" in d:
        d["shown"] = d["value"].fillna(d["last"])
    else:
        d["shown"] = d["value"]
    d = d.dropna(subset=["shown"])
    d = pick(d, max_points, by="shown")
    best = best_so_far(trials, max_points)
    if len(best) and len(d) and d["number"].max() > best["number"].iloc[-1]:  # carry the line to the last trial
        best = pd.concat([best, pd.DataFrame({"number": [d["number"].max()], "best": [best["best"].iloc[-1]]})])
    x = alt.X("number:Q", title="trial")
    pts = alt.Chart(d[["number", "state", "shown"]], title=title).mark_circle(size=28, opacity=0.6).encode(
        x=x, y=alt.Y("shown:Q", title=VALUE_TITLE, scale=alt.Scale(zero=False)),
        color=alt.Color("state:N", scale=STATE_COLORS, title="state"),
        tooltip=[alt.Tooltip("number:Q", title="trial"), "state:N",
                 alt.Tooltip("shown:Q", title="accuracy", format=".4f")],
    )
    line = alt.Chart(best.assign(series="best so far")).mark_line(interpolate="step-after", color="#d62728",
                                                                  strokeWidth=2).encode(
        x=x, y="best:Q", tooltip=[alt.Tooltip("number:Q", title="trial"), alt.Tooltip("best:Q", format=".4f")])
    return alt.layer(pts, line)


def _normalise(trials: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """Long form for parallel coordinates: number, axis, pos in [0, 1], label, value."""
    parts = []
    for p in params:
        col = trials[p]
        num = pd.to_numeric(col, errors="coerce")
        if num.notna().all() and len(col):
            x = np.log10(num.astype(float)) if p in LOG_PARAMS and (num > 0).all() else num.astype(float)
            lo, hi = float(x.min()), float(x.max())
            pos = (x - lo) / (hi - lo) if hi > lo else x * 0 + 0.5
            label = num.map(lambda v: f"{v:.3g}")
        else:
            cats = sorted_choices(col)
            idx = col.astype(str).map({c: i for i, c in enumerate(cats)})
            pos = idx / max(1, len(cats) - 1) if len(cats) > 1 else idx * 0 + 0.5
            label = col.astype(str)
        parts.append(pd.DataFrame({"number": trials["number"].to_numpy(), "axis": p, "pos": pos.to_numpy(),
                                   "label": label.to_numpy(), "value": trials["value"].to_numpy()}))
    v = trials["value"].astype(float)
    lo, hi = float(v.min()), float(v.max())
    parts.append(pd.DataFrame({"number": trials["number"].to_numpy(), "axis": "val_acc",
                               "pos": ((v - lo) / (hi - lo) if hi > lo else v * 0 + 0.5).to_numpy(),
                               "label": v.map(lambda a: f"{a:.4f}").to_numpy(), "value": v.to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def parallel_coordinates(trials: pd.DataFrame, params: list[str], max_lines: int = 300) -> alt.LayerChart:
    """One line per completed trial across every parameter's axis (and the accuracy), coloured by accuracy.

    Numeric axes are scaled min..max (log for lr and width); categorical axes space their choices evenly.
    """
    done = trials[trials["state"] == "COMPLETE"].dropna(subset=["value"])
    done = pick(done, max_lines)
    long = _normalise(done, params) if len(done) else pd.DataFrame(
        columns=["number", "axis", "pos", "label", "value"])
    order = [*params, "val_acc"]
    base = alt.Chart(long, title="Parallel coordinates (completed trials)")
    # axes named in plain words on two lines (the code names lr, batch_size, val_acc were shown); plasma
    # short of its end: viridis drew the best trials in a yellow that barely showed on white
    names = {**{p: label(p) for p in params}, "val_acc": VALUE_TITLE}
    lines = base.mark_line(opacity=0.7, strokeWidth=1.4).encode(
        x=alt.X("axis:N", sort=order, title=None,
                axis=alt.Axis(labelAngle=0, labelExpr=wrapped_labels(order, 10, names), labelLimit=0)),
        y=alt.Y("pos:Q", axis=None, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("value:Q", scale=alt.Scale(scheme=alt.SchemeParams("plasma", extent=[0, 0.9])),
                        title=VALUE_TITLE),
        detail="number:N",
        tooltip=[alt.Tooltip("number:Q", title="trial"), "axis:N", "label:N",
                 alt.Tooltip("value:Q", format=".4f", title="accuracy")],
    )
    rules = alt.Chart(pd.DataFrame({"axis": order})).mark_rule(color="#999").encode(
        x=alt.X("axis:N", sort=order))
    ends = long.loc[long.groupby("axis")["pos"].idxmin().tolist() + long.groupby("axis")["pos"].idxmax().tolist()] \
        if len(long) else long
    ticks = alt.Chart(ends).mark_text(dx=4, align="left", fontSize=10, color="#444").encode(
        x=alt.X("axis:N", sort=order), y="pos:Q", text="label:N")
    return alt.layer(rules, lines, ticks).properties(height=320)


def importance(imp: dict[str, float], title: str = "Parameter importance (PED-ANOVA)") -> alt.Chart:
    """Horizontal bars: each parameter's share of the importance (they sum to 1)."""
    # plain names (the code names lr, batch_size were shown) and a row of 28 px each (bars were 12 px thick)
    d = pd.DataFrame({"param": [label(p) for p in imp], "importance": [float(v) for v in imp.values()]})
    return alt.Chart(d, title=title).mark_bar().encode(
        x=alt.X("importance:Q", title="importance (share)", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%")),
        y=alt.Y("param:N", sort="-x", title=None),
        tooltip=[alt.Tooltip("param:N", title="setting"), alt.Tooltip("importance:Q", format=".1%")],
    ).properties(height=28 * max(len(d), 1) + 10)


EPOCH_AXIS = alt.Axis(format="d", tickMinStep=1)  # whole numbers (epochs, layers): 1, 2, 3, never 1.0, 1.5


def slice_charts(trials: pd.DataFrame, params: list[str], max_points: int = 1500, width: int = 160,
                 height: int = 180) -> list[alt.Chart]:
    """One small scatter per parameter: its value against the accuracy (darker = later trial).

    lr and width on log axes, whole numbers with whole ticks; batch size, activation, optimiser as
    categories (numbers in numeric order). All share one colour scale (trial number). No colour legend:
    the page's caption says what darker means. A page may draw each one stretched to its own column.
    """
    done = trials[trials["state"] == "COMPLETE"].dropna(subset=["value"])
    done = pick(done, max_points)
    # blues from a mid tone: the first trials were drawn near white and vanished
    shade = alt.Scale(scheme=alt.SchemeParams("blues", extent=[0.35, 1]),
                      domain=[float(done["number"].min()), float(done["number"].max())] if len(done) else [0, 1])
    charts = []
    for p in params:
        d = done[["number", "value", p]].rename(columns={p: "x"})
        numeric = pd.to_numeric(d["x"], errors="coerce").notna().all() and len(d) and p not in CATEGORICAL
        if numeric:
            scale = alt.Scale(type="log") if p in LOG_PARAMS else alt.Scale(zero=False)
            whole = bool((pd.to_numeric(d["x"]) % 1 == 0).all()) and p not in LOG_PARAMS
            x = alt.X("x:Q", title=label(p), scale=scale, axis=EPOCH_AXIS if whole else alt.Axis())
        else:
            d = d.assign(x=d["x"].astype(str))
            x = alt.X("x:N", title=label(p), sort=sorted_choices(d["x"]), axis=alt.Axis(labelAngle=0))
        charts.append(alt.Chart(d).mark_circle(size=30, opacity=0.6).encode(
            x=x, y=alt.Y("value:Q", title=VALUE_TITLE, scale=alt.Scale(zero=False)),
            color=alt.Color("number:Q", scale=shade, title="trial", legend=None),
            tooltip=[alt.Tooltip("number:Q", title="trial"), alt.Tooltip("x", title=label(p)),
                     alt.Tooltip("value:Q", format=".4f")],
        ).properties(width=width, height=height))
    return charts


def slices(trials: pd.DataFrame, params: list[str], max_points: int = 1500, width: int = 160,
           columns: int = 3) -> alt.ConcatChart:
    """:func:`slice_charts` in one grid, wrapped ``columns`` to a row (3 x 160 px: about 660 px wide)."""
    return alt.concat(*slice_charts(trials, params, max_points, width), columns=columns)


def learning_curves(curves: pd.DataFrame, trials: pd.DataFrame, max_trials: int = 200) -> alt.LayerChart:
    """Validation accuracy per epoch for every trial (a sample when many), coloured by state;
    a cross marks where each pruned trial was stopped."""
    info = trials[["number", "state", "value"]].copy()
    last = curves.groupby("number")["val_acc"].last() if len(curves) else pd.Series(dtype=float)
    info["score"] = info["value"].fillna(info["number"].map(last))
    running = info[info["state"] == "RUNNING"]
    others = pick(info[info["state"] != "RUNNING"].dropna(subset=["score"]), max_trials, by="score")
    keep = pd.concat([running, others])
    d = curves[curves["number"].isin(keep["number"])].merge(info[["number", "state"]], on="number")
    stops = d[d["state"] == "PRUNED"].sort_values("epoch").groupby("number").tail(1)
    base = alt.Chart(d, title="Learning curves (validation accuracy per epoch)")
    lines = base.mark_line(strokeWidth=1.2, opacity=0.55).encode(
        x=alt.X("epoch:Q", title="epoch", axis=EPOCH_AXIS),
        y=alt.Y("val_acc:Q", title=VALUE_TITLE, scale=alt.Scale(zero=False)),
        color=alt.Color("state:N", scale=STATE_COLORS, title="state"),
        detail="number:N",
        tooltip=[alt.Tooltip("number:Q", title="trial"), "epoch:Q", alt.Tooltip("val_acc:Q", format=".4f"), "state:N"],
    )
    marks = alt.Chart(stops).mark_point(shape="cross", size=70, filled=True, color="#ff7f0e").encode(
        x="epoch:Q", y="val_acc:Q",
        tooltip=[alt.Tooltip("number:Q", title="pruned trial"), alt.Tooltip("epoch:Q", title="stopped at epoch"),
                 alt.Tooltip("val_acc:Q", format=".4f")])
    return alt.layer(lines, marks)


def elapsed_unit(span_s: float) -> tuple[str, float]:
    """The unit a time span reads best in: ('s', 1), ('min', 60) or ('h', 3600)."""
    if span_s < 180:
        return "s", 1.0
    if span_s < 3 * 3600:
        return "min", 60.0
    return "h", 3600.0


def timeline(trials: pd.DataFrame, now: pd.Timestamp | None = None, max_bars: int = 3000) -> alt.Chart:
    """One bar per trial from its start to its end, a row per worker, coloured by state.

    The x axis is the time since the study's first trial started, in s, min or h (whichever reads best);
    the tooltip gives the clock times. Running trials end at ``now``.
    """
    d = trials.dropna(subset=["start"])[["number", "state", "start", "end", "worker", "value"]].copy()
    now = now if now is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
    d["end"] = d["end"].fillna(now)
    d["worker"] = d["worker"].replace("", "unknown")
    if len(d) > max_bars:  # keep the latest bars (what a live study is doing) and a sample of the rest
        d = d.sort_values("start")
        d = pd.concat([d.iloc[: -max_bars // 2].iloc[:: max(1, (len(d) - max_bars // 2) // (max_bars // 2))],
                       d.iloc[-max_bars // 2:]])
    t0 = d["start"].min() if len(d) else now
    span = (d["end"].max() - t0).total_seconds() if len(d) else 0.0
    unit, per = elapsed_unit(span)
    d["t_start"] = (d["start"] - t0).dt.total_seconds() / per
    d["t_end"] = (d["end"] - t0).dt.total_seconds() / per
    d["clock_start"] = d["start"].dt.strftime("%H:%M:%S")
    d["clock_end"] = d["end"].dt.strftime("%H:%M:%S")
    d = d.drop(columns=["start", "end"])
    rows = max(1, d["worker"].nunique())
    return alt.Chart(d, title="Timeline of trials per worker").mark_bar(height=10).properties(
        height=max(60, 26 * rows)).encode(
        x=alt.X("t_start:Q", title=f"time since the first trial started ({unit})"), x2="t_end:Q",
        y=alt.Y("worker:N", title="worker (host:pid)"),
        # below the bars: one worker's row is shorter than the six states' legend
        color=alt.Color("state:N", scale=STATE_COLORS, title="state",
                        legend=alt.Legend(orient="bottom", direction="horizontal", columns=3)),
        tooltip=[alt.Tooltip("number:Q", title="trial"), "state:N", "worker:N",
                 alt.Tooltip("value:Q", format=".4f", title=VALUE_TITLE),
                 alt.Tooltip("clock_start:N", title="started"), alt.Tooltip("clock_end:N", title="ended")],
    )


def compare(a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str) -> alt.HConcatChart:
    """Two studies side by side: best so far by trial number, and the spread of their accuracies."""
    left, right = compare_charts(a, b, name_a, name_b)
    return alt.hconcat(left.properties(width=380), right.properties(width=160))


def compare_charts(a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str) -> tuple[alt.Chart, alt.Chart]:
    """The two parts of :func:`compare` apart (best so far; a box plot per study), for a page to give
    each its own column. Legends sit below, so a narrow column keeps its plot."""
    bests = pd.concat([best_so_far(a, 500).assign(study=name_a), best_so_far(b, 500).assign(study=name_b)])
    vals = pd.concat([
        a[a["state"] == "COMPLETE"][["value"]].assign(study=name_a),
        b[b["state"] == "COMPLETE"][["value"]].assign(study=name_b),
    ]).dropna()
    if len(vals) > 4000:
        vals = vals.groupby("study", group_keys=False).apply(lambda g: pick(g, 2000))
    color = alt.Color("study:N", title="study", legend=alt.Legend(orient="bottom", columns=1))
    left = alt.Chart(bests, title="Best so far").mark_line(interpolate="step-after", strokeWidth=2).encode(
        x=alt.X("number:Q", title="trial"), y=alt.Y("best:Q", title=VALUE_TITLE, scale=alt.Scale(zero=False)),
        color=color, tooltip=["study:N", alt.Tooltip("number:Q", title="trial"), alt.Tooltip("best:Q", format=".4f")])
    right = alt.Chart(vals, title="Accuracy spread").mark_boxplot(extent="min-max").encode(
        x=alt.X("study:N", title=None), y=alt.Y("value:Q", title=VALUE_TITLE, scale=alt.Scale(zero=False)),
        color=alt.Color("study:N", legend=None))
    return left, right


def compare_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per study, columns in plain words: study, trials finished, completed, pruned, best validation
    accuracy, epochs trained, median seconds per trial."""
    rows = []
    for name, t in frames.items():
        done = t[t["state"] == "COMPLETE"]
        rows.append({"study": name, "trials finished": int(t["state"].isin(["COMPLETE", "PRUNED"]).sum()),
                     "completed": len(done), "pruned": int((t["state"] == "PRUNED").sum()),
                     "best validation accuracy": float(done["value"].max()) if len(done) else np.nan,
                     "epochs trained": int(t["epochs"].sum()) if "epochs" in t else 0,
                     "median seconds per trial": float(t["duration_s"].median()) if len(t) else np.nan})
    return pd.DataFrame(rows)


# ---- the distribution of accuracies --------------------------------------------------------------
def edf_data(frames: dict[str, pd.DataFrame], points: int = 200) -> pd.DataFrame:
    """The empirical distribution of each study's completed validation accuracies on a shared grid.

    Columns: study, accuracy, fraction (share of that study's completed trials at or below the accuracy;
    non-decreasing, ending at 1). ``points`` grid values from the lowest to the highest accuracy seen.
    """
    vals = {k: np.sort(completed(t)["value"].to_numpy(dtype=float)) for k, t in frames.items()}
    vals = {k: v[np.isfinite(v)] for k, v in vals.items()}
    vals = {k: v for k, v in vals.items() if len(v)}
    if not vals:
        return pd.DataFrame({"study": pd.Series(dtype=str), "accuracy": pd.Series(dtype=float),
                             "fraction": pd.Series(dtype=float)})
    lo = min(float(v[0]) for v in vals.values())
    hi = max(float(v[-1]) for v in vals.values())
    grid = np.linspace(lo, hi, points) if hi > lo else np.array([lo])
    parts = [pd.DataFrame({"study": k, "accuracy": grid,
                           "fraction": np.searchsorted(v, grid, side="right") / len(v)}) for k, v in vals.items()]
    return pd.concat(parts, ignore_index=True)


def edf(frames: dict[str, pd.DataFrame], points: int = 200, height: int = 320) -> alt.Chart:
    """Empirical distribution (EDF) plot: for each accuracy, the share of completed trials at or below it.

    A curve that stays low until far right means most trials did well (a good search space); one study's
    curve to the right of another's means its trials were better overall. Several studies compare at once.
    """
    d = edf_data(frames, points)
    return alt.Chart(d, title="Empirical distribution of validation accuracy (completed trials)").mark_line(
        interpolate="step-after", strokeWidth=2).encode(
        x=alt.X("accuracy:Q", title=VALUE_TITLE, scale=alt.Scale(zero=False)),
        y=alt.Y("fraction:Q", title="share of trials at or below", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%")),
        color=alt.Color("study:N", title="study", legend=alt.Legend(orient="bottom")),
        tooltip=["study:N", alt.Tooltip("accuracy:Q", format=".4f"),
                 alt.Tooltip("fraction:Q", format=".1%", title="share at or below")],
    ).properties(height=height)
