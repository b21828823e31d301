"""Chart builders of the backprop walk-through: the 2-4-1 network drawn with this step's numbers.

Each builder first gets its data (a pure function of a :class:`~core.backprop.jobs.StepTrace`), then
draws it. No Streamlit here; tests read ``to_dict()``.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.backprop.jobs import StepTrace
from core.plotting import fit_width, sign_scale

LAYER_X = (0.0, 1.0, 2.0)
HIDDEN_Y = (4.5, 3.0, 1.5, 0.0)
INPUT_Y = (3.0, 1.5)
OUTPUT_Y = 2.25


def network_frames(t: StepTrace, backward: bool = False, picked: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges) of the drawing. nodes: name, x, y, value, detail. edges: name, x, y, x2, y2,
    value (a weight, or its gradient when ``backward``), lx, ly (where its number is written), picked."""
    nodes = [(f"x{i + 1}", LAYER_X[0], INPUT_Y[i], float(t.x[i]), f"input x{i + 1} = {t.x[i]:g}")
             for i in range(2)]
    for j in range(4):
        if backward:
            nodes.append((f"h{j + 1}", LAYER_X[1], HIDDEN_Y[j], float(t.dL_dz1[j]),
                          f"dL/dz1[{j + 1}] = {t.dL_dz1[j]:.6g}"))
        else:
            nodes.append((f"h{j + 1}", LAYER_X[1], HIDDEN_Y[j], float(t.a1[j]),
                          f"z1 = {t.z1[j]:.6g}, a1 = sigmoid(z1) = {t.a1[j]:.6g}"))
    nodes.append(("out", LAYER_X[2], OUTPUT_Y, t.dL_dz2 if backward else t.a2,
                  f"dL/dz2 = {t.dL_dz2:.6g}" if backward else f"z2 = {t.z2:.6g}, a2 = {t.a2:.6g}"))
    node_df = pd.DataFrame(nodes, columns=["name", "x", "y", "value", "detail"])
    src = t.grads if backward else t.params
    edges = []
    for i in range(2):
        for j in range(4):
            n = f"W1[{i + 1},{j + 1}]"
            edges.append((n, LAYER_X[0], INPUT_Y[i], LAYER_X[1], HIDDEN_Y[j], float(src["W1"][i, j]), 0.62))
    for j in range(4):
        n = f"W2[{j + 1}]"
        edges.append((n, LAYER_X[1], HIDDEN_Y[j], LAYER_X[2], OUTPUT_Y, float(src["W2"][j]), 0.5))
    e = pd.DataFrame(edges, columns=["name", "x", "y", "x2", "y2", "value", "at"])
    e["lx"] = e["x"] + e["at"] * (e["x2"] - e["x"])
    e["ly"] = e["y"] + e["at"] * (e["y2"] - e["y"])
    e["picked"] = e["name"] == picked
    e["width"] = 1.0 + 5.0 * e["value"].abs() / max(float(e["value"].abs().max()), 1e-12)
    return node_df, e.drop(columns="at")


