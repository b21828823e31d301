"""The Activation Explorer's jobs: curves and derivatives, softmax with a temperature, what each
activation does to learning (many activations x seeds, batched), and the depth study.

Every job is a frozen config (URL round-trip, cache key) and a function of it. Numbers shown on the
page are computed here from the results; the sentences about them are claims (core.explorer.claims).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from core import datasets
from core.config import Config, ConfigError, Constraint, param, seeds_fit
from core.engine import TrainConfig, TrainResult, fit
from core.engine import activations as acts
from core.explorer import workload
from core.serve.workload import Workload

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

#: Step too: the perceptron's activation, with no slope for gradient descent (explorer.step_needs_slope)
DEFAULT_CURVES = ("sigmoid", "tanh", "relu", "leaky_relu", "step")
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
    constraints: ClassVar = (Constraint("x range", ("x_min", "x_max"), lambda c: c.x_min < c.x_max,
                                        "the x range needs min < max"),)

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
    """The tutorial's table for the chosen functions, with measured slope/saturation/centring columns.

    A function whose slope is exactly 0 everywhere (Step) is said to have no slope, not to saturate.
    """
    t = acts.table(cfg.functions, cfg.params(), cfg.x_min, cfg.x_max, cfg.logits)
    col = "saturates (|slope| < 0.01)"
    if col in t.columns:
        for i, n in enumerate(cfg.functions):
            if REG[n].elementwise and t.loc[i, "largest slope"] == 0:
                t.loc[i, col] = "no slope anywhere (exactly 0)"
    return t


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


def init_for(init: str, activation: str) -> str:
    """The TrainConfig init of one activation under a job's init choice ("matched" resolves per activation)."""
    return designed_init(activation) if init == "matched" else init


# ---- what each does to learning ----------------------------------------------------------------


@dataclass(frozen=True)
class CompareConfig(Config):
    """One MLP shape trained with each chosen activation from several seeds (one batched run).

    Defaults (the benchmark's too): 64-128-64-10 on sklearn's digits, Adam 1e-3, batch 64, 50 epochs.
    """

    kind: ClassVar[str] = "act-compare"
    constraints: ClassVar = (seeds_fit("first_seed", "n_seeds"),)

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
        return [TrainConfig(hidden=self.hidden, activation=f, init=init_for(self.init, f),
                            optimizer=self.optimizer, lr=self.lr, batch_size=self.batch_size, epochs=self.epochs,
                            seed=self.first_seed + s)
                for f in self.functions for s in range(self.n_seeds)]

    def data_key(self) -> str:
        return "digits-80-20-rs42" if self.dataset == "digits" else f"toy-{self.dataset}-1000-{self.noise:g}-s0"

    def workload(self, data: Any = None) -> Workload:
        return workload.compare(self, data)


def compare_data(dataset: str = "digits", noise: float = 0.1) -> datasets.Dataset:
    """digits: the tutorial's 80/20 split (random_state 42); a 2-D set: 1,000 points, 80/20, seed 0."""
    if dataset == "digits":
        Xtr, ytr, Xte, yte = datasets.digits_arrays()
        return datasets.make_dataset(Xtr, ytr, Xte, yte, task="multiclass", n_classes=10)
    X, y = datasets.toy_2d(dataset, n=workload.TOY_POINTS, noise=noise, seed=0)
    X = X / datasets.EXTENT  # inputs in about [-1, 1], like the scaled digits pixels
    Xtr, ytr, Xte, yte = datasets.split(X, y, workload.TOY_TRAIN, seed=0)
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
