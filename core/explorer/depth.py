"""The Activation Explorer's depth study: deep MLPs on digits, one per activation, probed before and after
every epoch (per-layer gradients, dead units, pre-activations); what they show is said in core.explorer.claims.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from core.config import Config, ConfigError, param
from core.engine import TrainConfig, Trainer, TrainResult
from core.engine import activations as acts
from core.engine.cores import training_threads
from core.explorer import workload
from core.explorer.jobs import DEFAULT_DEPTH, DEPTH_INITS, REG, compare_data, init_for
from core.serve.workload import Workload

# ---- depth: gradients, dead units, pre-activations -----------------------------------------------


@dataclass(frozen=True)
class DepthConfig(Config):
    """Deep MLPs (2 to 20 hidden layers of one width) on digits, one per chosen activation."""

    kind: ClassVar[str] = "act-depth"

    functions: tuple[str, ...] = param(DEFAULT_DEPTH, choices=acts.HIDDEN, length=(1, len(acts.HIDDEN)))
    depth: int = param(10, lo=2, hi=20, help="hidden layers", cap="layers")
    width: int = param(64, lo=4, hi=256, cap="width")
    init: str = param("matched", choices=DEPTH_INITS,
                      help="matched: each activation with the init designed for it; or one init shared by all")
    lr: float = param(1e-3, lo=1e-5, hi=1.0, help="Adam")
    batch_size: int = param(64, lo=1, hi=2000)
    epochs: int = param(10, lo=1, hi=100, cap="epochs")
    seed: int = param(0, lo=0, hi=2**31 - 1)

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(set(self.functions)) != len(self.functions):
            raise ConfigError("functions", "each activation may be chosen once")

    def train_configs(self) -> list[TrainConfig]:
        return [TrainConfig(hidden=(self.width,) * self.depth, activation=f, init=init_for(self.init, f),
                            optimizer="adam", lr=self.lr, batch_size=self.batch_size, epochs=self.epochs,
                            seed=self.seed)
                for f in self.functions]

    def workload(self, data: Any = None) -> Workload:
        return workload.depth(self, PROBE, data)


PROBE = 512  # training examples the depth probes look at (the same ones every time)
BINS = 30


def probe(tr: Trainer, X: torch.Tensor, y: torch.Tensor) -> tuple[np.ndarray, np.ndarray, list[torch.Tensor]]:
    """Per-layer gradient norms and dead fractions of every model in a stack, on one batch.

    Returns grad [K, L+1] (||dL/dW|| of each weight matrix, input side first), dead [K, L] (share of
    each hidden layer's units whose activation has zero slope on every example) and the hidden
    pre-activations [K, B, H] per layer.
    """
    flat = tr.flat.detach().clone().requires_grad_(True)
    cap: list = []
    with torch.enable_grad():
        loss = tr.loss_per_model(tr.forward(X, flat, capture=cap), y).sum()
        (g,) = torch.autograd.grad(loss, flat)
    grad = torch.stack([gW.flatten(1).norm(dim=1) for gW, _ in tr.layers(g)], 1).numpy()
    fns = [acts.get(c.activation) for c in tr.configs]
    dead = np.zeros((tr.K, len(cap)))
    for li, (z, _) in enumerate(cap):
        for k, fn in enumerate(fns):
            slope = acts.derivative(fn, z[k].reshape(-1)).reshape(z[k].shape)
            dead[k, li] = float((slope == 0).all(0).float().mean())
    return grad, dead, [z for z, _ in cap]


def _hist_rows(zs: list[torch.Tensor], k: int, stage: str, lim: float) -> list[dict]:
    edges = np.linspace(-lim, lim, BINS + 1)
    rows = []
    for li, z in enumerate(zs):
        v = np.clip(z[k].reshape(-1).numpy(), -lim, lim)
        counts, _ = np.histogram(v, edges)
        frac = counts / max(1, counts.sum())
        rows += [{"stage": stage, "layer": li + 1, "lo": float(edges[b]), "hi": float(edges[b + 1]),
                  "share": float(frac[b])} for b in range(BINS)]
    return rows


def run_depth(cfg: DepthConfig, progress: Callable | None = None) -> list[TrainResult]:
    """Train one deep MLP per activation (one stack) on digits, probing before and after every epoch.

    Each result's ``extra`` holds the probes as JSON-able lists: grad [E+1][L+1], dead [E+1][L],
    hist (pre-activation histograms per layer at init and at the end), z_std [2][L].
    """
    ds = compare_data("digits")
    X, y = ds.X_train[:PROBE], ds.y_train[:PROBE]
    tr = Trainer(cfg.train_configs(), ds)
    grads, deads = [], []
    # one thread for the probes too (small ops, like the steps): on a busy machine torch's pool spun
    # 2.5-12.8 CPU s on a run that takes 1.5 s of work
    with training_threads(0.0):
        g, d, z0 = probe(tr, X, y)
        grads.append(g)
        deads.append(d)
        for e in range(cfg.epochs):
            tr.run(epochs=1, eval_every=1)
            g, d, z1 = probe(tr, X, y)
            grads.append(g)
            deads.append(d)
            if progress is not None:
                progress(e + 1, cfg.epochs, tr)
    results = tr.results()
    for k, r in enumerate(results):
        lim = max(float(torch.quantile(torch.cat([z[k].reshape(-1) for z in zs]).abs(), 0.99))
                  for zs in (z0, z1)) or 1.0
        r.extra = {
            "grad": [gr[k].tolist() for gr in grads],
            "dead": [de[k].tolist() for de in deads],
            "hist": _hist_rows(z0, k, "at init", lim) + _hist_rows(z1, k, "after training", lim),
            "z_std": [[float(z[k].std()) for z in zs] for zs in (z0, z1)],
        }
    return results


def depth_frames(results: list[TrainResult]) -> dict[str, pd.DataFrame]:
    """The depth probes as long frames: grad (function, epoch, layer, grad_norm), dead (function, epoch,
    layer, dead), hist (function, stage, layer, lo, hi, share), acc (function, epoch, test_acc)."""
    g, d, h, a = [], [], [], []
    for r in results:
        f = REG[r.config.activation].label
        for e, row in enumerate(r.extra["grad"]):
            g += [{"function": f, "epoch": e, "layer": li + 1, "grad_norm": v} for li, v in enumerate(row)]
        for e, row in enumerate(r.extra["dead"]):
            d += [{"function": f, "epoch": e, "layer": li + 1, "dead": v} for li, v in enumerate(row)]
        h.append(pd.DataFrame(r.extra["hist"]).assign(function=f))
        hist = r.history.dropna(subset=["test_acc"])
        a.append(pd.DataFrame({"function": f, "epoch": hist["epoch"], "test_acc": hist["test_acc"]}))
    return {"grad": pd.DataFrame(g), "dead": pd.DataFrame(d), "hist": pd.concat(h, ignore_index=True),
            "acc": pd.concat(a, ignore_index=True)}


def ratio_words(r: float) -> str:
    """A ratio said plainly: 0.00025 -> '1/4,000', 0.55 -> '1/1.8', 0.8 or 1.2 -> 'about the same', 3.2 -> '3.2x'."""
    if not np.isfinite(r) or r <= 0:
        return "none"
    if SAME[0] <= r <= SAME[1]:
        return "about the same"
    if r < 1:
        inv = 1 / r
        if inv < 10:
            return f"1/{inv:.2g}"
        digits = max(0, int(math.floor(math.log10(inv))) - 1)
        return f"1/{round(inv, -digits):,.0f}"
    return f"{r:.2g}x" if r < 10 else f"{r:,.0f}x"


SAME = (0.67, 1.5)  # ratios in this band are said as "about the same"


def _gets(r: float, L: int) -> str:
    """'1/80 of layer 10's gradient' or 'about as much gradient as layer 10'."""
    if SAME[0] <= r <= SAME[1]:
        return f"about as much gradient as layer {L} ({r:.2f}x)"
    return f"{ratio_words(r)} of layer {L}'s gradient" if r < 1 else f"{ratio_words(r)} layer {L}'s gradient"


def _size(r: float) -> str:
    """What a signal does on its way through the layers: 'shrinks to 1/18 of its size', 'grows 3.2x'."""
    if SAME[0] <= r <= SAME[1]:
        return "keeps about the same size"
    return f"shrinks to {ratio_words(r)} of its size" if r < 1 else f"grows {ratio_words(r)}"


def _first_layer_ratio(grad: list[float], L: int) -> float:
    return grad[0] / grad[L - 1] if grad[L - 1] > 0 else float("inf")


@lru_cache(maxsize=128)
def init_ratios(tc: TrainConfig) -> tuple[float, float]:
    """At initialisation on the depth probe: (layer 1's gradient / the last hidden layer's, the last hidden
    layer's pre-activation std / layer 1's). A cheap probe, no training: what another init would give."""
    ds = compare_data("digits")
    tr = Trainer([tc], ds)
    g, _, z = probe(tr, ds.X_train[:PROBE], ds.y_train[:PROBE])
    L = len(tc.hidden)
    return _first_layer_ratio(g[0].tolist(), L), float(z[-1][0].std() / max(float(z[0][0].std()), 1e-12))


def _off(r: float) -> float:
    """How far a ratio is from 1, in log units (0 = the same size)."""
    return abs(math.log(max(r, 1e-300))) if np.isfinite(r) else float("inf")
