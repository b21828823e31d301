"""Frames and Altair charts for the "When to use neural networks" page (no Streamlit): data first, then drawing."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from core.plotting import fit_width
from core.when_to_use.models import LABELS, MODELS, CurvePoint, ModelRun

MODEL_COLORS = alt.Scale(domain=[LABELS[m] for m in MODELS], range=["#2ca02c", "#8c564b", "#1f77b4", "#9467bd"])
LEGEND = alt.Legend(orient="bottom", title=None, labelLimit=220, columns=2)
SIDE_LEGEND = alt.Legend(orient="right", title="model", labelLimit=220)


def _axis_title(task: str) -> str:
    return "accuracy (mean over folds)" if task == "classification" else "R² (mean over folds)"


def duel_frame(runs: Sequence[ModelRun]) -> pd.DataFrame:
    """One row per model: model, mean, lo, hi (mean -+ std over folds), seconds, changed, exposed, inputs."""
    return pd.DataFrame([{
        "model": r.label, "mean": r.mean, "std": r.std, "lo": r.mean - r.std, "hi": r.mean + r.std,
        "seconds": r.seconds, "changed": r.changed, "exposed": r.exposed,
        "inputs": "standardised" if r.scaled else "raw", "folds": len(r.scores),
    } for r in runs])


def duel_table(runs: Sequence[ModelRun]) -> pd.DataFrame:
    """The table shown under the charts: score, spread, time, effort."""
    d = duel_frame(runs)
    return pd.DataFrame({
        "model": d["model"], "score": d["mean"], "± std": d["std"], "train s": d["seconds"],
        "settings changed": d["changed"], "settings in all": d["exposed"], "inputs": d["inputs"],
    })


def duel_table_text(runs: Sequence[ModelRun], task: str) -> pd.DataFrame:
    """:func:`duel_table` as text for a static table that wraps (a data grid cut its last column at 1024 px):
    score as a percentage (classification) or to 3 decimals, spread to 4, seconds to 3; models as the index."""
    t = duel_table(runs)
    pct = task == "classification"
    t["score"] = t["score"].map(lambda v: f"{v:.2%}" if pct else f"{v:.3f}")
    t["± std"] = t["± std"].map(lambda v: f"{v:.4f}")
    t["train s"] = t["train s"].map(lambda v: f"{v:.3f}")
    return t.set_index("model")


def _score_scale(lo: float, hi: float, task: str) -> alt.Scale:
    if task == "classification":
        return alt.Scale(domain=[max(0.0, lo - 0.02), min(1.0, hi + 0.01)], nice=False, zero=False)
    return alt.Scale(domain=[min(0.0, lo), max(0.0, hi) + 0.02], nice=False, zero=False)


def score_chart(frame: pd.DataFrame, task: str, title: str = "") -> alt.LayerChart:
    """Mean score per model (dot) with mean -+ std over folds (line). frame: duel_frame()."""
    sc = _score_scale(float(frame["lo"].min()), float(frame["hi"].max()), task)
    fmt = ".1%" if task == "classification" else ".3f"
    y = alt.Y("model:N", sort=[LABELS[m] for m in MODELS], title=None, axis=alt.Axis(labelLimit=200))
    rule = alt.Chart(frame, title=title).mark_rule(strokeWidth=2.5, color="#666").encode(
        y=y, x=alt.X("lo:Q", scale=sc, title=("accuracy" if task == "classification" else "R²") + " (line: ± std)",
                     axis=alt.Axis(format="~%" if task == "classification" else ".2f", tickCount=5)), x2="hi:Q")
    dot = alt.Chart(frame).mark_point(filled=True, size=140, opacity=1).encode(
        y=y, x=alt.X("mean:Q", scale=sc),
        color=alt.Color("model:N", scale=MODEL_COLORS, legend=None),
        tooltip=["model", alt.Tooltip("mean:Q", format=fmt), alt.Tooltip("std:Q", format=fmt), "inputs"])
    # fit_width: Streamlit's "fit" squeezed the rows to a 110 px plot; declared height kept
    return fit_width(alt.layer(rule, dot).properties(height=40 * len(frame) + 50))


def time_chart(frame: pd.DataFrame, title: str = "") -> alt.Chart:
    """Seconds to train (all folds) per model. frame: duel_frame()."""
    return fit_width(alt.Chart(frame, title=title).mark_bar().encode(
        y=alt.Y("model:N", sort=[LABELS[m] for m in MODELS], title=None, axis=alt.Axis(labelLimit=200)),
        x=alt.X("seconds:Q", title="seconds to train (all folds)"),
        color=alt.Color("model:N", scale=MODEL_COLORS, legend=None),
        tooltip=["model", alt.Tooltip("seconds:Q", format=".3f"), "changed", "exposed", "inputs"],
    ).properties(height=40 * len(frame) + 50))


def importance_frame(run: ModelRun, features: Sequence[str], top: int = 12) -> pd.DataFrame:
    """The top features by mean impurity importance: feature, importance, rank."""
    imp = np.asarray(run.importances or [], dtype=np.float64)
    order = np.argsort(-imp)[:top]
    return pd.DataFrame({"feature": [features[i] for i in order], "importance": imp[order],
                         "rank": np.arange(1, len(order) + 1)})


def importance_chart(frame: pd.DataFrame, title: str = "") -> alt.Chart:
    """Horizontal bars, most important on top. frame: importance_frame()."""
    return alt.Chart(frame, title=title).mark_bar(color="#2ca02c").encode(
        y=alt.Y("feature:N", sort=alt.EncodingSortField("rank"), title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("importance:Q", title="share of impurity decrease", axis=alt.Axis(format=".0%")),
        tooltip=["feature", alt.Tooltip("importance:Q", format=".1%")],
    ).properties(height=alt.Step(22))


def scaling_frame(runs: dict[tuple[str, bool], ModelRun]) -> pd.DataFrame:
    """model, inputs ('standardised' | 'raw'), mean, lo, hi."""
    return pd.DataFrame([{"model": r.label, "inputs": "standardised" if s else "raw", "mean": r.mean,
                          "lo": r.mean - r.std, "hi": r.mean + r.std} for (m, s), r in runs.items()])


def scaling_chart(frame: pd.DataFrame, task: str, title: str = "") -> alt.LayerChart:
    """Grouped bars: each model with standardised and raw inputs. frame: scaling_frame()."""
    fmt = ".1%" if task == "classification" else ".3f"
    base = alt.Chart(frame, title=title)
    x = alt.X("model:N", sort=[LABELS[m] for m in MODELS], title=None, axis=alt.Axis(labelAngle=0, labelLimit=160))
    bars = base.mark_bar().encode(
        x=x, xOffset=alt.XOffset("inputs:N", sort=["standardised", "raw"]),
        y=alt.Y("mean:Q", title=_axis_title(task), axis=alt.Axis(format=".0%" if task == "classification" else ".2f")),
        color=alt.Color("inputs:N", sort=["standardised", "raw"], scale=alt.Scale(range=["#0877bd", "#f59322"]),
                        legend=alt.Legend(orient="bottom", title="inputs")),
        tooltip=["model", "inputs", alt.Tooltip("mean:Q", format=fmt)])
    err = base.mark_rule(color="#333").encode(
        x=x, xOffset=alt.XOffset("inputs:N", sort=["standardised", "raw"]), y="lo:Q", y2="hi:Q")
    return fit_width(alt.layer(bars, err).properties(height=320))


def noise_frame(points: Sequence[tuple[int, bool, ModelRun]]) -> pd.DataFrame:
    """k, features ('original' | 'rotated'), model, mean, lo, hi."""
    return pd.DataFrame([{"k": k, "features": "rotated" if r else "original", "model": run.label, "mean": run.mean,
                          "lo": run.mean - run.std, "hi": run.mean + run.std} for k, r, run in points])


def noise_chart(frame: pd.DataFrame, task: str, title: str = "") -> alt.LayerChart:
    """Score against the number of noise columns, one line per model (dashed: rotated features)."""
    fmt = ".1%" if task == "classification" else ".3f"
    base = alt.Chart(frame, title=title)
    enc = dict(x=alt.X("k:Q", title="uninformative columns added (k)", axis=alt.Axis(format="d", tickMinStep=1)),
               color=alt.Color("model:N", scale=MODEL_COLORS, legend=SIDE_LEGEND),
               strokeDash=alt.StrokeDash("features:N", sort=["original", "rotated"],
                                         scale=alt.Scale(domain=["original", "rotated"], range=[[1, 0], [6, 4]]),
                                         legend=None))  # the caption says: dashed = rotated
    line = base.mark_line(point=True, strokeWidth=2.2).encode(
        y=alt.Y("mean:Q", title=_axis_title(task), scale=alt.Scale(zero=False),
                axis=alt.Axis(format=".0%" if task == "classification" else ".2f")),
        tooltip=["model", "features", "k", alt.Tooltip("mean:Q", format=fmt)], **enc)
    plain = {k: v for k, v in enc.items() if k != "strokeDash"}
    band = base.mark_area(opacity=0.12).encode(y="lo:Q", y2="hi:Q", detail="features:N", **plain)
    return fit_width(alt.layer(line, band).properties(height=360))


def curve_frame(points: Sequence[CurvePoint]) -> pd.DataFrame:
    """model, n_train, score, seconds."""
    return pd.DataFrame([{"model": LABELS[p.model], "n_train": p.n_train, "score": p.score, "seconds": p.seconds}
                         for p in points])


def curve_chart(frame: pd.DataFrame, task: str, title: str = "") -> alt.Chart:
    """Held-out score against training rows (log x), one line per model."""
    fmt = ".1%" if task == "classification" else ".3f"
    return fit_width(alt.Chart(frame, title=title).mark_line(point=True, strokeWidth=2.2).encode(
        x=alt.X("n_train:Q", title="training rows (log scale)", scale=alt.Scale(type="log", nice=False)),
        y=alt.Y("score:Q", title="held-out " + ("accuracy" if task == "classification" else "R²"),
                scale=alt.Scale(zero=False), axis=alt.Axis(format=".0%" if task == "classification" else ".2f")),
        color=alt.Color("model:N", scale=MODEL_COLORS, legend=SIDE_LEGEND),
        tooltip=["model", "n_train", alt.Tooltip("score:Q", format=fmt), alt.Tooltip("seconds:Q", format=".2f")],
    ).properties(height=340))
