"""Helpers every page's chart builders share."""

from __future__ import annotations

import numpy as np
import pandas as pd


def downsample(df: pd.DataFrame, x: str, max_points: int = 300, by: str | None = None) -> pd.DataFrame:
    """Keep at most ``max_points`` evenly spaced x values (per group), always the last one."""
    xs = np.sort(df[x].unique())
    if len(xs) <= max_points:
        return df
    keep = set(xs[np.linspace(0, len(xs) - 1, max_points).round().astype(int)])
    return df[df[x].isin(keep)]
