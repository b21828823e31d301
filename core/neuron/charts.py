"""The neuron drawn: inputs -> weights -> sum -> activation -> output, each weight's edge in the sign colours
(blue +, red -) and as thick as the weight is large. Data first (:func:`diagram_frames`), then the picture."""

from __future__ import annotations

import functools
import json
from typing import Any

import altair as alt
import pandas as pd

from core.neuron.config import LIMIT
from core.neuron.jobs import Neuron
from core.plotting import NEGATIVE, POSITIVE

SUM_X, ACT_X, OUT_X = 2.0, 3.2, 4.4
GREY = "#777777"
LABEL_X = 0.45  # where a weight's label starts (its line starts at 0.25)


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
                      "text": f"{name} = {wi:.3g}", "tx": LABEL_X,
                      "ty": y * (SUM_X - 0.25 - LABEL_X) / (SUM_X - 0.5) + (-0.17 if y < 0 else 0.14)})
        # near the input, where the lines are far apart; above a falling line, below a rising one
    edges += [{"x": SUM_X + 0.25, "y": 0.0, "x2": ACT_X - 0.45, "y2": 0.0, "weight": None, "text": "", "tx": 0.0,
               "ty": 0.0},
              {"x": ACT_X + 0.45, "y": 0.0, "x2": OUT_X - 0.3, "y2": 0.0, "weight": None, "text": "", "tx": 0.0,
               "ty": 0.0}]
    return pd.DataFrame(nodes), pd.DataFrame(edges)


def _layers(nodes: Any, weighted_edges: Any, plain_edges: Any, width: int, height: int) -> alt.LayerChart:
    """The drawing over the given data (DataFrames, or named datasets filled in later)."""
    xs, ys = alt.Scale(domain=[-0.4, OUT_X + 0.5]), alt.Scale(domain=[-1.35, 1.35])
    x, y = alt.X("x:Q", axis=None, scale=xs), alt.Y("y:Q", axis=None, scale=ys)
    # the sign colours, full strength (a pale shade of a small weight was unreadable); the width shows its size
    colour = alt.condition("datum.weight >= 0", alt.value(POSITIVE), alt.value(NEGATIVE))
    weighted = alt.Chart(weighted_edges).mark_rule(strokeCap="round").encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q", color=colour,
        strokeWidth=alt.StrokeWidth("abs_w:Q", scale=alt.Scale(domain=[0, LIMIT], range=[1, 8]), legend=None),
        tooltip=[alt.Tooltip("text:N", title="weight")],
    ).transform_calculate(abs_w="abs(datum.weight)")
    plain = alt.Chart(plain_edges).mark_rule(color=GREY, strokeWidth=2).encode(x=x, y=y, x2="x2:Q", y2="y2:Q")
    labels = alt.Chart(weighted_edges).mark_text(fontSize=12, fontWeight="bold", align="left").encode(
        x=alt.X("tx:Q", axis=None, scale=xs), y=alt.Y("ty:Q", axis=None, scale=ys), text="text:N", color=colour)
    dots = alt.Chart(nodes).mark_circle(size=2300, opacity=1, stroke=GREY, strokeWidth=1.5, color="white").encode(
        x=x, y=y, tooltip=["text:N", "sub:N"])
    names = alt.Chart(nodes).mark_text(fontSize=11, dy=-5).encode(x=x, y=y, text="text:N")
    subs = alt.Chart(nodes).mark_text(fontSize=10, dy=9, color="#333333").encode(x=x, y=y, text="sub:N")
    return alt.layer(plain, weighted, labels, dots, names, subs).properties(
        width=width, height=height, title="One neuron: inputs × weights, summed with the bias, then the activation")


def diagram(n: Neuron, width: int = 520, height: int = 300) -> alt.LayerChart:
    """The neuron: weight edges in the sign colours (blue +, red -), as wide as the weight is large (the sliders'
    range, fixed); the sum and output's values."""
    nodes, edges = diagram_frames(n)
    return _layers(nodes, edges[edges.weight.notna()], edges[edges.weight.isna()], width, height)


@functools.lru_cache(maxsize=4)
def _template(width: int, height: int) -> str:
    """The drawing's Vega-Lite spec over three named datasets, as JSON (built and validated once)."""
    spec = _layers(alt.NamedData(name="nodes"), alt.NamedData(name="weighted"), alt.NamedData(name="plain"),
                   width, height).to_dict()
    return json.dumps(spec)


def diagram_spec(n: Neuron, width: int = 520, height: int = 300) -> dict:
    """:func:`diagram` as a Vega-Lite dict with this neuron's data filled in: a slider move costs no Altair
    build and validation (about 0.3 s a time on a loaded 2-core machine), only the data."""
    nodes, edges = diagram_frames(n)
    spec = json.loads(_template(width, height))
    records = lambda df: json.loads(df.to_json(orient="records"))  # noqa: E731 (NaN -> null)
    spec["datasets"] = {"nodes": records(nodes), "weighted": records(edges[edges.weight.notna()]),
                        "plain": records(edges[edges.weight.isna()])}
    return spec
