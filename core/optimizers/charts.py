"""The Optimizers page's charts: the loss surface as a heatmap with each optimizer's path up to a step,
and the loss of each against the step."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.optimizers.jobs import OPTIMIZERS, SURFACES
from core.plotting import LOG_LABELS, fit_width

# one colour per optimizer, none of them the sign colours (red and blue mean negative and positive elsewhere)
COLOURS = {"SGD": "#e08214", "momentum": "#1b9e77", "Adam": "#7b3294"}
_scale = alt.Scale(domain=list(OPTIMIZERS), range=[COLOURS[n] for n in OPTIMIZERS])


def surface_chart(grid: pd.DataFrame, paths: pd.DataFrame, surface: str, step: int, height: int = 360) -> alt.Chart:
    """The surface (colour: log10 of the loss, dark = low) with each path from the start to ``step``
    and a dot where each optimizer stands at that step; the minimum as a cross."""
    s = SURFACES[surface]
    nx = grid["x"].nunique()
    dx = (s.x_range[1] - s.x_range[0]) / (nx - 1)
    dy = (s.y_range[1] - s.y_range[0]) / (grid["y"].nunique() - 1)
    g = grid.assign(x2=grid["x"] + dx, y2=grid["y"] + dy)
    xs = alt.Scale(domain=list(s.x_range), nice=False, zero=False)
    ys = alt.Scale(domain=list(s.y_range), nice=False, zero=False)
    heat = alt.Chart(g).mark_rect(opacity=0.9).encode(
        x=alt.X("x:Q", scale=xs, title="parameter x"), x2="x2", y=alt.Y("y:Q", scale=ys, title="parameter y"),
        y2="y2", color=alt.Color("log_loss:Q", scale=alt.Scale(scheme="greys", reverse=True),
                                 title="log10 loss"),
        tooltip=[alt.Tooltip("x:Q", format=".2f"), alt.Tooltip("y:Q", format=".2f"),
                 alt.Tooltip("loss:Q", format=".4g")])
    upto = paths[(paths["step"] <= step)].dropna(subset=["x", "y"])
    inside = upto[upto["x"].between(*s.x_range) & upto["y"].between(*s.y_range)]
    line = alt.Chart(inside).mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), order="step:Q",
        color=alt.Color("optimizer:N", scale=_scale, title="optimizer", sort=list(OPTIMIZERS)),
        detail="optimizer:N",
        tooltip=["optimizer:N", "step:Q", alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f"),
                 alt.Tooltip("loss:Q", format=".4g")])
    now = inside.sort_values("step").groupby("optimizer").tail(1)
    dots = alt.Chart(now).mark_point(size=120, filled=True, stroke="white", strokeWidth=1.5, opacity=1).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys),
        color=alt.Color("optimizer:N", scale=_scale, legend=None), tooltip=["optimizer:N", "step:Q"])
    marks = pd.DataFrame({"x": [s.start[0], s.minimum[0]], "y": [s.start[1], s.minimum[1]],
                          "what": ["start", "minimum"]})
    pins = alt.Chart(marks).mark_point(shape="cross", size=150, color="black", strokeWidth=2).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), tooltip=["what:N"])
    chart = (heat + line + dots + pins).properties(
        height=height, title=f"Loss surface {s.formula}: paths up to step {step}")
    return fit_width(chart)


def loss_chart(paths: pd.DataFrame, step: int, threshold: float, height: int = 220) -> alt.Chart:
    """Each optimizer's loss against the step (log scale), the threshold as a dashed line, ``step`` as a rule."""
    d = paths.dropna(subset=["loss"])
    d = d[d["loss"] > 0].assign(loss=lambda f: np.maximum(f["loss"], 1e-12))
    y = alt.Y("loss:Q", scale=alt.Scale(type="log"), title="loss (log scale)", axis=alt.Axis(labelExpr=LOG_LABELS))
    lines = alt.Chart(d).mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", title="step"), y=y,
        color=alt.Color("optimizer:N", scale=_scale, sort=list(OPTIMIZERS)),
        tooltip=["optimizer:N", "step:Q", alt.Tooltip("loss:Q", format=".4g")])
    thr = alt.Chart(pd.DataFrame({"loss": [threshold]})).mark_rule(strokeDash=[5, 4], color="#444").encode(
        y="loss:Q")
    now = alt.Chart(pd.DataFrame({"step": [step]})).mark_rule(color="#888").encode(x="step:Q")
    return fit_width((lines + thr + now).properties(
        height=height, title=f"Loss at each step (dashed: {threshold:g}, the valley counts as passed below it)"))
