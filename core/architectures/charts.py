"""Chart builders of Network Shapes: data frames in, Altair charts out. No Streamlit here."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.plotting import LOG_LABELS, downsample, fit_width

SHAPE_ORDER = ["Shallow", "Deep", "Wide", "Deep and narrow"]
SHAPE_COLORS = alt.Scale(domain=SHAPE_ORDER, range=["#4c78a8", "#e45756", "#54a24b", "#b279a2"])
# below the plot, two a row: beside it the plots were a third of a half-width column at 1024 px
BELOW = dict(orient="bottom", columns=2, title=None, labelLimit=120, columnPadding=10)


def curves_chart(curves: pd.DataFrame, title: str = "Test accuracy while training") -> alt.LayerChart:
    """Mean test accuracy per shape over epochs, with a band from the worst to the best seed.

    curves: shape, epoch, test_acc, lo, hi."""
    d = downsample(curves, "epoch", 200)
    base = alt.Chart(d, title=title)
    # the legend from the lines, at full strength (from the faint bands its colours were hard to tell apart)
    legend = alt.Legend(**BELOW, symbolType="stroke", symbolOpacity=1, symbolStrokeWidth=3)
    line = base.mark_line(strokeWidth=2).encode(
        x=alt.X("epoch:Q", axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("test_acc:Q", title="test accuracy", scale=alt.Scale(zero=False)),
        color=alt.Color("shape:N", scale=SHAPE_COLORS, title=None, legend=legend),
        tooltip=["shape", "epoch", alt.Tooltip("test_acc:Q", title="mean test acc", format=".3f")])
    band = base.mark_area(opacity=0.18).encode(x="epoch:Q", y="lo:Q", y2="hi:Q",
                                               color=alt.Color("shape:N", scale=SHAPE_COLORS, legend=None))
    return fit_width(alt.layer(line, band).properties(height=300))  # fit_width: "fit" left a 90 px plot


def params_chart(table: pd.DataFrame, title: str = "Accuracy against size (log scale)") -> alt.LayerChart:
    """Each shape at (parameters, mean test accuracy) with a bar from its worst to best seed.

    table: shape, parameters, mean test acc, min, max, hidden widths."""
    base = alt.Chart(table, title=title)
    x = alt.X("parameters:Q", scale=alt.Scale(type="log"), title="parameters")
    color = alt.Color("shape:N", scale=SHAPE_COLORS, title=None, legend=alt.Legend(**BELOW))
    bars = base.mark_rule(strokeWidth=3).encode(x=x, y=alt.Y("min:Q", title="test accuracy",
                                                             scale=alt.Scale(zero=False)), y2="max:Q", color=color)
    dots = base.mark_point(filled=True, size=120).encode(
        x=x, y="mean test acc:Q", color=color,
        tooltip=["shape", "hidden widths", "parameters", alt.Tooltip("mean test acc:Q", format=".3f")])
    text = base.mark_text(dx=10, align="left", fontSize=11).encode(x=x, y="mean test acc:Q", text="hidden widths:N",
                                                                   color=color)
    return fit_width(alt.layer(bars, dots, text).properties(height=300))


def error_chart(table: pd.DataFrame, title: str = "Error against parameters") -> alt.Chart:
    """Relative error (best seed) per net against its parameter count, one line per depth.

    table: net, layers, width, parameters, error."""
    d = table.assign(depth=table["layers"].map(lambda n: f"{n} layer{'s' * (n > 1)}"))
    base = alt.Chart(d, title=title)
    # the legend below the plot: inside it (bottom-left, on white) it hid the lines at 1024 px
    enc = dict(x=alt.X("parameters:Q", scale=alt.Scale(type="log"), title="parameters",
                       axis=alt.Axis(labelExpr=LOG_LABELS)),
               y=alt.Y("error:Q", scale=alt.Scale(type="log"), title="relative error",
                       axis=alt.Axis(labelExpr=LOG_LABELS)),
               color=alt.Color("depth:N", title=None, legend=alt.Legend(**BELOW)))
    return fit_width(base.mark_line(point=True).encode(
        **enc, tooltip=["net", "parameters", alt.Tooltip("error:Q", format=".3g")]).properties(height=300))


def fits_chart(fits: pd.DataFrame, title: str = "The fits, one per width") -> alt.LayerChart:
    """The target (black, dashed) and each width's fit (darker = wider). fits: width (0 = target), x, y."""
    tgt = fits[fits["width"] == 0]
    nets = fits[fits["width"] > 0]
    lines = alt.Chart(nets, title=title).mark_line(strokeWidth=1.6).encode(
        x=alt.X("x:Q", title="x"), y=alt.Y("y:Q", title="f(x)"),
        color=alt.Color("width:O", scale=alt.Scale(scheme="viridis", reverse=True), title="units",
                        legend=alt.Legend(orient="bottom", columns=4, columnPadding=6, symbolType="stroke",
                                          symbolStrokeWidth=3)),  # beside the plot it took half the width
        tooltip=["width", alt.Tooltip("x:Q", format=".2f"), alt.Tooltip("y:Q", format=".3f")])
    target = alt.Chart(tgt).mark_line(color="black", strokeDash=[6, 4], strokeWidth=2.5).encode(x="x:Q", y="y:Q")
    return fit_width(alt.layer(lines, target).properties(height=300))


def pieces_chart(pieces: pd.DataFrame, total: pd.DataFrame, title: str = "") -> alt.LayerChart:
    """Each hidden unit's contribution (thin lines), their sum plus the bias (thick red) and the target (dashed).

    pieces: unit, x, y; total: x, sum, target."""
    many = pieces["unit"].nunique() > 20
    # the y range follows the target and the fit: a unit's straight piece may run far off it (clipped)
    lo = float(min(total["target"].min(), total["sum"].min()))
    hi = float(max(total["target"].max(), total["sum"].max()))
    pad = max(hi - lo, 1e-6)
    ys = alt.Scale(domain=[lo - pad, hi + pad], nice=False)
    lines = alt.Chart(pieces, title=title).mark_line(strokeWidth=1 if many else 1.5, opacity=0.35 if many else 0.8,
                                                     clip=True).encode(
        x=alt.X("x:Q", title="x"), y=alt.Y("y:Q", title="contribution to f(x)", scale=ys),
        color=alt.Color("unit:N", legend=None, scale=alt.Scale(scheme="tableau20")),
        tooltip=["unit", alt.Tooltip("x:Q", format=".2f"), alt.Tooltip("y:Q", format=".3f")])
    tot = total.melt("x", ["sum", "target"], var_name="curve", value_name="y")
    tot["curve"] = tot["curve"].map({"sum": "sum of the pieces + output bias (= the fit)", "target": "target"})
    big = alt.Chart(tot).mark_line(strokeWidth=3, clip=True).encode(
        x="x:Q", y=alt.Y("y:Q", scale=ys),
        color=alt.Color("curve:N", scale=alt.Scale(range=["#d62728", "black"]), title=None,
                        legend=alt.Legend(orient="bottom", labelLimit=400)),
        strokeDash=alt.StrokeDash("curve:N", scale=alt.Scale(range=[[1, 0], [6, 4]]), legend=None))
    return fit_width(alt.layer(lines, big).resolve_scale(color="independent").properties(height=320))
