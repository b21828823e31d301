"""Altair chart builders: data in, ``alt.Chart`` out. No Streamlit here; tests read ``to_dict()``.

Conventions: long-form pandas frames in; colours by a categorical column; tooltips on marks;
widths left to the page (``use_container_width``) unless the chart is a small multiple.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.plotting import NEGATIVE, POSITIVE, SIGN_SCHEME, downsample, fit_width, fixed_size, wrapped_labels

# class 0 and P(class 1) near 0 in the negative sign's colour, class 1 in the positive's (as on every page)
CLASS_COLORS = alt.Scale(domain=[0, 1], range=[NEGATIVE, POSITIVE])
DIVERGING = alt.Scale(scheme=SIGN_SCHEME, domain=[0, 1], domainMid=0.5)


def loss_curves(df: pd.DataFrame, x: str = "epoch", y: str = "loss", color: str = "series",
                log_y: bool = True, title: str = "") -> alt.Chart:
    """One line per ``color`` value: df columns x, y, color."""
    d = downsample(df.dropna(subset=[y]), x)
    scale = alt.Scale(type="log") if log_y and (d[y] > 0).all() else alt.Scale()
    # below the plot, one entry a row, long names on two lines: in a half-width column at 1024 px a
    # one-line "NumPy (gradient descent, hand-written backprop)" ran past the chart's edge and was cut
    legend = alt.Legend(orient="bottom", direction="vertical", labelLimit=0,
                        labelExpr=wrapped_labels(d[color].astype(str)))
    return fit_width(alt.Chart(d, title=title).mark_line().encode(
        x=alt.X(f"{x}:Q", title=x),
        y=alt.Y(f"{y}:Q", title=y.replace("_", " "), scale=scale),
        color=alt.Color(f"{color}:N", title=None, scale=alt.Scale(scheme="category10"), legend=legend),
        tooltip=[color, x, alt.Tooltip(y, format=".4g")],
    ).properties(height=260))


def many_curves(df: pd.DataFrame, x: str = "epoch", y: str = "loss", group: str = "model",
                highlight: pd.DataFrame | None = None, log_y: bool = True, title: str = "") -> alt.LayerChart:
    """Every group's curve faint, plus the median over groups bold (and optional highlighted curves).

    df: long frame with x, y, group. highlight: frame with x, y, label (drawn in colour).
    """
    d = downsample(df[[x, y, group]].dropna(subset=[y]), x, 200)  # only what is drawn goes to the browser
    positive = bool((d[y] > 0).all())
    scale = alt.Scale(type="log") if log_y and positive else alt.Scale()
    base = alt.Chart(d, title=title)
    faint = base.mark_line(opacity=0.12, strokeWidth=1, color="#555").encode(
        x=alt.X(f"{x}:Q", title=x), y=alt.Y(f"{y}:Q", title=y.replace("_", " "), scale=scale),
        detail=f"{group}:N",
    )
    med = d.groupby(x, as_index=False)[y].median()
    median = alt.Chart(med).mark_line(strokeWidth=3, color="#d62728").encode(
        x=f"{x}:Q", y=alt.Y(f"{y}:Q", scale=scale), tooltip=[x, alt.Tooltip(y, title="median", format=".4g")],
    )
    layers = [faint, median]
    if highlight is not None and len(highlight):
        h = downsample(highlight, x, 200)
        layers.append(alt.Chart(h).mark_line(strokeWidth=2, strokeDash=[4, 2]).encode(
            x=f"{x}:Q", y=alt.Y(f"{y}:Q", scale=scale), color=alt.Color("label:N", title=None),
            tooltip=["label", x, alt.Tooltip(y, format=".4g")],
        ))
    return alt.layer(*layers)


def decision_surface(grid: pd.DataFrame, points: pd.DataFrame | None = None, value: str = "p",
                     title: str = "", size: int = 260, domain: tuple[float, float] = (0.0, 1.0),
                     extent: float | None = None) -> alt.LayerChart:
    """Heatmap of a model's output over the plane, with the data points on top.

    grid: columns x1, x2, value (a regular grid). points: x1, x2, label (0/1 or real), optional split.
    """
    xs = np.sort(grid["x1"].unique())
    step = float(xs[1] - xs[0]) if len(xs) > 1 else 1.0
    g = grid.assign(x1b=grid["x1"] + step, x2b=grid["x2"] + step)
    lo, hi = (extent and -extent), extent
    sx = alt.Scale(domain=[lo, hi], nice=False) if extent else alt.Scale(zero=False, nice=False)
    color = alt.Scale(scheme=SIGN_SCHEME, domain=list(domain), domainMid=(domain[0] + domain[1]) / 2)
    heat = alt.Chart(g, title=title).mark_rect(opacity=0.85).encode(
        x=alt.X("x1:Q", scale=sx, title="x1"), x2="x1b:Q",
        y=alt.Y("x2:Q", scale=sx, title="x2"), y2="x2b:Q",
        color=alt.Color(f"{value}:Q", scale=color, title=value),
        tooltip=[alt.Tooltip("x1:Q", format=".2f"), alt.Tooltip("x2:Q", format=".2f"),
                 alt.Tooltip(f"{value}:Q", format=".3f")],
    )
    layers: list[alt.Chart] = [heat]
    if points is not None and len(points):
        enc = dict(x="x1:Q", y="x2:Q", tooltip=["x1", "x2", "label"],
                   fill=alt.Color("label:Q", scale=color, legend=None))
        if "split" in points:
            enc["shape"] = alt.Shape("split:N", title=None, legend=alt.Legend(orient="bottom", direction="horizontal",
                                                                           labelLimit=80))
        layers.append(alt.Chart(points).mark_point(filled=True, stroke="white", strokeWidth=1, size=60,
                                                   opacity=1).encode(**enc))
    return fixed_size(alt.layer(*layers).properties(width=size, height=size))


def heatmap_grid(grid: pd.DataFrame, facet: str, value: str = "a", columns: int = 4, size: int = 110,
                 domain: tuple[float, float] = (0.0, 1.0), title: str = "") -> alt.FacetChart:
    """Small multiples: one heatmap per ``facet`` value over the plane (grid columns x1, x2, facet, value)."""
    xs = np.sort(grid["x1"].unique())
    step = float(xs[1] - xs[0]) if len(xs) > 1 else 1.0
    g = grid.assign(x1b=grid["x1"] + step, x2b=grid["x2"] + step)
    return alt.Chart(g).mark_rect().encode(
        x=alt.X("x1:Q", title=None, axis=alt.Axis(labels=False, ticks=False)), x2="x1b:Q",
        y=alt.Y("x2:Q", title=None, axis=alt.Axis(labels=False, ticks=False)), y2="x2b:Q",
        color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme="viridis", domain=list(domain)), title=value),
        tooltip=[facet, alt.Tooltip(f"{value}:Q", format=".3f")],
    ).properties(width=size, height=size).facet(
        facet=alt.Facet(f"{facet}:N", title=title or None), columns=columns)


def bars(df: pd.DataFrame, x: str, y: str, color: str | None = None, title: str = "",
         y_title: str | None = None) -> alt.Chart:
    """A simple bar chart of y per x."""
    enc = dict(x=alt.X(f"{x}:O", title=x), y=alt.Y(f"{y}:Q", title=y_title or y.replace("_", " ")),
               tooltip=list(df.columns))
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=None)
    return alt.Chart(df, title=title).mark_bar().encode(**enc)


def perceptron_view(points: pd.DataFrame, line: pd.DataFrame, title: str = "", size: int = 240,
                    legend: bool = True) -> alt.LayerChart:
    """The four gate inputs coloured by target, and the perceptron's decision line.

    points: x1, x2, target (0/1); line: x1, x2 (two rows, or none when the line is outside the box).
    Small multiples pass ``legend=False`` (the colours are explained once) so the plot keeps its width.
    """
    sc = alt.Scale(domain=[-0.5, 1.5], nice=False)
    leg = alt.Legend(orient="bottom", direction="horizontal") if legend else None
    head = alt.Title(title, anchor="start", fontSize=13, limit=max(size + 40, 120)) if title else alt.Undefined
    pts = alt.Chart(points, title=head).mark_point(filled=True, size=260, stroke="black", strokeWidth=1).encode(
        x=alt.X("x1:Q", scale=sc, axis=alt.Axis(values=[0, 1], tickCount=2)),
        y=alt.Y("x2:Q", scale=sc, axis=alt.Axis(values=[0, 1], tickCount=2)),
        color=alt.Color("target:N", scale=CLASS_COLORS, title="target", legend=leg),
        tooltip=["x1", "x2", "target"],
    )
    ln = alt.Chart(line).mark_line(color="#333", strokeWidth=2.5).encode(x="x1:Q", y="x2:Q")
    return fixed_size(alt.layer(pts, ln).properties(width=size, height=size))


def error_bars(errors: list[int], title: str = "Mistakes per epoch") -> alt.Chart:
    """Bar per epoch: how many of the four inputs the perceptron got wrong."""
    df = pd.DataFrame({"epoch": np.arange(1, len(errors) + 1), "errors": errors})
    return fit_width(alt.Chart(df, title=alt.Title(title, anchor="start", offset=8)).mark_bar(color="#d62728").encode(
        x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0.5, len(errors) + 0.5], nice=False),
                axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("errors:Q", title="updates in the pass", scale=alt.Scale(domain=[0, 4]),
                axis=alt.Axis(values=[0, 1, 2, 3, 4])),
        tooltip=["epoch", alt.Tooltip("errors", title="updates (mistakes during the pass)")],
    ).properties(height=180))


def band_curves(df: pd.DataFrame, x: str = "epoch", y: str = "loss", series: str = "series",
                log_y: bool = True, title: str = "") -> alt.LayerChart:
    """Median line with a 10-90 % band over models, per series. df: x, y, series, model."""
    d = df.dropna(subset=[y])
    q = d.groupby([series, x])[y].quantile([0.1, 0.5, 0.9]).unstack().reset_index()
    q.columns = [series, x, "lo", "median", "hi"]
    q = downsample(q, x, 250)
    positive = bool((q[["lo", "median", "hi"]] > 0).all().all())
    scale = alt.Scale(type="log") if log_y and positive else alt.Scale()
    base = alt.Chart(q, title=title)
    band = base.mark_area(opacity=0.2).encode(
        x=alt.X(f"{x}:Q"), y=alt.Y("lo:Q", scale=scale, title=y.replace("_", " ")), y2="hi:Q",
        color=alt.Color(f"{series}:N", title=None))
    line = base.mark_line(strokeWidth=2).encode(
        x=f"{x}:Q", y=alt.Y("median:Q", scale=scale), color=f"{series}:N",
        tooltip=[series, x, alt.Tooltip("median:Q", format=".4g")])
    return alt.layer(band, line)
