"""Altair builders for the Activation Explorer: frames from core.explorer in, charts out (no Streamlit)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.plotting import LOG_LABELS, fit_width

BELOW = alt.Legend(orient="bottom", columns=2, title=None, labelLimit=100, columnPadding=12)  # half-width charts
PALETTE = alt.Scale(scheme="tableau10")  # distinct hues: neighbouring functions stay apart
# Eight lines in one chart (the comparison's default): eight colours chosen to stay apart for most
# colour-blind readers too (Okabe-Ito, its yellow swapped for brown), and a dash pattern each, so two
# lines that overlap or share a hue still differ in a second way.
EIGHT_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#8C564B"]
EIGHT_DASHES = [[1, 0], [7, 3], [2, 2], [9, 3, 2, 3], [1, 0], [7, 3], [2, 2], [9, 3, 2, 3]]
EPOCH_AXIS = alt.Axis(format="d", tickMinStep=1)  # epochs are whole numbers: no 1.2, 1.4 ticks on short runs


def curves_chart(df: pd.DataFrame, value: str = "y", title: str = "", height: int = 300) -> alt.LayerChart:
    """Functions (or their slopes) over x, one colour each; clipped points marked with a red dot.

    df: x, function, y, slope, clipped (from explorer.curves). Where two curves coincide (ReLU and Leaky
    ReLU for x > 0) both stay visible: the first-listed function is drawn last (on top) and thinnest, each
    later one wider beneath it, so a line under another shows as a coloured rim. The legend keeps the
    listed order.
    """
    y_title = {"y": "f(x)", "slope": "f'(x)  (autograd)"}.get(value, value)
    names = list(dict.fromkeys(df["function"]))
    widths = [2.0 + 1.6 * i for i in range(len(names))]  # the first listed is thinnest (and on top)
    order = {n: i for i, n in enumerate(names)}
    drawn = df.iloc[np.argsort([-order[f] for f in df["function"]], kind="stable")]  # last listed drawn first
    base = alt.Chart(drawn, title=title)
    line = base.mark_line().encode(
        x=alt.X("x:Q", title="x"),
        y=alt.Y(f"{value}:Q", title=y_title),
        color=alt.Color("function:N", legend=BELOW, scale=alt.Scale(scheme="tableau10", domain=names)),
        strokeWidth=alt.StrokeWidth("function:N", legend=None, scale=alt.Scale(domain=names, range=widths)),
        strokeDash=alt.StrokeDash("function:N", legend=None,
                                  scale=alt.Scale(domain=names, range=[[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]])),
        tooltip=["function", alt.Tooltip("x:Q", format=".3f"), alt.Tooltip(f"{value}:Q", format=".4g")],
    )
    zero = alt.Chart(pd.DataFrame({"z": [0.0]})).mark_rule(color="#999", strokeDash=[3, 3]).encode(y="z:Q")
    layers = [zero, line]
    clipped = df[df["clipped"]]
    if len(clipped):
        layers.append(alt.Chart(clipped).mark_point(color="#d62728", size=18, filled=True).encode(
            x="x:Q", y=f"{value}:Q", tooltip=["function", alt.Tooltip("x:Q", format=".3g"),
                                              alt.Tooltip(f"{value}:Q", title="clipped to", format=".3g")]))
    return fit_width(alt.layer(*layers).properties(height=height))  # legend below: a wide plot at 1024 px


def softmax_bars(df: pd.DataFrame, title: str = "") -> alt.Chart:
    """Probability of each class at T=1 and at the chosen T, side by side. df: class, order, temperature, p."""
    # fit_width: Streamlit's "fit" squeezed the plot under its bottom legend to about 90 px; class names
    # upright (they were turned on end)
    return fit_width(alt.Chart(df, title=title).mark_bar().encode(
        x=alt.X("class:N", sort=alt.EncodingSortField("order"), title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("temperature:N"),
        y=alt.Y("p:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%")),
        color=alt.Color("temperature:N", legend=alt.Legend(orient="bottom", title=None),
                        scale=alt.Scale(range=["#9ecae1", "#0877bd"])),
        tooltip=["class", "temperature", alt.Tooltip("p:Q", format=".4f")],
    ).properties(height=240))


def softmax_sweep_chart(df: pd.DataFrame, temperature: float, title: str = "") -> alt.LayerChart:
    """p of each class against the temperature (log x), with a rule at the chosen T.

    df: temperature, class, order, p (from explorer.softmax_sweep).
    """
    line = alt.Chart(df, title=title).mark_line(strokeWidth=2).encode(
        x=alt.X("temperature:Q", title="temperature T (log scale)",
                scale=alt.Scale(type="log", domain=[float(df.temperature.min()), float(df.temperature.max())],
                                nice=False)),
        y=alt.Y("p:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%")),
        color=alt.Color("class:N", sort=alt.EncodingSortField("order"),
                        legend=BELOW),
        tooltip=["class", alt.Tooltip("temperature:Q", format=".3g"), alt.Tooltip("p:Q", format=".4f")],
    )
    rule = alt.Chart(pd.DataFrame({"t": [temperature]})).mark_rule(color="#333", strokeDash=[4, 3]).encode(
        x="t:Q", tooltip=[alt.Tooltip("t:Q", title="chosen T")])
    # legend below (beside it the plot was 110 px wide at 1024 px), as tall as the bars beside it
    return fit_width(alt.layer(line, rule).properties(height=240))


def band_chart(df: pd.DataFrame, y_title: str, title: str = "", log_y: bool = False,
               height: int = 300) -> alt.LayerChart:
    """Mean over seeds as a line, min-max over seeds as a band, per function.

    df: function, epoch, mean, lo, hi (from explorer.compare_bands).
    """
    positive = bool((df[["lo", "mean", "hi"]] > 0).all().all())
    scale = alt.Scale(type="log") if log_y and positive else alt.Scale(zero=False)
    names = list(dict.fromkeys(df["function"]))
    colours = alt.Scale(domain=names, range=[EIGHT_COLOURS[i % 8] for i in range(len(names))])
    dashes = alt.Scale(domain=names, range=[EIGHT_DASHES[i % 8] for i in range(len(names))])
    # below the plot in two columns: beside it, eight entries left a half-width chart at 1024 px a 30 px
    # plot
    legend = alt.Legend(orient="bottom", columns=2, title=None, labelLimit=100, columnPadding=6,
                        symbolType="stroke", symbolOpacity=1, symbolStrokeWidth=2.5,
                        symbolSize=220)  # long stroke symbols: the dash shows; as narrow as the plot at 1024 px
    base = alt.Chart(df, title=title)
    band = base.mark_area(opacity=0.12).encode(
        x=alt.X("epoch:Q", title="epoch", axis=EPOCH_AXIS), y=alt.Y("lo:Q", scale=scale, title=y_title), y2="hi:Q",
        color=alt.Color("function:N", legend=None, scale=colours))
    line = base.mark_line(strokeWidth=2.2).encode(
        x="epoch:Q", y=alt.Y("mean:Q", scale=scale),
        color=alt.Color("function:N", legend=legend, scale=colours),
        strokeDash=alt.StrokeDash("function:N", legend=legend, scale=dashes),
        tooltip=["function", "epoch", alt.Tooltip("mean:Q", format=".4f"), alt.Tooltip("lo:Q", format=".4f"),
                 alt.Tooltip("hi:Q", format=".4f")])
    return fit_width(alt.layer(line, band).properties(height=height))  # line first: the legend shows lines


def ranking_chart(table: pd.DataFrame, title: str = "") -> alt.LayerChart:
    """Mean final test accuracy per activation (dot, best on top) with the seeds' min-max as a line.

    table: activation, mean test acc, min, max (from explorer.compare_table).
    """
    t = table.rename(columns={"mean test acc": "mean"})
    lo = max(0.0, float(t["min"].min()) - 0.02)
    hi = min(1.0, float(t["max"].max()) + 0.01)
    sc = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    order = alt.EncodingSortField("mean", order="descending")
    spread = alt.Chart(t, title=title).mark_rule(color="#555", strokeWidth=2).encode(
        y=alt.Y("activation:N", sort=order, title=None),
        x=alt.X("min:Q", scale=sc, axis=alt.Axis(format=".1%"),
                title=["final test accuracy", "dot: mean; line: worst to best seed"]), x2="max:Q")
    dots = alt.Chart(t).mark_point(filled=True, size=90, color="#0877bd", opacity=1).encode(
        y=alt.Y("activation:N", sort=order), x=alt.X("mean:Q", scale=sc),
        tooltip=["activation", alt.Tooltip("mean:Q", format=".4f"), alt.Tooltip("min:Q", format=".4f"),
                 alt.Tooltip("max:Q", format=".4f")])
    return fit_width(alt.layer(spread, dots).properties(height=28 * len(t) + 40))


def grad_lines(df: pd.DataFrame, epoch: int = 0, title: str = "") -> alt.Chart:
    """Gradient norm of each layer's weights (log y) at one epoch, one line per function.

    df: function, epoch, layer, grad_norm (from explorer.depth_frames()['grad']).
    """
    d = df[(df["epoch"] == epoch) & (df["grad_norm"] > 0)]
    return fit_width(alt.Chart(d, title=title).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X("layer:O", title="layer (1 = input side)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("grad_norm:Q", scale=alt.Scale(type="log"), title="gradient norm ||dL/dW|| (log)",
                axis=alt.Axis(labelExpr=LOG_LABELS)),
        color=alt.Color("function:N", legend=BELOW, scale=PALETTE),
        tooltip=["function", "layer", alt.Tooltip("grad_norm:Q", format=".3e")],
    ).properties(height=300))


def layer_heatmap(df: pd.DataFrame, value: str, title: str = "", log: bool = False, columns: int = 2,
                  width: int = 260, height: int = 180) -> alt.FacetChart:
    """Epoch x layer heatmap per function (small multiples). df: function, epoch, layer, value."""
    d = df.copy()
    if log:
        d["log10"] = np.log10(d[value].clip(lower=1e-30))
        # the title on two lines: on one, the legend ran past the right edge at 1024 px
        color = alt.Color("log10:Q", title=["log10", value.replace("_", " ")], scale=alt.Scale(scheme="viridis"))
    else:
        color = alt.Color(f"{value}:Q", title=value.replace("_", " "),
                          scale=alt.Scale(domain=[0, 1], range=["#ffffff", "#b71c1c"]))
    return alt.Chart(d).mark_rect().encode(
        x=alt.X("epoch:O", title="epoch (0 = at initialisation)", axis=alt.Axis(labelAngle=0, labelOverlap="greedy")),
        y=alt.Y("layer:O", title="layer", sort="descending"),
        color=color,
        tooltip=["function", "epoch", "layer", alt.Tooltip(f"{value}:Q", format=".3g")],
    ).properties(width=width, height=height).facet(
        facet=alt.Facet("function:N", title=title or None), columns=columns)


def preact_hist(df: pd.DataFrame, title: str = "", columns: int = 5, size: int = 130) -> alt.FacetChart:
    """Pre-activation histograms per layer (small multiples), at init and after training overlaid.

    df: stage, layer, lo, hi, share (for one function).
    """
    return alt.Chart(df).mark_rect(opacity=0.55).encode(
        x=alt.X("lo:Q", title="pre-activation z"), x2="hi:Q",
        y=alt.Y("share:Q", title="share"), y2=alt.datum(0),
        color=alt.Color("stage:N", legend=alt.Legend(orient="bottom", title=None),
                        scale=alt.Scale(domain=["at init", "after training"], range=["#9e9e9e", "#f59322"])),
        tooltip=["stage", "layer", alt.Tooltip("lo:Q", format=".3g"), alt.Tooltip("hi:Q", format=".3g"),
                 alt.Tooltip("share:Q", format=".1%")],
    ).properties(width=size, height=int(size * 0.7)).facet(
        facet=alt.Facet("layer:O", title=title or "layer"), columns=columns)


def acc_lines(df: pd.DataFrame, title: str = "") -> alt.Chart:
    """Test accuracy per epoch, one line per function. df: function, epoch, test_acc."""
    return fit_width(alt.Chart(df, title=title).mark_line(point=True).encode(
        x=alt.X("epoch:Q", axis=EPOCH_AXIS),
        y=alt.Y("test_acc:Q", title="test accuracy", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("function:N", legend=BELOW, scale=PALETTE),
        tooltip=["function", "epoch", alt.Tooltip("test_acc:Q", format=".3f")],
    ).properties(height=240))
