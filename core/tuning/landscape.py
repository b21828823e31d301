"""Study landscapes: two parameters at once (contour, rank); the distribution of accuracies (EDF) is in
:mod:`core.tuning.charts`.

Data in (the trials frame of :func:`core.tuning.read_study`), Altair charts out; no Streamlit here.
"""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from core.tuning.charts import CATEGORICAL, LOG_PARAMS, VALUE_TITLE, completed, label, pick, sorted_choices

# ---- two parameters at once: contour and rank ----------------------------------------------------
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
    done = completed(trials)
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
    done = completed(trials)
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
    pts = pick(done, max_points)[["number", "value", x, y]].rename(columns={x: "x_value", y: "y_value"})
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
    done = completed(trials).copy()
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
    d = pick(d, max_points).sort_values("rank", ascending=False, kind="stable")
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
