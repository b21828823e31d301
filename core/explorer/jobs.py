"""The Activation Explorer's jobs: curves and derivatives, softmax with a temperature, what each
activation does to learning (many activations x seeds, batched), and the depth study.

Every job is a frozen config (URL round-trip, cache key) and a function of it. Numbers shown on the
page, including the "what to notice" sentences, are computed here from the results.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np
import pandas as pd
import torch

from core import datasets
from core.config import Config, ConfigError, param
from core.engine import TrainConfig, Trainer, TrainResult, fit
from core.engine import activations as acts

REG = acts.REGISTRY
Y_CLIP = 1e6  # curve values beyond +-this are drawn clipped (an overflow never reaches the chart)


def _spec(name: str, p: str) -> acts.ParamSpec:
    return next(s for s in REG[name].params if s.name == p)


def _param_field(name: str, p: str, help: str = ""):
    s = _spec(name, p)
    return param(s.default, lo=s.lo, hi=s.hi, help=help or s.help)


#: (activation, its parameter) -> the CurvesConfig field that holds it
PARAM_FIELDS = {
    ("leaky_relu", "alpha"): "leaky_alpha",
    ("elu", "alpha"): "elu_alpha",
    ("softplus", "beta"): "softplus_beta",
    ("softmax", "temperature"): "temperature",
}

DEFAULT_CURVES = ("sigmoid", "tanh", "relu", "leaky_relu")
# the benchmark's eight: every one has a fast manual-backprop kernel in core.engine
DEFAULT_COMPARE = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu", "softplus")
DEFAULT_DEPTH = ("sigmoid", "tanh", "relu", "leaky_relu")
#: the depth study's inits: "matched" gives each activation the one designed for it (DESIGNED_INIT)
DEPTH_INITS = ("matched", "default", "xavier", "he", "lecun")
#: the init each activation was designed with: He (Kaiming) for the ReLU family, whose zero or small
#: negative side halves the signal's variance; Xavier (Glorot) for the symmetric saturating ones
#: (sigmoid, tanh) and the identity; LeCun normal for SELU, whose self-normalising constants assume it.
DESIGNED_INIT = {
    "identity": "xavier", "sigmoid": "xavier", "tanh": "xavier", "softsign": "xavier", "hard_tanh": "xavier",
    "hard_sigmoid": "xavier", "relu": "he", "leaky_relu": "he", "elu": "he", "gelu": "he", "silu": "he",
    "mish": "he", "softplus": "he", "selu": "lecun",
}
INIT_LABEL = {"matched": "each activation's own init", "default": "PyTorch's default init",
              "xavier": "Xavier (Glorot) init", "he": "He (Kaiming) init", "lecun": "LeCun init",
              "small": "randn*0.5 init"}


def designed_init(activation: str) -> str:
    """The init an activation was designed for ("he", "xavier" or "lecun"; "default" if none is known)."""
    return DESIGNED_INIT.get(activation, "default")
COMPARE_SETS = ("digits",) + datasets.CLASSIFICATION_SETS


# ---- curves and derivatives ---------------------------------------------------------------------


@dataclass(frozen=True)
class CurvesConfig(Config):
    """Which functions to draw over which x range, and their parameters."""

    kind: ClassVar[str] = "act-curves"

    functions: tuple[str, ...] = param(DEFAULT_CURVES, choices=acts.ELEMENTWISE,
                                       length=(1, len(acts.ELEMENTWISE)))
    x_min: float = param(-6.0, lo=-1000.0, hi=1000.0)
    x_max: float = param(6.0, lo=-1000.0, hi=1000.0)
    leaky_alpha: float = _param_field("leaky_relu", "alpha")
    elu_alpha: float = _param_field("elu", "alpha")
    softplus_beta: float = _param_field("softplus", "beta")
    temperature: float = _param_field("softmax", "temperature")
    logits: tuple[float, ...] = param((2.0, 1.0, 0.1, -1.0), lo=-100.0, hi=100.0, length=(2, 12))

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.x_min >= self.x_max:
            raise ConfigError("x_max", f"the x range needs min < max (got {self.x_min:g} to {self.x_max:g})")
        if len(set(self.functions)) != len(self.functions):
            raise ConfigError("functions", "each function may be chosen once")

    def params(self) -> dict[str, dict[str, float]]:
        """name -> {parameter: value} for every parametrised entry."""
        out: dict[str, dict[str, float]] = {}
        for (name, p), f in PARAM_FIELDS.items():
            out.setdefault(name, {})[p] = getattr(self, f)
        return out


def evaluate(fn: acts.Fn, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x) (autograd) as float64 arrays, with non-finite values kept as +-inf/NaN."""
    y = fn(x.detach()).detach()
    d = acts.derivative(fn, x)
    return y.double().numpy(), d.double().numpy()


