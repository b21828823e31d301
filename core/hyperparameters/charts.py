"""Altair charts for the Hyperparameter Effects page (no Streamlit): frames from core.hyperparameters in."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from core.plotting import LOG_LABELS, fit_width

EPOCH_AXIS = alt.Axis(format="d", tickMinStep=1)
# Legends below the plot, two entries a row: beside it they left a half-width chart at 1024 px a plot
# about 100 px wide. Every chart is drawn with fit_width (Streamlit's "fit" squeezed plots under legends).
LEGEND = alt.Legend(orient="bottom", columns=2, labelLimit=120, columnPadding=10, symbolType="stroke",
                    symbolStrokeWidth=3, symbolOpacity=1)
SETS = alt.Legend(orient="bottom", direction="horizontal", title=None)


def _color(order: Sequence[str], title: str) -> alt.Color:
    # numbers (learning rates, sizes, rates): ordered colours, neighbours far enough apart to tell (in viridis
    # 0.01 and 0.1 were two greens), short of the pale yellow end that is hard to see on white; names
    # (activations) have no order: distinct hues
    numbers = all(str(v)[:1].isdigit() for v in order)
    scheme = alt.SchemeParams("plasma", extent=[0, 0.85]) if numbers and len(order) > 2 else "tableau10"
    return alt.Color("value:N", sort=list(order), title=title, legend=LEGEND,
                     scale=alt.Scale(scheme=scheme, domain=list(order)))


def curve_chart(b: pd.DataFrame, order: Sequence[str], what: str, y_title: str, title: str = "",
                log_y: bool = False, height: int = 300) -> alt.LayerChart:
    """Mean over seeds per swept value as a line, min-max over seeds as a band.

    b: value, epoch, mean, lo, hi (from core.hyperparameters.bands); order: the values' labels in sweep order.
    """
    positive = bool(len(b)) and bool((b[["lo", "mean", "hi"]] > 0).all().all())
    scale = alt.Scale(type="log") if log_y and positive else alt.Scale(zero=False)
    base = alt.Chart(b, title=title)
    color = _color(order, what)
    line = base.mark_line(strokeWidth=2.2).encode(
        x=alt.X("epoch:Q", axis=EPOCH_AXIS), y=alt.Y("mean:Q", title=y_title, scale=scale), color=color,
        tooltip=[alt.Tooltip("value:N", title=what), "epoch", alt.Tooltip("mean:Q", format=".4g"),
                 alt.Tooltip("lo:Q", format=".4g"), alt.Tooltip("hi:Q", format=".4g")])
    band = base.mark_area(opacity=0.15).encode(x="epoch:Q", y=alt.Y("lo:Q", scale=scale), y2="hi:Q", color=color)
    return fit_width(alt.layer(line, band).properties(height=height))


def train_test_chart(table: pd.DataFrame, order: Sequence[str], what: str, metric: str = "acc",
                     title: str = "") -> alt.LayerChart:
    """Training and held-out accuracy (or loss) per swept value, side by side. table: core.hyperparameters.summary."""
    name = "accuracy" if metric == "acc" else "loss"
    long = table.melt(id_vars=["value"], value_vars=[f"train {metric}", f"test {metric}"], var_name="set",
                      value_name="v")
    long["set"] = long["set"].map({f"train {metric}": "training", f"test {metric}": "held-out"})
    base = alt.Chart(long, title=title)
    bars = base.mark_bar().encode(
        x=alt.X("value:N", sort=list(order), title=what, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("set:N", sort=["training", "held-out"]),
        y=alt.Y("v:Q", title=f"final {name}", scale=alt.Scale(zero=metric != "acc"),
                axis=alt.Axis(format="~%" if metric == "acc" else "~g")),  # "100.0%", "0.900" were noise
        color=alt.Color("set:N", sort=["training", "held-out"], scale=alt.Scale(range=["#9ecae1", "#0877bd"]),
                        legend=SETS),
        tooltip=["value", "set", alt.Tooltip("v:Q", format=".4f")])
    return fit_width(alt.layer(bars).properties(height=300))


def bar_chart(frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, order: Sequence[str] | None = None,
              title: str = "", fmt: str = ".3g") -> alt.Chart:
    """Plain bars of y per x (e.g. seconds per epoch per batch size)."""
    return fit_width(alt.Chart(frame, title=title).mark_bar(color="#0877bd").encode(
        x=alt.X(f"{x}:N", sort=list(order) if order else None, title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=fmt)),
        tooltip=[x, alt.Tooltip(f"{y}:Q", format=".4g")],
    ).properties(height=300))


def lr_chart(table: pd.DataFrame, title: str = "") -> alt.LayerChart:
    """Final training and held-out loss against the learning rate (log-log). table: summary of an lr sweep."""
    t = table.assign(lr=table["value"].astype(float))
    long = t.melt(id_vars=["lr"], value_vars=["train loss", "test loss"], var_name="set", value_name="loss")
    long["set"] = long["set"].map({"train loss": "training", "test loss": "held-out"})
    long = long[long["loss"] > 0]
    return fit_width(alt.Chart(long, title=title).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X("lr:Q", scale=alt.Scale(type="log"), title="learning rate (log)", axis=alt.Axis(labelExpr=LOG_LABELS)),
        y=alt.Y("loss:Q", scale=alt.Scale(type="log"), title="final loss (log)"),
        color=alt.Color("set:N", sort=["training", "held-out"], scale=alt.Scale(range=["#9ecae1", "#0877bd"]),
                        legend=SETS),
        tooltip=[alt.Tooltip("lr:Q", format="g"), "set", alt.Tooltip("loss:Q", format=".4g")],
    ).properties(height=300))
