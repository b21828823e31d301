"""The neuron drawn: inputs -> weights -> sum -> activation -> output, each weight's edge in the sign colours
(blue +, red -) and as thick as the weight is large. Data first (:func:`diagram_frames`), then the picture."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.neuron.jobs import Neuron
from core.plotting import sign_scale

SUM_X, ACT_X, OUT_X = 2.0, 3.2, 4.4
GREY = "#777777"


def _node_label(v: float) -> str:
    return f"{v:.3g}"


def diagram_frames(n: Neuron) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges) of the drawing. nodes: x, y, text, sub, value; edges: x, y, x2, y2, weight, text, tx, ty."""
    k = len(n.x)
    ys = [1.0 - 2.0 * i / k for i in range(k + 1)]  # inputs top to bottom, then the bias
    nodes = [{"x": 0.0, "y": y, "text": f"x{i + 1}", "sub": _node_label(v), "value": v}
             for i, (y, v) in enumerate(zip(ys, n.x))]
    nodes.append({"x": 0.0, "y": ys[-1], "text": "bias", "sub": "1", "value": 1.0})
    nodes += [{"x": SUM_X, "y": 0.0, "text": "Σ", "sub": f"z = {_node_label(n.z)}", "value": n.z},
              {"x": ACT_X, "y": 0.0, "text": n.label, "sub": "", "value": 0.0},
              {"x": OUT_X, "y": 0.0, "text": "output", "sub": f"{_node_label(n.a)}", "value": n.a}]
    edges = []
    for i, (y, wi) in enumerate(zip(ys, (*n.w, n.b))):
        name = f"w{i + 1}" if i < k else "b"
        edges.append({"x": 0.25, "y": y, "x2": SUM_X - 0.25, "y2": 0.0, "weight": wi,
                      "text": f"{name} = {wi:.3g}", "tx": 0.5 * SUM_X,
                      "ty": y * 0.5 + (0.25 if y >= 0 else -0.3)})  # beside its line, never on it
    edges += [{"x": SUM_X + 0.25, "y": 0.0, "x2": ACT_X - 0.45, "y2": 0.0, "weight": None, "text": "", "tx": 0.0,
               "ty": 0.0},
              {"x": ACT_X + 0.45, "y": 0.0, "x2": OUT_X - 0.3, "y2": 0.0, "weight": None, "text": "", "tx": 0.0,
               "ty": 0.0}]
    return pd.DataFrame(nodes), pd.DataFrame(edges)


def diagram(n: Neuron, width: int = 520, height: int = 240) -> alt.LayerChart:
    """The neuron: weight edges coloured by sign (blue +, red -), width by size; the sum and output's values."""
    nodes, edges = diagram_frames(n)
    lim = max([abs(v) for v in (*n.w, n.b)] + [1e-9])
    xs, ys = alt.Scale(domain=[-0.4, OUT_X + 0.5]), alt.Scale(domain=[-1.35, 1.35])
    x, y = alt.X("x:Q", axis=None, scale=xs), alt.Y("y:Q", axis=None, scale=ys)
    weighted = alt.Chart(edges[edges.weight.notna()]).mark_rule(strokeCap="round").encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q",
        color=alt.Color("weight:Q", scale=sign_scale(lim), legend=None),
        strokeWidth=alt.StrokeWidth("abs_w:Q", scale=alt.Scale(domain=[0, lim], range=[1, 7]), legend=None),
        tooltip=[alt.Tooltip("text:N", title="weight")],
    ).transform_calculate(abs_w="abs(datum.weight)")
    plain = alt.Chart(edges[edges.weight.isna()]).mark_rule(color=GREY, strokeWidth=2).encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q")
    labels = alt.Chart(edges[edges.weight.notna()]).mark_text(fontSize=12, fontWeight="bold").encode(
        x=alt.X("tx:Q", axis=None, scale=xs), y=alt.Y("ty:Q", axis=None, scale=ys), text="text:N",
        color=alt.Color("weight:Q", scale=sign_scale(lim), legend=None))
    dots = alt.Chart(nodes).mark_circle(size=2300, opacity=1, stroke=GREY, strokeWidth=1.5, color="white").encode(
        x=x, y=y, tooltip=["text:N", "sub:N"])
    names = alt.Chart(nodes).mark_text(fontSize=11, dy=-5).encode(x=x, y=y, text="text:N")
    subs = alt.Chart(nodes).mark_text(fontSize=10, dy=9, color="#333333").encode(x=x, y=y, text="sub:N")
    return alt.layer(plain, weighted, labels, dots, names, subs).properties(
        width=width, height=height, title="One neuron: inputs × weights, summed with the bias, then the activation")
