"""Altair charts for the Digit Recognizer page: data in, chart out (tests read ``to_dict()``)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.plotting import downsample, fit_width

SERIES = {"train": "training rows", "val": "validation rows", "test": "test rows"}
SERIES_COLORS = alt.Scale(domain=list(SERIES.values()), range=["#0877bd", "#f59322", "#6c757d"])


def _colors(d: pd.DataFrame) -> alt.Scale:
    """The series colours, listing only the series present (so the legend shows no empty entry)."""
    present = [n for n in SERIES.values() if n in set(d["series"])] or list(SERIES.values())
    palette = dict(zip(SERIES.values(), ["#0877bd", "#f59322", "#6c757d"]))
    return alt.Scale(domain=present, range=[palette[n] for n in present])


def curves_frame(history: pd.DataFrame, with_test: bool = False) -> pd.DataFrame:
    """History -> long frame: epoch, metric ("loss"|"accuracy"), series, value (evaluated epochs only)."""
    rows = []
    have_val = "val_loss" in history and history["val_loss"].notna().any()
    parts = [("train", "train_eval_loss" if "train_eval_loss" in history else "train_loss", "train_acc")]
    if have_val:
        parts.append(("val", "val_loss", "val_acc"))
    if with_test or not have_val:
        parts.append(("test", "test_loss", "test_acc"))
    for series, loss, acc in parts:
        for metric, col in (("loss", loss), ("accuracy", acc)):
            if col not in history:
                continue
            d = history[["epoch", col]].dropna()
            rows.append(pd.DataFrame({"epoch": d["epoch"].to_numpy(), "metric": metric,
                                      "series": SERIES[series], "value": d[col].to_numpy(dtype=float)}))
    if not rows:
        return pd.DataFrame(columns=["epoch", "metric", "series", "value"])
    return pd.concat(rows, ignore_index=True)


def training_curves(history: pd.DataFrame, best_epoch: int | None = None, total_epochs: int | None = None,
                    with_test: bool = False, title: str = "", width: int = 210, height: int = 230) -> alt.HConcatChart:
    """Loss and accuracy per epoch (training vs validation rows), the best epoch marked by a rule.

    history: a TrainResult/Trainer history frame (epoch, train_loss, train_eval_loss, val_loss, ...).
    best_epoch: the epoch whose weights were kept (early stopping); total_epochs fixes the x axis.
    Two panels of ``width`` px side by side: 210 keeps both inside a 1024 px page (at 290 the accuracy
    panel ran off the right edge). :func:`training_panels` gives the two apart, to fill two columns.
    """
    panels = training_panels(history, best_epoch, total_epochs, with_test, height, fit=False)
    return alt.hconcat(*(p.properties(width=width) for p in panels), title=title).resolve_scale(color="shared")


def training_panels(history: pd.DataFrame, best_epoch: int | None = None, total_epochs: int | None = None,
                    with_test: bool = False, height: int = 230, fit: bool = True) -> list[alt.LayerChart]:
    """The loss panel and the accuracy panel of :func:`training_curves`; with ``fit``, each as wide as its
    container (two columns: side by side at any page width)."""
    d = curves_frame(history, with_test)
    d = downsample(d, "epoch", 300)
    colors = _colors(d)
    x_scale = alt.Scale(domain=[0, int(total_epochs)]) if total_epochs else alt.Scale()
    panels = []
    for metric, fmt in (("loss", ".4f"), ("accuracy", ".2%")):
        m = d[d.metric == metric]
        positive = bool(len(m)) and bool((m.value > 0).all())
        y_scale = alt.Scale(type="log") if metric == "loss" and positive else alt.Scale(zero=False)
        base = alt.Chart(m, title=f"{metric}").mark_line(point=len(m) < 40 * 2).encode(
            x=alt.X("epoch:Q", title="epoch", scale=x_scale),
            y=alt.Y("value:Q", title=metric, scale=y_scale,
                    axis=alt.Axis(format="%") if metric == "accuracy" else alt.Axis()),
            # one entry a line: side by side, "validation rows" ran past a half-width panel's edge at 1024 px
            color=alt.Color("series:N", scale=colors, title=None, legend=alt.Legend(orient="bottom", columns=1)),
            tooltip=["series", "epoch", alt.Tooltip("value:Q", title=metric, format=fmt)],
        ).properties(height=height)
        layers = [base]
        if best_epoch:
            rule = pd.DataFrame({"epoch": [int(best_epoch)], "label": [f"best epoch {int(best_epoch)}"]})
            r = alt.Chart(rule).mark_rule(color="#2ca02c", strokeDash=[5, 3], strokeWidth=2).encode(
                x="epoch:Q", tooltip=[alt.Tooltip("label:N", title="kept weights from")])
            last = total_epochs or (int(d["epoch"].max()) if len(d) else best_epoch)
            late = best_epoch > 0.6 * last  # written left of the rule, or it runs off the plot's right edge
            # at the top of the loss panel, the foot of the accuracy panel: where the curves are not by the best
            # epoch (at the top, the label ran over the accuracy curves near 100%)
            top = metric == "loss"
            t = alt.Chart(rule).mark_text(align="right" if late else "left", dx=-4 if late else 4, dy=-4,
                                          color="#2ca02c", baseline="top" if top else "bottom",
                                          fontWeight="bold").encode(
                x="epoch:Q", y=alt.value(2 if top else height), text="label:N")
            layers += [r, t]
        panel = alt.layer(*layers)
        panels.append(fit_width(panel) if fit else panel)
    return panels


def confusion_heatmap(conf: pd.DataFrame, size: int = 360) -> alt.LayerChart:
    """Confusion matrix (true rows x predicted columns, counts); click a cell to select it.

    conf: long frame true, predicted, count. The selection is named "cell" (fields true, predicted):
    ``st.altair_chart(..., on_select="rerun")`` returns it as ``event.selection["cell"]``.
    """
    d = conf.copy()
    d["kind"] = np.where(d["true"] == d["predicted"], "right", "wrong")
    d["label"] = d["count"].astype(int).astype(str).where(d["count"] > 0, "")
    cell = alt.selection_point(name="cell", fields=["true", "predicted"], on="click", clear="dblclick",
                               toggle=False)
    wrong_max = max(1, int(d.loc[d.kind == "wrong", "count"].max() or 1))
    # colours computed here (Vega-Lite allows one field fallback per condition chain): right cells
    # pale blue, empty cells near white, wrong cells orange, darker the more images they hold
    lo, hi = np.array([0xFD, 0xD0, 0xA2]), np.array([0xA6, 0x36, 0x03])
    t = np.clip(d["count"].to_numpy(dtype=float) / wrong_max, 0, 1)[:, None]
    rgb = (lo + (hi - lo) * t).round().astype(int)
    d["shade"] = ["#" + "".join(f"{int(v):02x}" for v in c) for c in rgb]
    d.loc[d["count"] == 0, "shade"] = "#fafafa"
    d.loc[d.kind == "right", "shade"] = "#dbe9f6"
    d["ink"] = np.where((d.kind == "wrong") & (t[:, 0] > 0.5), "#ffffff", "#222222")
    d.loc[d.kind == "right", "ink"] = "#0b3d6b"
    base = alt.Chart(d).encode(
        x=alt.X("predicted:O", title="predicted digit", axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("true:O", title="true digit"),
    )
    fill = alt.Color("shade:N", scale=None, legend=None)
    rects = base.mark_rect(stroke="#fff", strokeWidth=1, cursor="pointer").encode(
        color=fill,
        opacity=alt.condition(cell, alt.value(1.0), alt.value(0.55)),
        tooltip=[alt.Tooltip("true:O", title="true"), alt.Tooltip("predicted:O", title="predicted"),
                 alt.Tooltip("count:Q", title="test images")],
    ).add_params(cell)
    text = base.mark_text(fontSize=12).encode(
        text="label:N",
        color=alt.Color("ink:N", scale=None, legend=None),
    )
    return alt.layer(rects, text).properties(
        width=size, height=size, title="Confusion matrix: click a cell to see its images")


def per_class_bars(pc: pd.DataFrame, height: int = 220) -> alt.Chart:
    """Precision and recall per digit as dots on a readable axis. pc: digit, precision, recall (core.digits.per_class).

    Dots, not bars: the axis starts near the lowest value (bars there would lie about ratios), and its
    ticks and title say where it starts.
    """
    d = pc.melt(id_vars=["digit"], value_vars=["precision", "recall"], var_name="measure", value_name="value")
    lo = float(np.nanmin(d["value"])) if len(d) and np.isfinite(d["value"]).any() else 0.0
    floor = max(0.0, min(0.9, np.floor(lo * 20) / 20 - 0.05))
    title = "value" if floor == 0 else f"value (axis starts at {floor:.0%})"
    dots = alt.Chart(d, title="Precision and recall per digit").mark_point(filled=True, size=90, opacity=1)
    return fit_width(dots.encode(
        x=alt.X("digit:O", title="digit", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("measure:N", scale=alt.Scale(paddingOuter=0.4)),
        y=alt.Y("value:Q", title=title, scale=alt.Scale(domain=[floor, 1.0], nice=False, clamp=True),
                axis=alt.Axis(format=".0%", tickCount=6, grid=True)),
        color=alt.Color("measure:N", title=None, scale=alt.Scale(range=["#0877bd", "#f59322"]),
                        legend=alt.Legend(orient="bottom")),
        shape=alt.Shape("measure:N", title=None, scale=alt.Scale(range=["circle", "diamond"])),
        tooltip=["digit", "measure", alt.Tooltip("value:Q", format=".1%")],
    ).properties(height=height))


def probability_bars(probs: np.ndarray, title: str = "", height: int = 160, width: int | None = None) -> alt.Chart:
    """The model's probability for each digit 0-9, the chosen digit highlighted. probs: [10]."""
    p = np.asarray(probs, dtype=float).reshape(-1)
    best = int(np.argmax(p))
    d = pd.DataFrame({"digit": np.arange(len(p)), "probability": p, "chosen": np.arange(len(p)) == best})
    return alt.Chart(d, title=title).mark_bar().encode(
        # every digit labelled: in a card's narrow column Vega dropped the odd ones as overlapping
        x=alt.X("digit:O", axis=alt.Axis(labelAngle=0, labelOverlap=False, labelFontSize=10, labelPadding=2),
                title=None),
        y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", tickCount=3), title=None),
        color=alt.condition("datum.chosen", alt.value("#0877bd"), alt.value("#b8c4ce")),
        tooltip=["digit", alt.Tooltip("probability:Q", format=".1%")],
    ).properties(height=height, **({"width": width} if width else {}))


