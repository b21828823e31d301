"""Altair views of a tuning study: data in (the frames of :func:`core.tuning.read_study`), charts out.

Every builder downsamples what it draws (best trials always kept), so a 10,000-trial study renders
as fast as a small one. No Streamlit here; tests read ``to_dict()``.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

STATE_COLORS = alt.Scale(domain=["COMPLETE", "PRUNED", "RUNNING", "FAIL", "WAITING"],
                         range=["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"])
LOG_PARAMS = ("lr", "width")
VALUE_TITLE = "validation accuracy"


def _pick(df: pd.DataFrame, n: int, keep_best: int = 50, by: str = "value") -> pd.DataFrame:
    """At most n rows: the ``keep_best`` best by ``by`` plus an even sample of the rest (row order kept)."""
    if len(df) <= n:
        return df
    best = df[by].nlargest(min(keep_best, n)).index if by in df else df.index[:0]
    rest = df.index.difference(best)
    take = rest[np.linspace(0, len(rest) - 1, max(0, n - len(best))).round().astype(int)] if len(rest) else rest
    return df.loc[df.index.isin(best.union(take))]


def trials_table(trials: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """The trials table: one row per trial, sortable columns with plain names."""
    cols = ["number", "state", "value", "test_acc", "epochs", "duration_s", "worker", *params, "start"]
    t = trials[[c for c in cols if c in trials]].copy()
    return t.rename(columns={"value": "val_acc", "duration_s": "seconds", "epochs": "epochs_run"})


def trials_csv(trials: pd.DataFrame, params: list[str]) -> bytes:
    """The trials table as CSV bytes (for the download button)."""
    return trials_table(trials, params).to_csv(index=False).encode()


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
            cats = sorted(col.astype(str).unique())
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


CATEGORICAL = ("batch_size", "activation", "optimizer")


def slices(trials: pd.DataFrame, params: list[str], max_points: int = 1500, width: int = 180,
           columns: int = 4) -> alt.ConcatChart:
    """One small scatter per parameter: its value against the accuracy (darker = later trial).

    Wrapped ``columns`` to a row; lr and width on log axes; batch size, activation, optimiser as categories.
    """
    done = trials[trials["state"] == "COMPLETE"].dropna(subset=["value"])
    done = _pick(done, max_points)
    charts = []
    for p in params:
        d = done[["number", "value", p]].rename(columns={p: "x"})
        numeric = pd.to_numeric(d["x"], errors="coerce").notna().all() and len(d) and p not in CATEGORICAL
        if numeric:
            scale = alt.Scale(type="log") if p in LOG_PARAMS else alt.Scale(zero=False)
            x = alt.X("x:Q", title=p, scale=scale)
        else:
            d = d.assign(x=d["x"].astype(str))
            x = alt.X("x:N", title=p, axis=alt.Axis(labelAngle=0))
        charts.append(alt.Chart(d).mark_circle(size=30, opacity=0.6).encode(
            x=x, y=alt.Y("value:Q", title=VALUE_TITLE, scale=alt.Scale(zero=False)),
            color=alt.Color("number:Q", scale=alt.Scale(scheme="blues"), title="trial"),
            tooltip=[alt.Tooltip("number:Q", title="trial"), alt.Tooltip("x", title=p),
                     alt.Tooltip("value:Q", format=".4f")],
        ).properties(width=width, height=180))
    return alt.concat(*charts, columns=columns).resolve_scale(color="shared")


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
        x=alt.X("epoch:Q", title="epoch"),
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


def timeline(trials: pd.DataFrame, now: pd.Timestamp | None = None, max_bars: int = 3000) -> alt.Chart:
    """One bar per trial from its start to its end, a row per worker, coloured by state."""
    d = trials.dropna(subset=["start"])[["number", "state", "start", "end", "worker", "value"]].copy()
    now = now if now is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
    d["end"] = d["end"].fillna(now)
    d["worker"] = d["worker"].replace("", "unknown")
    if len(d) > max_bars:  # keep the latest bars (what a live study is doing) and a sample of the rest
        d = d.sort_values("start")
        d = pd.concat([d.iloc[: -max_bars // 2].iloc[:: max(1, (len(d) - max_bars // 2) // (max_bars // 2))],
                       d.iloc[-max_bars // 2:]])
    return alt.Chart(d, title="Timeline of trials per worker").mark_bar(height=10).encode(
        x=alt.X("start:T", title="time"), x2="end:T",
        y=alt.Y("worker:N", title="worker (host:pid)"),
        color=alt.Color("state:N", scale=STATE_COLORS, title="state"),
        tooltip=[alt.Tooltip("number:Q", title="trial"), "state:N", "worker:N",
                 alt.Tooltip("value:Q", format=".4f"), alt.Tooltip("start:T", format="%H:%M:%S"),
                 alt.Tooltip("end:T", format="%H:%M:%S")],
    )


def compare(a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str) -> alt.HConcatChart:
    """Two studies side by side: best so far by trial number, and the spread of their accuracies."""
    bests = pd.concat([best_so_far(a, 500).assign(study=name_a), best_so_far(b, 500).assign(study=name_b)])
    vals = pd.concat([
        a[a["state"] == "COMPLETE"][["value"]].assign(study=name_a),
        b[b["state"] == "COMPLETE"][["value"]].assign(study=name_b),
    ]).dropna()
    if len(vals) > 4000:
        vals = vals.groupby("study", group_keys=False).apply(lambda g: _pick(g, 2000))
    color = alt.Color("study:N", title="study")
    left = alt.Chart(bests, title="Best so far").mark_line(interpolate="step-after", strokeWidth=2).encode(
        x=alt.X("number:Q", title="trial"), y=alt.Y("best:Q", title=VALUE_TITLE, scale=alt.Scale(zero=False)),
        color=color, tooltip=["study:N", alt.Tooltip("number:Q", title="trial"), alt.Tooltip("best:Q", format=".4f")])
    right = alt.Chart(vals, title="Accuracy of completed trials").mark_boxplot(extent="min-max").encode(
        x=alt.X("study:N", title=None), y=alt.Y("value:Q", title=VALUE_TITLE, scale=alt.Scale(zero=False)),
        color=color)
    return alt.hconcat(left.properties(width=380), right.properties(width=160))


def compare_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per study: trials, completed, pruned, best accuracy, epochs trained, median seconds."""
    rows = []
    for name, t in frames.items():
        done = t[t["state"] == "COMPLETE"]
        rows.append({"study": name, "trials": int(t["state"].isin(["COMPLETE", "PRUNED"]).sum()),
                     "completed": len(done), "pruned": int((t["state"] == "PRUNED").sum()),
                     "best_val_acc": float(done["value"].max()) if len(done) else np.nan,
                     "epochs_trained": int(t["epochs"].sum()) if "epochs" in t else 0,
                     "median_seconds": float(t["duration_s"].median()) if len(t) else np.nan})
    return pd.DataFrame(rows)
