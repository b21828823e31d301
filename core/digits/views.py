"""Pictures and charts for the "inside the network" views: weight images, activation strips, unit
contributions. Data in, picture or Altair chart out (tests read ``to_dict()`` and the pixel arrays)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image

from core.digits.inside import Activations
from core.plotting import NEGATIVE, POSITIVE, fit_width


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])


# the app's sign colours (core.plotting): positive blue, negative red, white at 0
NEG, MID, POS = _rgb(NEGATIVE), np.array([247, 247, 247]), _rgb(POSITIVE)


def diverging_rgb(w: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Signed values [H, W] -> RGB uint8 [H, W, 3]: red below 0, white at 0, blue above, |w| / scale saturating at 1.

    scale: the value drawn fully saturated (default: the largest |w|, so every image uses its full range).
    """
    w = np.asarray(w, np.float32)
    s = float(scale) if scale else float(np.abs(w).max()) or 1.0
    t = np.clip(w / s, -1, 1)[..., None]
    rgb = np.where(t >= 0, MID + (POS - MID) * t, MID + (NEG - MID) * (-t))
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def weight_image(w: np.ndarray, size: int = 84, scale: float | None = None) -> Image.Image:
    """One unit's incoming weights [side, side] as a diverging-colour picture ``size`` px square (pixels kept sharp)."""
    img = Image.fromarray(diverging_rgb(w, scale), "RGB")
    return img.resize((size, size), Image.Resampling.NEAREST)


def activation_frame(act: Activations, row: int = 0) -> pd.DataFrame:
    """Long frame of one input's hidden activations: layer (1-based name), unit, activation, contribution."""
    rows = []
    for li, a in enumerate(act.layers):
        c = act.contrib[li][row] if act.contrib else np.full(a.shape[1], np.nan)
        rows.append(pd.DataFrame({"layer": f"hidden layer {li + 1} ({a.shape[1]} units)",
                                  "unit": np.arange(a.shape[1]), "activation": a[row].astype(float),
                                  "contribution": c.astype(float)}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["layer", "unit", "activation", "contribution"])


def activation_strips(act: Activations, row: int = 0, height_per_layer: int = 34) -> alt.Chart:
    """Heat strips, one row per hidden layer: each cell a unit, dark where it fired for this input.

    Cells span the width whatever the layer's size (unit i of n covers [i/n, (i+1)/n)); the shade is the
    activation relative to the layer's strongest unit for this input (raw values in the tooltip), so one
    chart fits any width (``width="stretch"``) and each layer uses the full shade range.
    """
    d = activation_frame(act, row)
    n = d.groupby("layer", sort=False)["unit"].transform("size")
    top = d.groupby("layer", sort=False)["activation"].transform(lambda v: max(float(v.abs().max()), 1e-12))
    d = d.assign(x0=d["unit"] / n, x1=(d["unit"] + 1) / n, shade=d["activation"].abs() / top)
    layers = list(dict.fromkeys(d["layer"]))
    return fit_width(alt.Chart(d).mark_rect().encode(
        x=alt.X("x0:Q", axis=None, scale=alt.Scale(domain=[0, 1], nice=False)), x2="x1:Q",
        y=alt.Y("layer:N", sort=layers, title=None, axis=alt.Axis(labelLimit=220, labelFontSize=11)),
        color=alt.Color("shade:Q", scale=alt.Scale(scheme="greys", domain=[0, 1]),
                        legend=alt.Legend(orient="bottom", title="activation (share of the layer's strongest)",
                                          titleLimit=400, gradientLength=160, format=".0%")),  # whole title
        tooltip=["layer", "unit", alt.Tooltip("activation:Q", format=".3f"),
                 alt.Tooltip("contribution:Q", format="+.3f", title="pushes the reading by")],
    ).properties(height=height_per_layer * len(layers), width=600))


def contribution_bars(act: Activations, layer: int = -1, k: int = 10, row: int = 0, width: int = 360) -> alt.Chart:
    """The k units of a hidden layer that push the chosen class's logit most (for: blue, against: red)."""
    c = act.contrib[layer][row]
    a = act.layers[layer][row]
    idx = np.argsort(-np.abs(c), kind="stable")[:k]
    L = len(act.layers) + layer + 1 if layer < 0 else layer + 1
    d = pd.DataFrame({"unit": [f"unit {int(i)}" for i in idx], "contribution": c[idx].astype(float),
                      "activation": a[idx].astype(float), "direction": np.where(c[idx] >= 0, "for", "against")})
    target = int(act.target[row])
    return fit_width(alt.Chart(d, title=alt.Title(
        f"Layer {L}: units pushing towards {target}", subtitle="activation x weight of its paths to the output",
        fontSize=13, anchor="start")).mark_bar().encode(
        y=alt.Y("unit:N", sort=None, title=None),
        x=alt.X("contribution:Q", title=f"contribution to {target}'s score (logit)"),
        color=alt.Color("direction:N", scale=alt.Scale(domain=["for", "against"], range=[POSITIVE, NEGATIVE]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["unit", alt.Tooltip("activation:Q", format=".3f"), alt.Tooltip("contribution:Q", format="+.3f")],
    ).properties(height=22 * len(d) + 10, width=width))
