"""Network Shapes' jobs: the tutorial's four shapes side by side, and universal approximation in 1-D.

Each job is a frozen config (URL round-trip, cache key) and functions of it. Every model of one
shape trains in one batched stack (``core.engine.fit``); the sentences the page shows about them are
claims (core.architectures.claims).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from core import datasets
from core.architectures import formula, workload
from core.config import Config, ConfigError, param, seeds_fit
from core.engine import TrainConfig, TrainResult, fit
from core.serve.workload import Workload

# ---- the four shapes -----------------------------------------------------------------------------
SHAPES = ("shallow", "deep", "wide", "narrow")
SHAPE_LABELS = {"shallow": "Shallow", "deep": "Deep", "wide": "Wide", "narrow": "Deep and narrow"}
SHAPE_HINTS = {"shallow": "1-2 hidden layers", "deep": "3+ hidden layers", "wide": "many neurons per layer",
               "narrow": "many thin layers"}
SHAPE_SETS = ("digits", "spiral")
# training settings that suit each data set (the page fills them in when the data set changes): the
# spiral's 300 points need many more, smaller steps than digits' 1,437
RECOMMENDED = {"digits": {"epochs": 20, "batch_size": 128, "lr": 0.01},
               "spiral": {"epochs": 200, "batch_size": 32, "lr": 0.01}}


def _widths(default: tuple[int, ...]):
    return param(default, lo=1, hi=1024, length=(1, 12), cap=("width", "layers"),
                 help="hidden widths, e.g. 256 or 32,32,32,32")


@dataclass(frozen=True)
class ShapesConfig(Config):
    """Four hidden-layer shapes trained on one data set, n_seeds seeds each (one stack per shape)."""

    kind: ClassVar[str] = "arch-shapes"
    constraints: ClassVar = (seeds_fit("first_seed", "n_seeds"),)

    dataset: str = param("digits", choices=SHAPE_SETS)
    shallow: tuple[int, ...] = _widths((32,))
    deep: tuple[int, ...] = _widths((64, 64, 64))
    wide: tuple[int, ...] = _widths((256,))
    narrow: tuple[int, ...] = _widths((16, 16, 16, 16, 16, 16))
    n_seeds: int = param(3, lo=1, hi=10, cap="seeds")
    epochs: int = param(20, lo=1, hi=2000, cap="epochs")
    lr: float = param(0.01, lo=1e-5, hi=1.0)
    batch_size: int = param(128, lo=1, hi=2000)
    first_seed: int = param(0, lo=0, hi=2**31 - 1)

    def hidden(self, shape: str) -> tuple[int, ...]:
        return getattr(self, shape)

    def train_configs(self) -> list[TrainConfig]:
        """Every model this request trains (all four shapes and the checks): what hosted mode prices."""
        return [c for shape in SHAPES for c in self.shape_configs(shape)] + \
            [c for cs in self.check_configs().values() for c in cs]

    def shape_configs(self, shape: str) -> list[TrainConfig]:
        """The n_seeds models of one shape: they share everything but the seed (one stack)."""
        return [TrainConfig(hidden=self.hidden(shape), activation="relu", optimizer="adam", lr=self.lr,
                            batch_size=self.batch_size, epochs=self.epochs, seed=self.first_seed + i)
                for i in range(self.n_seeds)]

    def check_configs(self) -> dict[str, list[TrainConfig]]:
        """Runs that test why Deep and narrow trains as it does: no hidden layer at all ("linear"), Deep and
        narrow with He init ("narrow_he") and with 3x the epochs ("narrow_longer"), n_seeds each."""
        base = self.shape_configs("narrow")
        return {"linear": [c.replace(hidden=()) for c in base],
                "narrow_he": [c.replace(init="he") for c in base],
                "narrow_longer": [c.replace(epochs=min(3 * self.epochs, 2000)) for c in base]}

    def data_key(self) -> str:
        return f"arch-{self.dataset}-v1"

    def workload(self, data: Any = None) -> Workload:
        return workload.shapes(self, SHAPES)


def shapes_data(name: str) -> datasets.Dataset:
    """digits (64 pixels, 10 classes, the tutorial's split) or the 2-D spiral (600 points, half for testing)."""
    if name == "digits":
        Xtr, ytr, Xte, yte = datasets.digits_arrays()
        return datasets.make_dataset(Xtr, ytr, Xte, yte, task="multiclass", n_classes=10)
    X, y = datasets.toy_2d("spiral", workload.SPIRAL_POINTS, 0.1, seed=0)
    X = X / datasets.EXTENT
    perm = np.random.default_rng(1).permutation(len(X))
    tr, te = perm[: len(X) // 2], perm[len(X) // 2:]
    return datasets.make_dataset(X[tr], y[tr], X[te], y[te], task="binary")


def n_params(n_in: int, hidden: Sequence[int], n_out: int) -> int:
    """Weights and biases of an MLP n_in -> hidden... -> n_out."""
    w = [n_in, *hidden, n_out]
    return sum(w[i] * w[i + 1] + w[i + 1] for i in range(len(w) - 1))


def run_shape(cfg: ShapesConfig, shape: str, progress=None) -> list[TrainResult]:
    """Train one shape's n_seeds models as one batched stack."""
    return fit(cfg.shape_configs(shape), shapes_data(cfg.dataset), progress)


def run_check(cfg: ShapesConfig, name: str, progress=None) -> list[TrainResult]:
    """Train one of cfg.check_configs() (its n_seeds models as one stack)."""
    return fit(cfg.check_configs()[name], shapes_data(cfg.dataset), progress)


def check_accuracy(results: list[TrainResult]) -> float:
    """Mean final test accuracy over a check's seeds."""
    return float(np.mean([r.metrics["final_test_acc"] for r in results]))


def shapes_table(cfg: ShapesConfig, results: dict[str, list[TrainResult]]) -> pd.DataFrame:
    """One row per shape: shape, widths, layers, parameters, mean/std/min/max test accuracy, seconds (of the
    run that trained it)."""
    rows = []
    for s in SHAPES:
        rs = results[s]
        acc = np.array([r.metrics["final_test_acc"] for r in rs])
        p = n_params(rs[0].n_in, cfg.hidden(s), rs[0].n_out)
        rows.append({"shape": SHAPE_LABELS[s], "hidden widths": ",".join(map(str, cfg.hidden(s))),
                     "layers": len(cfg.hidden(s)), "parameters": p, "mean test acc": float(acc.mean()),
                     "spread (std)": float(acc.std()), "min": float(acc.min()), "max": float(acc.max()),
                     "seconds": float(sum(r.seconds for r in rs))})
    return pd.DataFrame(rows)


def shapes_curves(results: dict[str, list[TrainResult]]) -> pd.DataFrame:
    """Learning curves: shape, epoch, mean/lo/hi test accuracy and train loss over the seeds."""
    parts = []
    for s in SHAPES:
        h = pd.concat([r.history.assign(seed=k) for k, r in enumerate(results[s])], ignore_index=True)
        h = h.dropna(subset=["test_acc"])
        g = h.groupby("epoch")
        parts.append(pd.DataFrame({"shape": SHAPE_LABELS[s], "epoch": g["test_acc"].mean().index,
                                   "test_acc": g["test_acc"].mean().values, "lo": g["test_acc"].min().values,
                                   "hi": g["test_acc"].max().values, "train_loss": g["train_loss"].mean().values}))
    return pd.concat(parts, ignore_index=True)


# ---- universal approximation ---------------------------------------------------------------------
TARGETS = ("sin", "step", "abs", "sawtooth", "formula")
TARGET_LABELS = {"sin": "sin(2x)", "step": "a step", "abs": "|x|", "sawtooth": "a sawtooth",
                 "formula": "your formula"}
X_RANGE = 3.0
N_TRAIN, N_GRID = 200, 301
DEEP_LAYERS = (2, 3)
DEEP_FROM = 8  # deeper nets for budgets of this width and up (below it they are 1-2 units wide)


def _target_fn(cfg: ApproxConfig) -> Callable[[np.ndarray], np.ndarray]:
    if cfg.function == "sin":
        return lambda x: np.sin(2 * x)
    if cfg.function == "step":
        return lambda x: (x > 0).astype(np.float64)
    if cfg.function == "abs":
        return np.abs
    if cfg.function == "sawtooth":
        return lambda x: 2 * (x / 1.5 - np.floor(x / 1.5 + 0.5))
    return lambda x: formula.evaluate(cfg.formula, x)


@dataclass(frozen=True)
class ApproxConfig(Config):
    """Fit one 1-D function on [-3, 3] with one hidden layer of each width (and deeper nets of the same size)."""

    kind: ClassVar[str] = "arch-approx"
    constraints: ClassVar = (seeds_fit("seed", "n_seeds"),)

    function: str = param("sin", choices=TARGETS)
    formula: str = param("sin(3*x) + abs(x)/2", help="a formula of x (when function is 'formula')")
    widths: tuple[int, ...] = param((1, 2, 4, 8, 16, 32, 64, 128, 256), lo=1, hi=256, length=(1, 12),
                                    cap="width")
    activation: str = param("relu", choices=("relu", "tanh", "sigmoid"))
    epochs: int = param(600, lo=10, hi=20_000, cap="epochs")
    lr: float = param(0.02, lo=1e-5, hi=1.0)
    n_seeds: int = param(3, lo=1, hi=10, cap="seeds", help="seeds per net, trained as one stack; the best is shown")
    deep: bool = param(True, help="also train 2- and 3-layer nets with each width's parameter budget")
    seed: int = param(0, lo=0, hi=2**31 - 1)

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(set(self.widths)) != len(self.widths):
            raise ConfigError("widths", "each width may appear once")
        if self.function == "formula":
            try:
                formula.evaluate(self.formula, np.linspace(-X_RANGE, X_RANGE, N_GRID))
            except formula.FormulaError as e:
                raise ConfigError("formula", str(e)) from None

    def train_configs(self) -> list[TrainConfig]:
        """Every net this request trains (each width, and the deeper nets): what hosted mode prices."""
        hiddens = [(w,) for w in self.widths] + [h for _, h in self.deep_shapes()]
        return [c for h in hiddens for c in self.net_configs(h)]

    def net_configs(self, hidden: tuple[int, ...]) -> list[TrainConfig]:
        """The n_seeds nets of one shape (one stack): full batch, Adam, MSE."""
        return [TrainConfig(hidden=hidden, activation=self.activation, optimizer="adam", lr=self.lr,
                            batch_size=0, epochs=self.epochs, seed=self.seed + i, loss="mse")
                for i in range(self.n_seeds)]

    def workload(self, data: Any = None) -> Workload:
        return workload.approx(self, N_TRAIN, N_GRID)

    def deep_shapes(self) -> list[tuple[int, tuple[int, ...]]]:
        """(budget width W, hidden) of the deeper nets: L layers of width w with about 3W+1 parameters."""
        out = []
        if not self.deep:
            return out
        for W in sorted(w for w in self.widths if w >= DEEP_FROM):
            budget = n_params(1, (W,), 1)
            for L in DEEP_LAYERS:
                w = matched_width(budget, L)
                if w >= 2:
                    out.append((W, (w,) * L))
        return out

    def data_key(self) -> str:
        return f"approx-{self.function}-{self.formula if self.function == 'formula' else ''}-{N_TRAIN}-{N_GRID}"


def matched_width(budget: int, layers: int) -> int:
    """The width w whose 1 -> w x layers -> 1 net has the parameter count nearest ``budget``."""
    best = min(range(1, 512), key=lambda w: abs(n_params(1, (w,) * layers, 1) - budget))
    return best


@dataclass
class Target:
    """The function's samples: x [N], y [N] for training; grid [G] and its values; mean, std of y."""

    x: np.ndarray
    y: np.ndarray
    grid: np.ndarray
    y_grid: np.ndarray
    mean: float
    std: float


def target(cfg: ApproxConfig) -> Target:
    """Training points (evenly spaced on [-3, 3]) and a finer grid between them for the error."""
    f = _target_fn(cfg)
    x = np.linspace(-X_RANGE, X_RANGE, N_TRAIN)
    g = np.linspace(-X_RANGE, X_RANGE, N_GRID)
    y, yg = f(x), f(g)
    std = float(y.std()) or 1.0
    return Target(x, y, g, yg, float(y.mean()), std)


def approx_data(t: Target) -> datasets.Dataset:
    """Standardised targets (mean 0, std 1) so every function trains at the same scale."""
    return datasets.make_dataset(t.x[:, None], (t.y - t.mean) / t.std, t.grid[:, None],
                                 (t.y_grid - t.mean) / t.std, task="regression")


def run_width(cfg: ApproxConfig, hidden: tuple[int, ...]) -> list[TrainResult]:
    """The n_seeds nets of this shape, trained as one stack (evaluated 10 times: only the end is shown)."""
    return fit(cfg.net_configs(hidden), approx_data(target(cfg)), eval_every=max(1, cfg.epochs // 10))


def best(results: Sequence[TrainResult]) -> TrainResult:
    """The seed with the smallest error on the grid."""
    return min(results, key=fit_error)


def predict(r: TrainResult, t: Target) -> np.ndarray:
    """The network's fit on the grid, in the function's units [G]."""
    with torch.no_grad():
        out = r.model()(torch.as_tensor(t.grid[:, None], dtype=torch.float32))[:, 0].numpy()
    return out.astype(np.float64) * t.std + t.mean


def fit_error(r: TrainResult) -> float:
    """Mean squared error on the grid relative to the function's variance (0: perfect, 1: a flat line)."""
    return float(r.metrics["final_test_loss"])


def approx_table(cfg: ApproxConfig, wide: dict[int, list[TrainResult]],
                 deep: dict[tuple[int, ...], list[TrainResult]]) -> pd.DataFrame:
    """One row per trained shape: net, layers, width, parameters, budget width, error (best seed), worst seed."""
    rows = []
    for W, rs in sorted(wide.items()):
        errs = [fit_error(r) for r in rs]
        rows.append({"net": f"1 x {W}", "layers": 1, "width": W, "parameters": n_params(1, (W,), 1),
                     "budget of": W, "error": min(errs), "worst seed": max(errs)})
    for W, h in cfg.deep_shapes():
        if h not in deep:
            continue
        errs = [fit_error(r) for r in deep[h]]
        rows.append({"net": f"{len(h)} x {h[0]}", "layers": len(h), "width": h[0],
                     "parameters": n_params(1, h, 1), "budget of": W, "error": min(errs), "worst seed": max(errs)})
    return pd.DataFrame(rows)


def fits_frame(t: Target, wide: dict[int, list[TrainResult]]) -> pd.DataFrame:
    """Every one-layer fit (best seed) on the grid: width, x, y (for the overlay); the target as width 0."""
    parts = [pd.DataFrame({"width": 0, "x": t.grid, "y": t.y_grid})]
    for W, rs in sorted(wide.items()):
        parts.append(pd.DataFrame({"width": W, "x": t.grid, "y": predict(best(rs), t)}))
    return pd.concat(parts, ignore_index=True)


def contributions(r: TrainResult, t: Target, n_points: int = 121) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sum of bent pieces for a one-hidden-layer net: each unit's output times its outgoing weight.

    Returns (pieces: unit, x, y — one curve per hidden unit, in the function's units, with the
    output bias and the mean spread evenly so the pieces add up exactly to the fit; total: x, fit,
    sum, target). fit is the network's own output; sum is the pieces added (they agree).
    """
    if len(r.config.hidden) != 1:
        raise ValueError("contributions need one hidden layer")
    s = r.state
    w1 = s["0.weight"][:, 0].double().numpy()  # [H]
    b1 = s["0.bias"].double().numpy()  # [H]
    w2 = s["2.weight"][0].double().numpy()  # [H]
    b2 = float(s["2.bias"][0])
    x = np.linspace(-X_RANGE, X_RANGE, n_points)
    z = x[:, None] * w1[None, :] + b1[None, :]
    act = {"relu": lambda v: np.maximum(v, 0.0), "tanh": np.tanh,
           "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v))}[r.config.activation]
    pieces = act(z) * w2[None, :] * t.std  # [n, H], in the function's units
    offset = b2 * t.std + t.mean  # the output bias, in the function's units
    total = pieces.sum(1) + offset
    H = len(w1)
    frame = pd.DataFrame({"unit": np.repeat(np.arange(1, H + 1), n_points), "x": np.tile(x, H),
                          "y": pieces.T.reshape(-1)})
    with torch.no_grad():
        net = r.model()(torch.as_tensor(x[:, None], dtype=torch.float32))[:, 0].double().numpy()
    tot = pd.DataFrame({"x": x, "fit": net * t.std + t.mean, "sum": total, "offset": offset,
                        "target": _interp(t, x)})
    return frame, tot


def _interp(t: Target, x: np.ndarray) -> np.ndarray:
    return np.interp(x, t.grid, t.y_grid)


def parse_widths(text: str) -> tuple[int, ...]:
    """'32, 32,32' -> (32, 32, 32); raises ValueError with a plain reason."""
    parts = [p.strip() for p in text.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError("enter hidden widths separated by commas, e.g. 256 or 32,32,32,32")
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"could not read {text.strip()[:40]!r} as whole numbers separated by commas") from None