def network_chart(t: StepTrace, backward: bool = False, picked: str = "", title: str = "",
                  height: int = 380) -> alt.LayerChart:
    """The network: edges coloured by weight (or gradient) with their numbers, nodes with their values."""
    nodes, edges = network_frames(t, backward, picked)
    lim = max(float(edges["value"].abs().max()), 1e-12)
    color = alt.Color("value:Q", scale=sign_scale(lim), legend=None)
    ax = dict(axis=None, scale=alt.Scale(domain=[-0.2, 2.2], nice=False))
    ay = dict(axis=None, scale=alt.Scale(domain=[-0.6, 5.1], nice=False))
    what = "dL/dw" if backward else "weight"
    rules = alt.Chart(edges).mark_rule().encode(
        x=alt.X("x:Q", **ax), y=alt.Y("y:Q", **ay), x2="x2:Q", y2="y2:Q", color=color,
        strokeWidth=alt.StrokeWidth("width:Q", legend=None, scale=None),
        tooltip=["name", alt.Tooltip("value:Q", title=what, format=".6g")])
    picked_rule = alt.Chart(edges[edges["picked"]]).mark_rule(color="#111", strokeDash=[5, 3],
                                                              strokeWidth=2).encode(
        x="x:Q", y="y:Q", x2="x2:Q", y2="y2:Q")
    labels = alt.Chart(edges).mark_text(fontSize=10, fontWeight="bold", stroke="white", strokeWidth=3,
                                        strokeOpacity=0.9).encode(
        x="lx:Q", y="ly:Q", text=alt.Text("value:Q", format=".3f"))
    labels_fg = alt.Chart(edges).mark_text(fontSize=10, fontWeight="bold").encode(
        x="lx:Q", y="ly:Q", text=alt.Text("value:Q", format=".3f"),
        color=alt.condition("datum.picked", alt.value("#000"), alt.value("#333")))
    # nodes fill by their own scale (fill, not color: layers share a channel's scale)
    nlim = max(float(nodes["value"].abs().max()), 1e-12)
    circles = alt.Chart(nodes).mark_circle(size=1500, opacity=1, stroke="#333", strokeWidth=1.5).encode(
        x="x:Q", y="y:Q",
        fill=alt.Fill("value:Q", legend=None,
                      scale=sign_scale(2 * nlim) if backward
                      else alt.Scale(range=["#ffffff", "#9ecae1"], domain=[0, 1])),
        tooltip=["name", "detail"])
    values = alt.Chart(nodes).mark_text(fontSize=11, fontWeight="bold", color="#000").encode(
        x="x:Q", y="y:Q", text=alt.Text("value:Q", format=".3f"))
    names = alt.Chart(nodes).mark_text(fontSize=11, dy=-28, color="#555").encode(x="x:Q", y="y:Q", text="name:N")
    return alt.layer(rules, picked_rule, labels, labels_fg, circles, values, names).properties(
        title=title, height=height).resolve_scale(fill="independent")


def loss_chart(history: pd.DataFrame, step: int, title: str = "Mean loss over the four XOR rows",
               per_epoch: int = 4) -> alt.LayerChart:
    """Mean loss against steps done (``per_epoch`` a epoch: 4 one example at a time, 1 full batch), with a
    dot after this step. history: step, mean_loss."""
    line = alt.Chart(history, title=title).mark_line(color="#1f77b4").encode(
        x=alt.X("step:Q", title=f"steps done ({per_epoch} per epoch)", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("mean_loss:Q", title="mean BCE loss", scale=alt.Scale(zero=False)),
        tooltip=["step", alt.Tooltip("mean_loss:Q", format=".5f")])
    here = history[history["step"] == step + 1]
    dot = alt.Chart(here).mark_point(color="#d62728", size=90, filled=True).encode(
        x="step:Q", y="mean_loss:Q", tooltip=["step", alt.Tooltip("mean_loss:Q", format=".5f")])
    return fit_width(alt.layer(line, dot).properties(height=220))  # Streamlit's "fit" left a 90 px plot


def chain_chart(factors: list[tuple[str, str, float]], title: str = "") -> alt.Chart:
    """Running product of the chain's factors, from the loss back to the weight: one bar per factor."""
    df = pd.DataFrame({"factor": [m for _, m, _ in factors], "value": [v for _, _, v in factors],
                       "order": np.arange(len(factors))})
    df["running product"] = np.cumprod(df["value"])
    return alt.Chart(df, title=title).mark_bar().encode(
        y=alt.Y("factor:N", sort=list(df["factor"]), title=None),
        x=alt.X("running product:Q"),
        color=alt.condition("datum['running product'] >= 0", alt.value("#4c78a8"), alt.value("#e45756")),
        tooltip=["factor", alt.Tooltip("value:Q", format=".6g"), alt.Tooltip("running product:Q", format=".6g")],
    ).properties(height=28 * len(df) + 20)
