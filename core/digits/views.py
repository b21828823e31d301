"""Pictures and charts for the "inside the network" views: weight images, activation strips, unit
contributions. Data in, picture or Altair chart out (tests read ``to_dict()`` and the pixel arrays)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image

from core.digits.inside import Activations
from core.plotting import fit_width

NEG, MID, POS = np.array([33, 102, 172]), np.array([247, 247, 247]), np.array([178, 24, 43])  # RdBu ends


def diverging_rgb(w: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Signed values [H, W] -> RGB uint8 [H, W, 3]: blue below 0, white at 0, red above, |w| / scale saturating at 1.

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


def activation_strips(act: Activations, row: int = 0, width: int = 620) -> alt.VConcatChart:
    """Heat strips, one per hidden layer: each cell a unit, its colour how strongly it fired for this input."""
    d = activation_frame(act, row)
    charts = []
    for layer, g in d.groupby("layer", sort=False):
        n = len(g)
        charts.append(alt.Chart(g, title=alt.Title(str(layer), fontSize=12, anchor="start")).mark_rect().encode(
            x=alt.X("unit:O", axis=alt.Axis(labels=n <= 64, ticks=False, title=None, labelFontSize=8,
                                            labelAngle=0)),
            color=alt.Color("activation:Q", scale=alt.Scale(scheme="greys", domainMin=0),
                            legend=alt.Legend(orient="right", title="activation", gradientLength=50)),
            tooltip=["unit", alt.Tooltip("activation:Q", format=".3f"),
                     alt.Tooltip("contribution:Q", format="+.3f", title="pushes the reading by")],
        ).properties(height=28, width=width))
    return alt.vconcat(*charts, spacing=6).resolve_scale(color="independent")


def contribution_bars(act: Activations, layer: int = -1, k: int = 10, row: int = 0, width: int = 360) -> alt.Chart:
    """The k units of a hidden layer that push the chosen class's logit most (up: red, down: blue)."""
    c = act.contrib[layer][row]
    a = act.layers[layer][row]
    idx = np.argsort(-np.abs(c), kind="stable")[:k]
    L = len(act.layers) + layer + 1 if layer < 0 else layer + 1
    d = pd.DataFrame({"unit": [f"unit {int(i)}" for i in idx], "contribution": c[idx].astype(float),
                      "activation": a[idx].astype(float), "direction": np.where(c[idx] >= 0, "for", "against")})
    target = int(act.target[row])
    return fit_width(alt.Chart(d, title=alt.Title(
        f"Layer {L}: the units that push the reading towards {target} (or away)",
        subtitle="activation x the summed weight of its paths to the logit", fontSize=13)).mark_bar().encode(
        y=alt.Y("unit:N", sort=None, title=None),
        x=alt.X("contribution:Q", title=f"contribution to {target}'s logit"),
        color=alt.Color("direction:N", scale=alt.Scale(domain=["for", "against"], range=["#b2182b", "#2166ac"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["unit", alt.Tooltip("activation:Q", format=".3f"), alt.Tooltip("contribution:Q", format="+.3f")],
    ).properties(height=22 * len(d) + 10, width=width))
