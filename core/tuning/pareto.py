"""A study with two objectives: its Pareto front (the trials no other trial beats on both accuracy and
cost) and the chart that draws every completed trial with the front on top, clickable."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.tuning.space import SECOND_OBJECTIVE

MAX_POINTS = 3000  # trials off the front drawn at most (an even sample): 10,000 points slow the browser
FRONT_COLOUR = "#e08214"  # not a sign colour (red and blue mean negative and positive everywhere)


def front_mask(accuracy: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """True for each trial on the Pareto front: no other trial has accuracy >= and cost <= with one strictly
    better. O(n log n): by cost (then higher accuracy first), a trial is on it when it beats every cheaper one."""
    acc, cost = np.asarray(accuracy, float), np.asarray(cost, float)
    ok = np.isfinite(acc) & np.isfinite(cost)
    out = np.zeros(len(acc), bool)
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((-acc[idx], cost[idx]))]
    best = -np.inf
    for i in order:
        if acc[i] > best:
            out[i] = True
            best = acc[i]
    return out


def front_frame(trials: pd.DataFrame) -> pd.DataFrame:
    """The completed trials with both objectives, a ``front`` column, sorted by cost."""
    done = trials[(trials["state"] == "COMPLETE")].dropna(subset=["value", "value2"]).copy()
    done["front"] = front_mask(done["value"].to_numpy(), done["value2"].to_numpy())
    return done.sort_values(["value2", "value"], ascending=[True, False]).reset_index(drop=True)


def pareto_chart(trials: pd.DataFrame, objective: str, params: list[str], height: int = 380) -> alt.Chart:
    """Accuracy against the second objective (log scale): every completed trial as a grey dot, the front's
    trials as orange dots joined by a step line. Clicking a dot selects its trial (selection ``trial``)."""
    d = front_frame(trials)
    cost = SECOND_OBJECTIVE[objective]
    rest = d[~d["front"]]
    if len(rest) > MAX_POINTS:
        rest = rest.iloc[np.linspace(0, len(rest) - 1, MAX_POINTS).round().astype(int)]
    d = pd.concat([d[d["front"]], rest]).rename(columns={"value": "accuracy", "value2": "cost"})
    keep = ["number", "accuracy", "cost", "front", *[p for p in params if p in d.columns]]
    d = d[keep].assign(on=np.where(d["front"], "Pareto front", "other trials"))
    pick = alt.selection_point(name="trial", fields=["number"], on="click", clear="dblclick")
    x = alt.X("cost:Q", title=cost + " (log scale)", scale=alt.Scale(type="log", zero=False))
    y = alt.Y("accuracy:Q", title="validation accuracy", scale=alt.Scale(zero=False))
    tips = [alt.Tooltip("number:Q", title="trial"), alt.Tooltip("accuracy:Q", format=".4f"),
            alt.Tooltip("cost:Q", title=cost, format=",.4g"), *[alt.Tooltip(p) for p in keep[4:]]]
    colour = alt.Color("on:N", title=None, scale=alt.Scale(domain=["Pareto front", "other trials"],
                                                             range=[FRONT_COLOUR, "#9e9e9e"]),
                       legend=alt.Legend(orient="bottom"))
    dots = alt.Chart(d).mark_circle().encode(
        x=x, y=y, color=colour, size=alt.condition(pick, alt.value(110), alt.value(35)),
        opacity=alt.condition(pick, alt.value(0.95), alt.value(0.5)), tooltip=tips).add_params(pick)
    line = alt.Chart(d[d["front"]]).mark_line(interpolate="step-after", color=FRONT_COLOUR, strokeWidth=1.5).encode(
        x=x, y=y, order="cost:Q")
    return (line + dots).properties(height=height, title=f"Validation accuracy against {cost}: click a trial")


def picked_trial(selection: object) -> int | None:
    """The trial number a click on :func:`pareto_chart` selected (st.altair_chart's returned selection)."""
    try:
        points = selection["selection"]["trial"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    if isinstance(points, list) and points and isinstance(points[0], dict) and "number" in points[0]:
        return int(points[0]["number"])
    return None
