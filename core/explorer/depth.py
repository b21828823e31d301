"""The Activation Explorer's depth study: deep MLPs on digits, one per activation, probed before and after
every epoch (per-layer gradients, dead units, pre-activations), and the sentences that say what they show.
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
from core.explorer.jobs import DEFAULT_DEPTH, DEPTH_INITS, INIT_LABEL, REG, compare_data, designed_init, init_for
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


def _init_notes(results: list[TrainResult]) -> str:
    """Which init each network started from, and (one shared init) what the designed one would have changed."""
    L = len(results[0].config.hidden)
    inits = {r.config.activation: r.config.init for r in results}
    if all(i == designed_init(a) for a, i in inits.items()):
        by: dict[str, list[str]] = {}
        for a, i in inits.items():
            by.setdefault(INIT_LABEL[i], []).append(REG[a].label)
        return ("Each activation starts from the init designed for it (" + "; ".join(
            f"{k} for {', '.join(v)}" for k, v in by.items()) + "), so what differs below is the activation. "
            "Choose one shared init to see what a mismatched one does.")
    shared = INIT_LABEL.get(results[0].config.init, results[0].config.init)
    worse = []
    for r in results:
        a, want = r.config.activation, designed_init(r.config.activation)
        if r.config.init == want or want == "default":
            continue
        z0 = r.extra["z_std"][0]
        grad, z = _first_layer_ratio(r.extra["grad"][0], L), z0[-1] / max(z0[0], 1e-12)
        own_grad, own_z = init_ratios(r.config.replace(init=want))
        said = []
        if _off(grad) > _off(own_grad) + math.log(2) and _off(own_grad) < math.log(10):
            said.append(f"layer 1 gets {_gets(grad, L)} (with {INIT_LABEL[want]}, the one designed for "
                        f"{REG[a].label}: {_gets(own_grad, L)})")
        if _off(z) > _off(own_z) + math.log(2) and _off(own_z) < math.log(10):
            said.append(f"the signal {_size(z)} from layer 1 to layer {L} (with {INIT_LABEL[want]}: it {_size(own_z)})")
        if said:
            worse.append(f"with {REG[a].label}, " + " and ".join(said))
    if not worse:
        return (f"With one shared init ({shared}), no chosen activation starts much worse than with the init "
                "designed for it: where a gradient vanishes here, the activation is the cause, not the init.")
    return (f"With one shared init ({shared}), at initialisation " + "; ".join(worse) + ". Each init scales the "
            "weights so that the signal and the gradient keep their size through the activation it was made for; "
            "through another activation they shrink (or grow) at every layer and the first layers learn slowly, "
            "so the comparison shows the init as much as the activation."
            + (" PyTorch's default draws each weight uniformly within ±1/√(fan-in): a third of the variance "
               "Xavier init gives a square layer and a sixth of He's, so the signal shrinks at every layer."
               if results[0].config.init == "default" else ""))


def _off(r: float) -> float:
    """How far a ratio is from 1, in log units (0 = the same size)."""
    return abs(math.log(max(r, 1e-300))) if np.isfinite(r) else float("inf")


def depth_notes(results: list[TrainResult]) -> dict[str, str]:
    """Computed 'what to notice' sentences for the depth charts: init, grad, grad_train, dead, acc, hist:<label>."""
    notes: dict[str, str] = {"init": _init_notes(results)}
    L = len(results[0].config.hidden)
    E = len(results[0].extra["grad"]) - 1
    parts = sorted((_first_layer_ratio(r.extra["grad"][0], L), REG[r.config.activation].label) for r in results)
    worst_r, worst = parts[0]
    s = f"At initialisation, with {worst}, layer 1 gets {_gets(worst_r, L)}"
    if len(parts) > 1:
        best_r, best = parts[-1]
        s += f"; with {best}, {_gets(best_r, L)}"
    if worst_r < SAME[0]:
        s += ". A ratio far below 1 means the first layers barely learn: the vanishing gradient"
    notes["grad"] = s + "."
    end = [(_first_layer_ratio(r.extra["grad"][-1], L), REG[r.config.activation].label) for r in results]
    worst_end = min(end)
    notes["grad_train"] = (f"After {E} epoch{'s' * (E != 1)}, {worst_end[1]}'s layer 1 "
                           f"{'still ' if worst_end[0] < SAME[0] else ''}gets {_gets(worst_end[0], L)}.")
    dead = []
    for r in results:
        row = np.array(r.extra["dead"][-1])
        li = int(row.argmax())
        dead.append((float(row[li]), li + 1, float(row.mean()), REG[r.config.activation].label))
    dead.sort(reverse=True)
    top = dead[0]
    if top[0] > 0:
        s = (f"After {E} epoch{'s' * (E != 1)}, {top[0]:.0%} of layer {top[1]}'s units are dead with {top[3]} "
             f"(the worst layer; {top[2]:.0%} over all layers): they output a flat zero-slope value for every "
             "probe example, so they no longer learn")
        clean = [x[3] for x in dead if x[0] == 0]
        if clean:
            s += f". None die with {', '.join(clean)}"
        notes["dead"] = s + "."
    else:
        notes["dead"] = (f"No unit is dead in any layer after {E} epochs with these settings. A larger learning "
                         "rate (try 0.01 or more) kills ReLU units quickly.")
    for r in results:
        notes[f"hist:{REG[r.config.activation].label}"] = _hist_note(r, L)
    accs = sorted(((float(r.metrics.get("final_test_acc", float("nan"))), REG[r.config.activation].label)
                   for r in results), reverse=True)
    s = ", ".join(f"{f} {a:.0%}" for a, f in accs)
    notes["acc"] = f"Test accuracy after {E} epoch{'s' * (E != 1)} at depth {L}: {s} (chance is 10%)."
    return notes


def _hist_note(r: TrainResult, L: int) -> str:
    """How one network's pre-activation spread changes from layer 1 to layer L at init, and what its own init does."""
    a, label, init = r.config.activation, REG[r.config.activation].label, r.config.init
    z0 = r.extra["z_std"][0]
    ratio = z0[-1] / max(z0[0], 1e-12)
    s = (f"At initialisation, {label}'s pre-activations have std {z0[0]:.3g} in layer 1 and {z0[-1]:.3g} in "
         f"layer {L}: with {INIT_LABEL.get(init, init)} the signal {_size(ratio)} on its way through")
    want = designed_init(a)
    if init == want:
        s += f" ({INIT_LABEL[want]} is the one designed for {label})"
    elif want != "default":
        own = init_ratios(r.config.replace(init=want))[1]
        s += f"; with {INIT_LABEL[want]}, the one designed for {label}, it {_size(own)}"
    return s + "."
