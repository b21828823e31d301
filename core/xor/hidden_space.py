"""The hidden space: points placed at their last hidden layer's values, with the output's line there.

The output neuron computes ``logit = w . h + b`` from the last hidden layer's values h [H]: a straight
line (a plane, a hyperplane) in the hidden space. Plotting the points at h shows what the hidden layer
did: it moved them until one straight line separates the classes.

Which two coordinates: with 2 hidden units, the units themselves. With 1, the unit against a constant
0. With more, the unit the output leans on most (largest |weight| x spread of the unit over the points)
across, and the other units' weighted mean up: v = sum_k w_k h_k / sum_k |w_k| over the others, so
``logit = w_i * u + (sum_k |w_k|) * v + b`` exactly. In every view the line drawn is the output's own
boundary: each point is on the side the network puts it (:attr:`HiddenSpace.agree` is 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
import torch

from core import datasets
from core.engine import Trainer
from core.plotting import NEGATIVE, POSITIVE, fixed_size
from core.xor.jobs import XorCompareConfig, xor_torch_config
from core.xor.scratch import ScratchNet
from core.xor.wire import b64, quantize


@dataclass(frozen=True)
class HiddenSpace:
    """N points in a 2-D view of the hidden space and the output's line there.

    xy [N, 2]: the plotted coordinates (the hidden values of units[0] and units[1]).
    line (a, b, c): the output logit along the view is a*u + b*v + c; the line is where it is 0.
    logit [N]: the network's real output logit at each point. how: "direct" (2 units), "one" (1 unit),
    "rest" (more units: the most used one against the others' weighted mean; units[1] is None).
    """

    xy: np.ndarray
    units: tuple[int, int | None]
    line: tuple[float, float, float]
    logit: np.ndarray
    how: str

    @property
    def agree(self) -> float:
        """Share of points the line in this view puts on the side the network's output puts them."""
        a, b, c = self.line
        side = a * self.xy[:, 0] + b * self.xy[:, 1] + c > 0
        return float(np.mean(side == (self.logit > 0))) if len(self.logit) else 1.0

    def describe(self, name: str = "h{}") -> str:
        """One sentence saying which view this is; ``name`` formats a unit's number (1-based): "h{}", "L2 n{}"."""
        if self.how == "direct":
            return f"Both hidden units, {name.format(1)} across and {name.format(2)} up, as they are."
        if self.how == "one":
            return f"The single hidden unit {name.format(1)} across; the up-down axis is constant."
        i = self.units[0]
        return (f"Across: {name.format(i + 1)}, the unit the output leans on most (|weight| x spread); up: the "
                "other units' outputs averaged with the output's weights (signed, divided by the sum of their "
                "sizes), so the dashed line is exactly where the output changes its answer.")


def project(H: np.ndarray, w: np.ndarray, b: float) -> HiddenSpace:
    """The view of hidden values H [N, n_hidden] under an output unit with weights w [n_hidden], bias b."""
    H = np.asarray(H, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    logit = H @ w + float(b)
    n = H.shape[1]
    if n == 1:
        return HiddenSpace(np.stack([H[:, 0], np.zeros(len(H))], 1), (0, None), (w[0], 0.0, float(b)), logit, "one")
    if n == 2:
        return HiddenSpace(H.copy(), (0, 1), (w[0], w[1], float(b)), logit, "direct")
    lean = np.abs(w) * (H.std(0) + 1e-12)
    i = int(np.argsort(-lean, kind="stable")[0])
    rest = [u for u in range(n) if u != i]
    size = float(np.abs(w[rest]).sum())
    if size < 1e-12:  # the others carry no weight: their mean is any constant
        v = np.zeros(len(H))
        size = 0.0
    else:
        v = H[:, rest] @ w[rest] / size
    return HiddenSpace(np.stack([H[:, i], v], 1), (i, None), (float(w[i]), size, float(b)), logit, "rest")


def of_trainer(trainer: Trainer, F: torch.Tensor, k: int = 0) -> HiddenSpace:
    """The hidden space of model k of a trainer for inputs F [N, n_features] (its last hidden layer)."""
    capture: list = []
    with torch.no_grad():
        trainer.forward(F, capture=capture)
    if not capture:
        raise ValueError("a network without hidden layers has no hidden space")
    H = capture[-1][1][k].numpy()
    W, b = trainer.stack.layers()[-1]
    return project(H, W[k, 0].numpy(), float(b[k, 0, 0]))


def view_range(hs: HiddenSpace, act_range: tuple[float, float]) -> tuple[float, float]:
    """The axes' range: the activation's range, widened to hold every point (ReLU is unbounded)."""
    lo, hi = act_range
    if len(hs.xy):
        lo, hi = min(lo, float(hs.xy.min())), max(hi, float(hs.xy.max()))
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def payload(hs: HiddenSpace, y: np.ndarray, train: np.ndarray, act_range: tuple[float, float],
            layer: int = 1) -> dict:
    """The hidden space for the browser: xy as uint8 [N, 2] over (lo, hi), the line, the axis labels
    (units of hidden layer ``layer``, named as in the diagram: "L2 n7"), and the note saying which view."""

    lo, hi = view_range(hs, act_range)
    i, j = hs.units
    return {
        "xy": b64(np.stack([quantize(hs.xy[:, 0], lo, hi), quantize(hs.xy[:, 1], lo, hi)], 1)),
        "lo": round(lo, 4), "hi": round(hi, 4),
        "line": [round(float(v), 5) for v in hs.line],
        "u": f"L{layer} n{i + 1}",
        "v": {"one": "(constant)", "rest": f"L{layer} others"}.get(hs.how, f"L{layer} n{(j or 0) + 1}"),
        "how": hs.how, "agree": round(hs.agree, 4), "note": hs.describe(f"L{layer} n{{}}"),
    }


# ---- the four XOR points over the NumPy and PyTorch runs ------------------------------------------


def xor_history(cfg: XorCompareConfig, n_snapshots: int = 40) -> pd.DataFrame:
    """The four XOR points in each network's hidden space at about n_snapshots epochs of its run.

    The same two runs as :func:`core.xor.jobs.run_xor_compare` (same seed and settings). Returns a long
    frame: net, step (0..n_snapshots), epoch, point ("(0,1)"), target, u, v, logit, a, b, c, how, unit
    (the across unit's index), agree, note (which view: :meth:`HiddenSpace.describe`), separates (the line
    puts every point on its target's side).
    """
    X, y = datasets.gate("XOR")
    rows = []
    net = ScratchNet(2, cfg.hidden, cfg.seed)
    every = max(1, cfg.numpy_epochs // n_snapshots)
    start = {k: v.copy() for k, v in net.params().items()}
    h = net.fit(X, y, cfg.numpy_lr, cfg.numpy_epochs, snapshot_every=every)
    snaps = {0: start, **h.snapshots}
    for step, (epoch, p) in enumerate(sorted(snaps.items())):
        net.W1, net.b1, net.W2, net.b2 = p["W1"], p["b1"], p["W2"], p["b2"]
        a1 = net.forward(X.astype(np.float64))["a1"]
        rows.append(_rows("NumPy", step, epoch, project(a1, p["W2"][:, 0], float(p["b2"][0, 0])), X, y))
    tr = Trainer([xor_torch_config(cfg)], datasets.make_dataset(X, y, task="binary"))
    every = max(1, cfg.torch_epochs // n_snapshots)
    Xt = torch.as_tensor(X)
    step = 0
    while True:
        rows.append(_rows("PyTorch", step, tr.epoch, of_trainer(tr, Xt), X, y))
        if tr.epoch >= cfg.torch_epochs:
            break
        tr.run(epochs=min(every, cfg.torch_epochs - tr.epoch), eval_every=every)
        step += 1
    return pd.concat(rows, ignore_index=True)


def _rows(net: str, step: int, epoch: int, hs: HiddenSpace, X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    a, b, c = hs.line
    side = a * hs.xy[:, 0] + b * hs.xy[:, 1] + c > 0
    return pd.DataFrame({
        "net": net, "step": step, "epoch": int(epoch),
        "point": [f"({int(p[0])},{int(p[1])})" for p in X], "target": y.astype(int),
        "u": hs.xy[:, 0], "v": hs.xy[:, 1], "logit": hs.logit,
        "a": a, "b": b, "c": c, "how": hs.how, "unit": hs.units[0], "agree": hs.agree, "note": hs.describe(),
        "separates": bool(np.all(side == (y > 0.5))),
    })


def line_segment(a: float, b: float, c: float, lo: float, hi: float) -> list[tuple[float, float]]:
    """Where a*u + b*v + c = 0 crosses the square [lo, hi]^2: two (u, v) end points, or [] if it misses."""
    pts: list[tuple[float, float]] = []
    if abs(b) > 1e-12:
        for u in (lo, hi):
            v = -(a * u + c) / b
            if lo - 1e-9 <= v <= hi + 1e-9:
                pts.append((u, v))
    if abs(a) > 1e-12:
        for v in (lo, hi):
            u = -(b * v + c) / a
            if lo - 1e-9 <= u <= hi + 1e-9:
                pts.append((u, v))
    uniq: list[tuple[float, float]] = []
    for p in pts:
        if all(abs(p[0] - q[0]) + abs(p[1] - q[1]) > 1e-9 for q in uniq):
            uniq.append(p)
    return uniq[:2] if len(uniq) >= 2 else []


def xor_chart(snap: pd.DataFrame, title: str, lo: float = -0.05, hi: float = 1.05, size: int = 260) -> alt.Chart:
    """One net's four points at one snapshot (rows of :func:`xor_history`) with the output's line."""
    a, b, c = (float(snap[k].iloc[0]) for k in "abc")
    lo = min(lo, float(snap[["u", "v"]].min().min()) - 0.05)
    hi = max(hi, float(snap[["u", "v"]].max().max()) + 0.05)
    scale = alt.Scale(domain=[lo, hi], nice=False)
    how, unit = snap.how.iloc[0], int(snap.unit.iloc[0])
    u_title = f"hidden unit h{unit + 1}" + (" (most used)" if how == "rest" else "")
    v_title = {"rest": "other units (weighted mean)", "one": "(constant)"}.get(how, "hidden unit h2")
    pts = alt.Chart(snap).mark_point(filled=True, size=220, opacity=1, stroke="#333", strokeWidth=1).encode(
        x=alt.X("u:Q", scale=scale, title=u_title),
        y=alt.Y("v:Q", scale=scale, title=v_title),
        color=alt.Color("target:N", scale=alt.Scale(domain=[0, 1], range=[NEGATIVE, POSITIVE]),
                        legend=alt.Legend(title="XOR", orient="bottom")),
        tooltip=["point", "target", alt.Tooltip("u:Q", format=".3f"), alt.Tooltip("v:Q", format=".3f"),
                 alt.Tooltip("logit:Q", format=".2f", title="output logit")],
    )
    # labels above for inputs with x1 = 0, below for x1 = 1: points the hidden layer merges stay readable
    above = alt.Chart(snap[snap.point.str.startswith("(0")]).mark_text(dy=-16, fontSize=12)
    below = alt.Chart(snap[snap.point.str.startswith("(1")]).mark_text(dy=18, fontSize=12)
    layers = [pts] + [t.encode(x="u:Q", y="v:Q", text="point") for t in (above, below)]
    seg = line_segment(a, b, c, lo, hi)
    if seg:
        line = pd.DataFrame({"u": [p[0] for p in seg], "v": [p[1] for p in seg]})
        layers.insert(0, alt.Chart(line).mark_line(color="#333", strokeDash=[6, 4], strokeWidth=2).encode(
            x=alt.X("u:Q", scale=scale), y=alt.Y("v:Q", scale=scale)))
    return fixed_size(alt.layer(*layers).properties(width=size, height=size, title=title))
