"""Helpers every page's chart builders share."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd


def downsample(df: pd.DataFrame, x: str, max_points: int = 300, by: str | None = None) -> pd.DataFrame:
    """Keep at most ``max_points`` evenly spaced x values (per group), always the last one."""
    xs = np.sort(df[x].unique())
    if len(xs) <= max_points:
        return df
    keep = set(xs[np.linspace(0, len(xs) - 1, max_points).round().astype(int)])
    return df[df[x].isin(keep)]


def fit_width(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Stretch a chart to its container's width but keep its declared height.

    Streamlit draws charts with Vega-Lite's "fit" autosize, which squeezes legends, axes and the title
    into the declared height: a chart with a legend below its plot was drawn about 20 px tall and its
    title was cut. "fit-x" fits only the width.
    """
    return chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def fixed_size(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Draw a chart at its declared width and height, legends and title around it (small multiples)."""
    return chart.properties(autosize=alt.AutoSizeParams(type="pad"))