def compare_runs(histories: dict[str, pd.DataFrame], best: dict[str, int | None] | None = None,
                 metric: str = "loss", width: int = 280, height: int = 220) -> alt.HConcatChart:
    """Runs side by side on one y scale: training vs validation curves of ``metric`` per run.

    histories: run name -> history frame. best: run name -> kept epoch (marked), or None.
    """
    panels = []
    frames = {name: curves_frame(h) for name, h in histories.items()}
    allv = pd.concat([f[f.metric == metric] for f in frames.values()]) if frames else pd.DataFrame()
    positive = bool(len(allv)) and bool((allv.value > 0).all())
    y_scale = alt.Scale(type="log") if metric == "loss" and positive else alt.Scale(zero=False)
    xmax = int(max((h["epoch"].max() for h in histories.values() if len(h)), default=1))
    colors = _colors(allv) if len(allv) else SERIES_COLORS
    for name, f in frames.items():
        m = downsample(f[f.metric == metric], "epoch", 300)
        line = alt.Chart(m, title=name).mark_line().encode(
            x=alt.X("epoch:Q", scale=alt.Scale(domain=[0, xmax])),
            y=alt.Y("value:Q", title=metric, scale=y_scale,
                    axis=alt.Axis(format="%") if metric == "accuracy" else alt.Axis()),
            color=alt.Color("series:N", scale=colors, title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["series", "epoch", alt.Tooltip("value:Q", format=".4g")],
        ).properties(width=width, height=height)
        layers = [line]
        b = (best or {}).get(name)
        if b:
            r = alt.Chart(pd.DataFrame({"epoch": [int(b)], "label": [f"stopped: kept epoch {int(b)}"]}))
            layers.append(r.mark_rule(color="#2ca02c", strokeDash=[5, 3], strokeWidth=2).encode(
                x="epoch:Q", tooltip="label:N"))
        panels.append(alt.layer(*layers))
    return alt.hconcat(*panels).resolve_scale(y="shared", color="shared")
