"""Images and Convolutions' Altair charts: pure builders from the jobs' frames."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.plotting import sign_scale

MODEL_COLORS = alt.Scale(domain=["MLP", "CNN"], range=["#7f7f7f", "#2ca02c"])


def accuracy_lines(table: pd.DataFrame, col: str, title: str) -> alt.Chart:
    """Test accuracy of each model against a shift (pixels) or a rotation (degrees): one line per model."""
    return alt.Chart(table).mark_line(point=True).encode(
        x=alt.X(f"{col}:O", title=title),
        y=alt.Y("accuracy:Q", title="test accuracy", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("model:N", scale=MODEL_COLORS),
        tooltip=["model", col, alt.Tooltip("accuracy:Q", format=".3f")],
    ).properties(height=260)


def grid(frame: pd.DataFrame, value: str, facet: str | None, title: str, signed: bool = True,
         size: int = 70, columns: int = 8) -> alt.Chart:
    """Small square heatmaps (row, col) of ``value``, one per ``facet``; signed values on the red-blue scale."""
    limit = float(frame[value].abs().max()) or 1.0
    scale = sign_scale(limit) if signed else alt.Scale(scheme="greys", domain=[0, limit])
    base = alt.Chart(frame).mark_rect().encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None),
        color=alt.Color(f"{value}:Q", scale=scale, title=title),
        tooltip=["row", "col", alt.Tooltip(f"{value}:Q", format=".3f")],
    ).properties(width=size, height=size)
    if facet is None:
        return base
    return base.facet(facet=alt.Facet(f"{facet}:N", title=None), columns=columns)


def filters_chart(frame: pd.DataFrame) -> alt.Chart:
    """The first conv layer's kernels, one small grid each (blue positive, red negative)."""
    return grid(frame, "weight", "filter", "weight", size=60)


def maps_chart(frame: pd.DataFrame, layer: int) -> alt.Chart:
    """One conv layer's feature maps for the image (after the activation): grey, dark = strong."""
    # six to a row: eight 60 px maps and the legend were wider than the page at 1024 px
    return grid(frame[frame.layer == layer], "value", "map", "activation", signed=False, size=56, columns=6)


def occlusion_chart(frame: pd.DataFrame) -> alt.Chart:
    """How much blanking each pixel lowers the predicted class's probability (blue: it helped, red: it hurt)."""
    return grid(frame, "drop", None, "probability lost", size=240)


def field_chart(field: pd.DataFrame, image: pd.DataFrame) -> alt.Chart:
    """The image in grey with the pixels one layer-2 unit sees outlined, and the unit's centre marked."""
    img = alt.Chart(image).mark_rect().encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None),
        color=alt.Color("value:Q", scale=alt.Scale(scheme="greys", domain=[0, 1]), legend=None))
    seen = alt.Chart(field[field.seen]).mark_rect(filled=False, stroke="#1f77b4", strokeWidth=1.5).encode(
        x="col:O", y="row:O")
    unit = alt.Chart(field[field.unit]).mark_rect(filled=False, stroke="#ff7f0e", strokeWidth=3).encode(
        x="col:O", y="row:O")
    return alt.layer(img, seen, unit).properties(width=240, height=240)


def params_chart(table: pd.DataFrame) -> alt.Chart:
    """Test accuracy against parameters, one point per model (log x)."""
    # the points sit within a few points of each other near the top: an axis from 0 squashed them into a line
    base = alt.Chart(table).encode(
        x=alt.X("params:Q", title="parameters", scale=alt.Scale(type="log")),
        y=alt.Y("accuracy:Q", title="test accuracy", scale=alt.Scale(zero=False, padding=12),
                axis=alt.Axis(format=".0%")),
        color=alt.Color("model:N", scale=MODEL_COLORS),
        tooltip=["model", "params", alt.Tooltip("accuracy:Q", format=".3f")],
    )
    return (base.mark_line(opacity=0.5) + base.mark_point(size=90, filled=True)).properties(height=260)

