"""Altair views of a tuning study: data in (the frames of :func:`core.tuning.read_study`), charts out.

Every builder downsamples what it draws (best trials always kept), so a 10,000-trial study renders
as fast as a small one. No Streamlit here; tests read ``to_dict()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

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


def _pick(df: pd.DataFrame, n: int, keep_best: int = 50, by: str = "value") -> pd.DataFrame:
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
    """The trials table: one row per trial (trial, state, validation accuracy, epochs run, seconds, worker,
    each parameter, started), column names in plain words (``plain=False``: the data's names).

    No test accuracy: a trial is chosen on validation; the test set is for the chosen one only.
    """
    cols = ["number", "state", "value", "epochs", "duration_s", "worker", *params, "start"]
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
    d = _pick(d, max_points, by="shown")
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
    done = _pick(done, max_lines)
    long = _normalise(done, params) if len(done) else pd.DataFrame(
        columns=["number", "axis", "pos", "label", "value"])
    order = [*params, "val_acc"]
    base = alt.Chart(long, title="Parallel coordinates (completed trials)")
    lines = base.mark_line(opacity=0.5, strokeWidth=1.2).encode(
        x=alt.X("axis:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("pos:Q", axis=None, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("value:Q", scale=alt.Scale(scheme="viridis"), title=VALUE_TITLE),
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
    d = pd.DataFrame({"param": list(imp), "importance": [float(v) for v in imp.values()]})
    return alt.Chart(d, title=title).mark_bar().encode(
        x=alt.X("importance:Q", title="importance (share)", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("param:N", sort="-x", title=None),
        tooltip=["param:N", alt.Tooltip("importance:Q", format=".3f")],
    )


EPOCH_AXIS = alt.Axis(format="d", tickMinStep=1)  # whole numbers (epochs, layers): 1, 2, 3, never 1.0, 1.5


def slice_charts(trials: pd.DataFrame, params: list[str], max_points: int = 1500, width: int = 160,
                 height: int = 180) -> list[alt.Chart]:
    """One small scatter per parameter: its value against the accuracy (darker = later trial).

    lr and width on log axes, whole numbers with whole ticks; batch size, activation, optimiser as
    categories (numbers in numeric order). All share one colour scale (trial number). No colour legend:
    the page's caption says what darker means. A page may draw each one stretched to its own column.
    """
    done = trials[trials["state"] == "COMPLETE"].dropna(subset=["value"])
    done = _pick(done, max_points)
    shade = alt.Scale(scheme="blues", domain=[float(done["number"].min()), float(done["number"].max())]
                      if len(done) else [0, 1])
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
    others = _pick(info[info["state"] != "RUNNING"].dropna(subset=["score"]), max_trials, by="score")
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
        vals = vals.groupby("study", group_keys=False).apply(lambda g: _pick(g, 2000))
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


# ---- two parameters at once: contour and rank ----------------------------------------------------
def _completed(trials: pd.DataFrame) -> pd.DataFrame:
    return trials[trials["state"] == "COMPLETE"].dropna(subset=["value"])


FEW_INTEGERS = 12  # an integer parameter with at most this many values seen gets a cell (a band) per value


def _is_numeric(col: pd.Series, param: str) -> bool:
    """True for a parameter drawn on a continuous axis: numeric, not a choice, with more than one value,
    and not a whole number with few values (hidden layers 1, 2, 3 read best as three bands)."""
    num = pd.to_numeric(col, errors="coerce")
    if param in CATEGORICAL or not len(col) or not num.notna().all() or num.nunique() < 2:
        return False
    few_whole = num.nunique() <= FEW_INTEGERS and bool((num == num.round()).all())
    return not few_whole


def _axis_cells(col: pd.Series, param: str, bins: int) -> tuple[np.ndarray, pd.DataFrame, bool]:
    """Each value's cell index, the cells (index, lo, hi, name) and whether the axis is numeric.

    Numeric axes get ``bins`` equal cells (equal in log10 for lr and width); categorical axes one cell
    per choice, numbers in numeric order, at positions i - 0.5 to i + 0.5 (labelled by :func:`_choice_axis`).
    """
    if _is_numeric(col, param):
        x = col.astype(float).to_numpy()
        log = param in LOG_PARAMS and bool((x > 0).all())
        t = np.log10(x) if log else x
        edges = np.linspace(t.min(), t.max(), bins + 1)
        idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, bins - 1)
        lo, hi = (10 ** edges[:-1], 10 ** edges[1:]) if log else (edges[:-1], edges[1:])
        cells = pd.DataFrame({"i": np.arange(bins), "lo": lo, "hi": hi})
        cells["name"] = [f"{a:.3g} to {b:.3g}" for a, b in zip(lo, hi)]
        return idx, cells, True
    choices = sorted_choices(col)
    idx = col.astype(str).map({c: i for i, c in enumerate(choices)}).to_numpy()
    i = np.arange(len(choices))
    cells = pd.DataFrame({"i": i, "lo": i - 0.5, "hi": i + 0.5, "name": choices})
    return idx, cells, False


def _choice_axis(choices: list[str]) -> tuple[alt.Scale, alt.Axis]:
    """A quantitative scale and axis that show choice i at position i, labelled with its name.

    Cells and (jittered) dots share it in one layered chart, which a band scale with offsets cannot do:
    the offset would shrink the cells to a strip."""
    names = "[" + ",".join(json.dumps(c) for c in choices) + "]"
    return (alt.Scale(domain=[-0.5, len(choices) - 0.5], nice=False, zero=False),
            alt.Axis(values=list(range(len(choices))), labelExpr=f"{names}[datum.value]", grid=False,
                     labelAngle=0))


def _position(param: str, field_lo: str, numeric: bool, choices: list[str] | None, channel: str,
              title: str) -> dict[str, Any]:
    """The x or y (and x2 or y2) encodings of one axis of a cell chart."""
    cls, cls2 = (alt.X, alt.X2) if channel == "x" else (alt.Y, alt.Y2)
    if numeric:
        scale = alt.Scale(type="log") if param in LOG_PARAMS else alt.Scale(zero=False, nice=False)
        return {channel: cls(f"{field_lo}_lo:Q", title=title, scale=scale),
                f"{channel}2": cls2(f"{field_lo}_hi:Q")}
    scale, axis = _choice_axis(choices or [])
    return {channel: cls(f"{field_lo}_lo:Q", title=title, scale=scale, axis=axis),
            f"{channel}2": cls2(f"{field_lo}_hi:Q")}


def contour_grid(trials: pd.DataFrame, x: str, y: str, bins: int = 20) -> pd.DataFrame:
    """The contour's cells: one row per (x cell, y cell) holding completed trials.

    Columns: x_lo, x_hi, x_name, y_lo, y_hi, y_name, mean, best, trials. Numeric parameters are cut into
    ``bins`` cells (log10 cells for lr and width; fewer, about sqrt(completed trials), while trials are few),
    categorical ones and whole numbers with few values keep a cell per value.
    """
    if x == y:
        raise ValueError("a contour needs two different parameters")
    done = _completed(trials)
    if done.empty:
        return pd.DataFrame(columns=["x_lo", "x_hi", "x_name", "y_lo", "y_hi", "y_name", "mean", "best", "trials"])
    bins = min(bins, max(4, round(np.sqrt(len(done)))))  # few trials: fewer, bigger cells
    ix, cx, _ = _axis_cells(done[x], x, bins)
    iy, cy, _ = _axis_cells(done[y], y, bins)
    g = pd.DataFrame({"ix": ix, "iy": iy, "v": done["value"].to_numpy(dtype=float)}).groupby(["ix", "iy"])["v"]
    cells = g.agg(mean="mean", best="max", trials="count").reset_index()
    cells = cells.merge(cx.add_prefix("x_"), left_on="ix", right_on="x_i").merge(
        cy.add_prefix("y_"), left_on="iy", right_on="y_i")
    return cells[["x_lo", "x_hi", "x_name", "y_lo", "y_hi", "y_name", "mean", "best", "trials"]]


def contour(trials: pd.DataFrame, x: str, y: str, bins: int = 20, max_points: int = 1500,
            height: int = 360) -> alt.LayerChart:
    """Two parameters against each other: each cell coloured by the mean validation accuracy of the
    completed trials in it (cells with no trial stay blank), and the trials on top as dots.

    Optuna's plot_contour interpolates a surface between trials; cells show only what was measured.
    """
    cells = contour_grid(trials, x, y, bins)
    done = _completed(trials)
    x_num, y_num = _is_numeric(done[x], x), _is_numeric(done[y], y)
    xc = None if x_num else sorted_choices(done[x])
    yc = None if y_num else sorted_choices(done[y])
    title = alt.TitleParams(f"Contour: {label(x)} and {label(y)}", subtitle="mean validation accuracy per cell",
                            anchor="start")
    rect = alt.Chart(cells, title=title).mark_rect().encode(
        **_position(x, "x", x_num, xc, "x", label(x)), **_position(y, "y", y_num, yc, "y", label(y)),
        color=alt.Color("mean:Q", scale=alt.Scale(scheme="viridis"), title=["mean", "accuracy"]),
        tooltip=[alt.Tooltip("x_name:N", title=label(x)), alt.Tooltip("y_name:N", title=label(y)),
                 alt.Tooltip("mean:Q", format=".4f", title="mean accuracy"),
                 alt.Tooltip("best:Q", format=".4f", title="best accuracy"), alt.Tooltip("trials:Q")],
    )
    pts = _pick(done, max_points)[["number", "value", x, y]].rename(columns={x: "x_value", y: "y_value"})
    rng = np.random.default_rng(0)
    enc: dict[str, Any] = {}
    for ch, p, numeric, choices in (("x", x, x_num, xc), ("y", y, y_num, yc)):
        cls = alt.X if ch == "x" else alt.Y
        if numeric:
            pts[f"p{ch}"] = pts[f"{ch}_value"].astype(float)
            scale = alt.Scale(type="log") if p in LOG_PARAMS else alt.Scale(zero=False, nice=False)
            enc[ch] = cls(f"p{ch}:Q", scale=scale)
        else:  # a choice's dots spread across its cell (seeded jitter), or they sit on one line
            pos = pts[f"{ch}_value"].astype(str).map({c: i for i, c in enumerate(choices or [])}).astype(float)
            pts[f"p{ch}"] = pos + rng.uniform(-0.35, 0.35, len(pts))
            pts[f"{ch}_value"] = pts[f"{ch}_value"].astype(str)
            scale, axis = _choice_axis(choices or [])
            enc[ch] = cls(f"p{ch}:Q", scale=scale, axis=axis)
    size = 30 if len(pts) <= 300 else 12
    dots = alt.Chart(pts).mark_circle(size=size, color="white", opacity=0.8, stroke="#333", strokeWidth=0.6).encode(
        **enc, tooltip=[alt.Tooltip("number:Q", title="trial"), alt.Tooltip("x_value", title=label(x)),
                        alt.Tooltip("y_value", title=label(y)),
                        alt.Tooltip("value:Q", format=".4f", title=VALUE_TITLE)])
    return alt.layer(rect, dots).properties(height=height)


def ranked(trials: pd.DataFrame) -> pd.DataFrame:
    """Completed trials with their rank by validation accuracy: ``rank`` 1 is the best (ties share the
    better rank), ``rank_pct`` 1.0 the best and 0.0 the worst. Sorted worst to best (best drawn last)."""
    done = _completed(trials).copy()
    done["rank"] = done["value"].rank(ascending=False, method="min").astype(int)
    n = len(done)
    done["rank_pct"] = 1.0 - (done["rank"] - 1) / (n - 1) if n > 1 else 1.0
    return done.sort_values("rank", ascending=False, kind="stable")


def rank(trials: pd.DataFrame, x: str, y: str, max_points: int = 2000, height: int = 360) -> alt.Chart:
    """Two parameters against each other, one dot per completed trial coloured by its rank (yellow = best).

    Rank, not the accuracy itself, so a few very bad trials do not wash the colours out. Categorical axes
    spread their dots across the band (seeded jitter) so thousands of trials do not sit on one point.
    """
    if x == y:
        raise ValueError("a rank plot needs two different parameters")
    d = ranked(trials)
    n = len(d)
    d = _pick(d, max_points).sort_values("rank", ascending=False, kind="stable")
    d = d[["number", "value", "rank", "rank_pct", x, y]].rename(columns={x: "px", y: "py"})
    rng = np.random.default_rng(0)
    enc: dict[str, Any] = {}
    for ch, p, col in (("x", x, "px"), ("y", y, "py")):
        cls = alt.X if ch == "x" else alt.Y
        if _is_numeric(d[col], p):
            scale = alt.Scale(type="log") if p in LOG_PARAMS else alt.Scale(zero=False, nice=False)
            enc[ch] = cls(f"{col}:Q", title=label(p), scale=scale)
        else:
            d[col] = d[col].astype(str)
            enc[ch] = cls(f"{col}:N", title=label(p), sort=sorted_choices(d[col]), axis=alt.Axis(labelAngle=0))
            d[f"j{ch}"] = rng.uniform(-0.8, 0.8, len(d))
            off = alt.XOffset if ch == "x" else alt.YOffset
            enc[f"{ch}Offset"] = off(f"j{ch}:Q", scale=alt.Scale(domain=[-1, 1]))
    title = alt.TitleParams(f"Rank: {label(x)} and {label(y)}", subtitle=f"{n:,} completed trials, coloured by rank",
                            anchor="start")
    return alt.Chart(d, title=title) \
        .mark_circle(size=40, opacity=0.85).encode(
            **enc,
            color=alt.Color("rank_pct:Q", scale=alt.Scale(scheme="plasma", domain=[0, 1]),
                            title=["rank percentile", "(100% = best)"],
                            legend=alt.Legend(format=".0%", values=[0, 0.5, 1])),
            order=alt.Order("rank_pct:Q"),
            tooltip=[alt.Tooltip("number:Q", title="trial"), alt.Tooltip("rank:Q", title=f"rank of {n:,}"),
                     alt.Tooltip("px", title=label(x)), alt.Tooltip("py", title=label(y)),
                     alt.Tooltip("value:Q", format=".4f", title=VALUE_TITLE)],
        ).properties(height=height)


# ---- the distribution of accuracies --------------------------------------------------------------
def edf_data(frames: dict[str, pd.DataFrame], points: int = 200) -> pd.DataFrame:
    """The empirical distribution of each study's completed validation accuracies on a shared grid.

    Columns: study, accuracy, fraction (share of that study's completed trials at or below the accuracy;
    non-decreasing, ending at 1). ``points`` grid values from the lowest to the highest accuracy seen.
    """
    vals = {k: np.sort(_completed(t)["value"].to_numpy(dtype=float)) for k, t in frames.items()}
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