def _clip(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values clipped into [-Y_CLIP, Y_CLIP] (NaN -> 0) and a mask of what was changed."""
    bad = ~np.isfinite(v) | (np.abs(np.nan_to_num(v, nan=0.0)) > Y_CLIP)
    out = np.clip(np.nan_to_num(v, nan=0.0, posinf=Y_CLIP, neginf=-Y_CLIP), -Y_CLIP, Y_CLIP)
    return out, bad


def curve_frame(fn: acts.Fn, x_min: float, x_max: float, n: int = 401, label: str = "f",
                dtype: torch.dtype = torch.float64) -> pd.DataFrame:
    """One function on a grid: x, function, y, slope, clipped (y or slope overflowed and was clipped)."""
    x = torch.linspace(x_min, x_max, n, dtype=dtype)
    with np.errstate(all="ignore"):
        y, d = evaluate(fn, x)
        y, bad_y = _clip(y)
        d, bad_d = _clip(d)
    return pd.DataFrame({"x": x.double().numpy(), "function": label, "y": y, "slope": d,
                         "clipped": bad_y | bad_d})


def curves(cfg: CurvesConfig, n: int = 401) -> pd.DataFrame:
    """Every chosen function and its autograd derivative over cfg's x range (long frame, see curve_frame)."""
    ps = cfg.params()
    frames = [curve_frame(REG[name].fn(**ps.get(name, {})), cfg.x_min, cfg.x_max, n, REG[name].label)
              for name in cfg.functions]
    return pd.concat(frames, ignore_index=True)


def curves_table(cfg: CurvesConfig) -> pd.DataFrame:
    """The tutorial's table for the chosen functions, with measured slope/saturation/centring columns."""
    return acts.table(cfg.functions, cfg.params(), cfg.x_min, cfg.x_max, cfg.logits)


def _and(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def flat_sides(name: str, x_min: float, x_max: float, n: int = 2001, **params: float) -> dict[str, str]:
    """Where a function's slope is under acts.SATURATED at the ends of [x_min, x_max], side by side.

    Returns {"left": kind, "right": kind}, kind one of "" (the slope passes gradient there), "flat" (slope
    exactly 0: ReLU's left side) or "saturates" (slope small but not 0: sigmoid's tails).
    """
    x = torch.linspace(x_min, x_max, n, dtype=torch.float64)
    d = acts.derivative(REG[name].fn(**params), x).abs().numpy()
    out = {}
    for side, v in (("left", d[0]), ("right", d[-1])):
        out[side] = "" if not v < acts.SATURATED else ("flat" if v == 0 else "saturates")
    return out


def curve_notes(cfg: CurvesConfig) -> list[str]:
    """Computed sentences about the chosen curves (slopes, one- or two-sided saturation, clipping)."""
    ps = cfg.params()
    props = {n: acts.properties(n, cfg.x_min, cfg.x_max, **ps.get(n, {})) for n in cfg.functions}
    notes = []
    top = max(p["max_slope"] for p in props.values())
    low = min(p["max_slope"] for p in props.values())
    steep = [REG[n].label for n in cfg.functions if math.isclose(props[n]["max_slope"], top, rel_tol=1e-3)]
    flat = [REG[n].label for n in cfg.functions if math.isclose(props[n]["max_slope"], low, rel_tol=1e-3)]
    if not math.isclose(top, low, rel_tol=1e-3):
        notes.append(f"Steepest: {_and(steep)}, slope up to {top:.3g}; flattest: {_and(flat)}, at most {low:.3g}. "
                     "Backprop multiplies one such slope per layer, so a slope below 1 shrinks the gradient at "
                     "every layer it passes.")
    if "sigmoid" in props:
        sl = props["sigmoid"]["max_slope"]
        notes.append(f"Sigmoid's slope never exceeds {sl:.3g}: through 10 sigmoid layers the gradient shrinks "
                     f"by at least {sl ** -10:,.0f}x from the slopes alone.")
    sides = {n: flat_sides(n, cfg.x_min, cfg.x_max, **ps.get(n, {})) for n in cfg.functions}
    both = [REG[n].label for n in cfg.functions if sides[n]["left"] and sides[n]["right"]]
    if both:
        notes.append(f"Saturating on both sides in this range: {_and(both)}. For large |x| the slope is under "
                     f"{acts.SATURATED:g} on either side, so almost no gradient passes whichever way a unit is pushed.")
    one, dies = [], False
    for n in cfg.functions:
        kinds = [(side, k) for side, k in sides[n].items() if k]
        if len(kinds) != 1:
            continue
        side, kind = kinds[0]
        if kind == "flat":
            dies = True
            one.append(f"{REG[n].label} (flat on the {side}: slope exactly 0 for x {'<' if side == 'left' else '>'} 0)")
        else:
            one.append(f"{REG[n].label} (saturates on the {side}: slope under {acts.SATURATED:g} for large "
                       f"{'negative' if side == 'left' else 'positive'} x)")
    if one:
        notes.append(f"Flat or saturating on one side only: {_and(one)}. The other side keeps a slope, so "
                     "gradient still passes there" + ("; a unit whose inputs all land on the flat side gets no "
                                                      "gradient at all and stops learning (a dead unit)." if dies
                                                      else "."))
    frame = curves(cfg, n=201)
    clipped = sorted(set(frame.loc[frame.clipped, "function"]))
    if clipped:
        notes.append(f"{', '.join(clipped)}: values beyond ±{Y_CLIP:.0e} (or overflowing) are drawn clipped.")
    return notes


# ---- softmax with a temperature ------------------------------------------------------------------

TEMPERATURES = tuple(float(t) for t in np.round(np.geomspace(0.05, 20.0, 61), 4))


def softmax_frame(logits: tuple[float, ...], temperature: float) -> pd.DataFrame:
    """Probabilities of each logit at T=1 and at the chosen T: logit, class, T, p (long)."""
    z = torch.tensor(logits, dtype=torch.float64)
    rows = []
    for label, t in (("T = 1", 1.0), (f"T = {temperature:g}", temperature)):
        p = REG["softmax"].fn(temperature=t)(z).numpy()
        rows += [{"class": f"z{i + 1} = {v:g}", "order": i, "temperature": label, "p": float(pi)}
                 for i, (v, pi) in enumerate(zip(logits, p))]
    df = pd.DataFrame(rows)
    return df.drop_duplicates(["class", "temperature"])


def softmax_sweep(logits: tuple[float, ...], temperatures: tuple[float, ...] = TEMPERATURES) -> pd.DataFrame:
    """p of each class over temperatures: temperature, class, order, p, entropy (bits)."""
    z = torch.tensor(logits, dtype=torch.float64)
    rows = []
    for t in temperatures:
        p = REG["softmax"].fn(temperature=t)(z)
        ent = float(-(p * torch.log2(p.clamp_min(1e-300))).sum())
        rows += [{"temperature": t, "class": f"z{i + 1} = {v:g}", "order": i, "p": float(pi), "entropy": ent}
                 for i, (v, pi) in enumerate(zip(logits, p.tolist()))]
    return pd.DataFrame(rows)


def softmax_notes(logits: tuple[float, ...], temperature: float) -> list[str]:
    """Computed sentences: the top class's probability and the entropy at T and at T=1."""
    z = torch.tensor(logits, dtype=torch.float64)
    top = int(torch.argmax(z))
    notes = []
    for t in sorted({1.0, temperature}):
        p = REG["softmax"].fn(temperature=t)(z)
        ent = float(-(p * torch.log2(p.clamp_min(1e-300))).sum())
        notes.append(f"At T = {t:g} the largest logit (z{top + 1} = {logits[top]:g}) gets p = {float(p[top]):.3f}; "
                     f"entropy {ent:.2f} bits (uniform over {len(logits)} classes would be "
                     f"{math.log2(len(logits)):.2f}).")
    total = float(REG["softmax"].fn(temperature=temperature)(z).sum())
    notes.append(f"The probabilities sum to {total:.6f} at every temperature; only how peaked they are changes. "
                 "Low T sharpens toward the arg-max, high T flattens toward uniform.")
    return notes


def _init_for(init: str, activation: str) -> str:
    """The TrainConfig init of one activation under a job's init choice ("matched" resolves per activation)."""
    return designed_init(activation) if init == "matched" else init


# ---- what each does to learning ----------------------------------------------------------------


@dataclass(frozen=True)
class CompareConfig(Config):
    """One MLP shape trained with each chosen activation from several seeds (one batched run).

    Defaults (the benchmark's too): 64-128-64-10 on sklearn's digits, Adam 1e-3, batch 64, 50 epochs.
    """

    kind: ClassVar[str] = "act-compare"

    dataset: str = param("digits", choices=COMPARE_SETS, help="sklearn digits or a 2-D set of the XOR Lab")
    functions: tuple[str, ...] = param(DEFAULT_COMPARE, choices=acts.HIDDEN, length=(1, len(acts.HIDDEN)))
    n_seeds: int = param(3, lo=1, hi=20, cap="seeds")
    first_seed: int = param(0, lo=0, hi=2**31 - 1)
    hidden: tuple[int, ...] = param((128, 64), lo=1, hi=512, length=(1, 6), cap=("width", "layers"))
    init: str = param("default", choices=DEPTH_INITS, help="matched: each activation with its own init")
    optimizer: str = param("adam", choices=("adam", "sgd", "momentum"))
    lr: float = param(1e-3, lo=1e-5, hi=1.0)
    batch_size: int = param(64, lo=1, hi=2000)
    epochs: int = param(50, lo=1, hi=500, cap="epochs")
    noise: float = param(0.1, lo=0.0, hi=0.5, help="2-D sets only")

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(set(self.functions)) != len(self.functions):
            raise ConfigError("functions", "each activation may be chosen once")

    def train_configs(self) -> list[TrainConfig]:
        """One TrainConfig per (activation, seed), grouped by activation (the trainer's fast layout)."""
        return [TrainConfig(hidden=self.hidden, activation=f, init=_init_for(self.init, f),
                            optimizer=self.optimizer, lr=self.lr, batch_size=self.batch_size, epochs=self.epochs,
                            seed=self.first_seed + s)
                for f in self.functions for s in range(self.n_seeds)]

    def data_key(self) -> str:
        return "digits-80-20-rs42" if self.dataset == "digits" else f"toy-{self.dataset}-1000-{self.noise:g}-s0"


def compare_data(dataset: str = "digits", noise: float = 0.1) -> datasets.Dataset:
    """digits: the tutorial's 80/20 split (random_state 42); a 2-D set: 1,000 points, 80/20, seed 0."""
    if dataset == "digits":
        Xtr, ytr, Xte, yte = datasets.digits_arrays()
        return datasets.make_dataset(Xtr, ytr, Xte, yte, task="multiclass", n_classes=10)
    X, y = datasets.toy_2d(dataset, n=1000, noise=noise, seed=0)
    X = X / datasets.EXTENT  # inputs in about [-1, 1], like the scaled digits pixels
    Xtr, ytr, Xte, yte = datasets.split(X, y, 0.8, seed=0)
    return datasets.make_dataset(Xtr, ytr, Xte, yte, task="binary")


def run_compare(cfg: CompareConfig, progress: Callable | None = None) -> list[TrainResult]:
    """Train every (activation, seed) of cfg at once; results in train_configs() order.

    Test metrics are evaluated about 25 times over the run (every epoch up to 25 epochs): enough
    points for the curves, without spending a large share of the run on evaluation.
    """
    return fit(cfg.train_configs(), compare_data(cfg.dataset, cfg.noise), progress=progress,
               eval_every=max(1, cfg.epochs // 25))


def compare_curves(results: list[TrainResult]) -> pd.DataFrame:
    """Long frame of every model's history: function, seed, epoch, train_loss, test_loss, test_acc."""
    cols = ("epoch", "train_loss", "test_loss", "test_acc", "train_acc")
    cols = tuple(c for c in cols if any(c in r.history for r in results))
    lens = [len(r.history) for r in results]
    parts = {c: np.concatenate([r.history[c].to_numpy(dtype=np.float64) if c in r.history else np.full(n, np.nan)
                                for r, n in zip(results, lens)]) for c in cols}
    parts["epoch"] = parts["epoch"].astype(np.int64)
    parts["function"] = np.repeat([REG[r.config.activation].label for r in results], lens)
    parts["seed"] = np.repeat([r.config.seed for r in results], lens)
    return pd.DataFrame(parts)


def compare_bands(results: list[TrainResult] | pd.DataFrame, metric: str = "test_acc") -> pd.DataFrame:
    """Mean and min-max over seeds per function and epoch: function, epoch, mean, lo, hi.

    results: the TrainResults, or their compare_curves() frame (to build it once).
    """
    curves = results if isinstance(results, pd.DataFrame) else compare_curves(results)
    df = curves.dropna(subset=[metric])
    g = df.groupby(["function", "epoch"], sort=False)[metric]
    out = g.agg(mean="mean", lo="min", hi="max").reset_index()
    return out


def compare_table(results: list[TrainResult]) -> pd.DataFrame:
    """One row per activation, best first: mean/spread of final test accuracy and loss over seeds."""
    rows = []
    by: dict[str, list[TrainResult]] = {}
    for r in results:
        by.setdefault(r.config.activation, []).append(r)
    for name, rs in by.items():
        acc = np.array([r.metrics.get("final_test_acc", np.nan) for r in rs])
        loss = np.array([r.metrics.get("final_test_loss", np.nan) for r in rs])
        rows.append({"activation": REG[name].label, "mean test acc": acc.mean(), "std": acc.std(),
                     "min": acc.min(), "max": acc.max(), "mean test loss": loss.mean(), "seeds": len(rs),
                     "diverged": sum(r.diverged for r in rs), "name": name})
    t = pd.DataFrame(rows).sort_values("mean test acc", ascending=False, kind="stable").reset_index(drop=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    return t


def _epochs_to(bands: pd.DataFrame, level: float) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for f, g in bands.groupby("function", sort=False):
        hit = g[g["mean"] >= level]
        out[f] = int(hit["epoch"].iloc[0]) if len(hit) else None
    return out


def compare_notes(results: list[TrainResult]) -> dict[str, str]:
    """Computed 'what to notice' sentences: under the accuracy chart, the loss chart and the table."""
    t = compare_table(results)
    best, worst = t.iloc[0], t.iloc[-1]
    n_seeds = int(t["seeds"].max())
    epochs = int(max(r.history["epoch"].max() for r in results))
    notes: dict[str, str] = {}
    curves = compare_curves(results)
    acc = compare_bands(curves, "test_acc")
    level = round(min(0.9, float(best["mean test acc"]) - 0.02), 2)
    reach = _epochs_to(acc, level)
    fast = [f for f, e in reach.items() if e is not None]
    if fast:
        first = min(fast, key=lambda f: reach[f])
        slow = [f for f, e in reach.items() if e is None]
        s = f"{first} is first to a mean test accuracy of {level:.0%} (epoch {reach[first]})"
        lag = max(fast, key=lambda f: reach[f])
        if lag != first:
            s += f"; {lag} needs until epoch {reach[lag]}"
        if slow:
            s += f"; {', '.join(slow)} never get{'s' * (len(slow) == 1)} there in {epochs} epochs"
        notes["acc"] = s + "."
    loss = compare_bands(curves, "test_loss")
    ep = int(loss.loc[loss["epoch"] >= min(10, epochs), "epoch"].min())  # first evaluated epoch from 10 on
    at = loss[loss["epoch"] == ep].set_index("function")["mean"]
    if len(at) > 1 and at.min() > 0:
        hi, lo = at.idxmax(), at.idxmin()
        ratio = at[hi] / at[lo]
        notes["loss"] = (f"At epoch {ep}, {hi}'s mean test loss ({at[hi]:.3f}) is "
                         + (f"{ratio:.1f}x {lo}'s" if ratio >= 1.1 else f"within {ratio - 1:.0%} of {lo}'s")
                         + f" ({at[lo]:.3f}).")
    gap = (best["mean test acc"] - worst["mean test acc"]) * 100
    s = (f"Best: {best['activation']}, {best['mean test acc']:.1%} mean test accuracy over {n_seeds} seed"
         f"{'s' * (n_seeds != 1)} (spread {(best['max'] - best['min']) * 100:.1f} points)")
    if len(t) > 1:
        s += f"; last: {worst['activation']}, {worst['mean test acc']:.1%}, {gap:.1f} points behind"
    widest = t.loc[(t["max"] - t["min"]).idxmax()]
    if n_seeds > 1 and len(t) > 1:
        s += (f". The seed matters most for {widest['activation']} "
              f"({(widest['max'] - widest['min']) * 100:.1f} points between its best and worst seed)")
    notes["table"] = s + "."
    return notes


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
        return [TrainConfig(hidden=(self.width,) * self.depth, activation=f, init=_init_for(self.init, f),
                            optimizer="adam", lr=self.lr, batch_size=self.batch_size, epochs=self.epochs,
                            seed=self.seed)
                for f in self.functions]


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
