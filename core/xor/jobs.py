"""The XOR Lab's jobs: the perceptron on logic gates, NumPy vs PyTorch on XOR, XOR over many seeds,
and the Playground (2-D data sets, features, many seeds, two settings compared, export).

Each job is a frozen config (see :mod:`core.config`) and a function that computes its result.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from core import datasets
from core.config import Config, param, seeds_fit
from core.engine import TrainConfig, Trainer, TrainResult, activations, fit
from core.engine.models import Perceptron, PerceptronHistory
from core.serve.workload import Workload
from core.xor import workload
from core.xor.scratch import ScratchNet, solves_many

# ---- the perceptron --------------------------------------------------------------------------


@dataclass(frozen=True)
class PerceptronConfig(Config):
    """The tutorial's perceptron: lr 0.1, randn*0.01 weights, stops at an epoch with no errors."""

    kind: ClassVar[str] = "perceptron"

    gate: str = param("XOR", choices=tuple(datasets.GATES))
    lr: float = param(0.1, lo=1e-4, hi=10.0)
    epochs: int = param(100, lo=1, hi=10_000, cap="epochs")
    seed: int = param(42, lo=0, hi=2**31 - 1)

    def workload(self, data: Any = None) -> Workload:
        return workload.perceptron(self, data)


def run_perceptron(cfg: PerceptronConfig) -> tuple[PerceptronHistory, Perceptron]:
    """Train the perceptron on the gate's truth table; returns the history and the trained unit."""
    X, y = datasets.gate(cfg.gate)
    p = Perceptron(2, cfg.lr, cfg.seed)
    return p.fit(X, y, cfg.epochs), p


def _term(v: float, name: str, first: bool = False) -> str:
    """One signed term of a linear rule: '0.123·x1', '+ 0.010·x2', '− 0.010·x2' (never '+ -0.010', never '-0.000')."""
    v = round(float(v), 3) + 0.0  # + 0.0 turns -0.0 into 0.0
    body = f"{abs(v):.3f}{'·' + name if name else ''}"
    if first:
        return ("−" if v < 0 else "") + body
    return ("− " if v < 0 else "+ ") + body


def rule_text(w: np.ndarray, b: float) -> str:
    """The perceptron's rule in words with signs written once: 'output 1 when 0.100·x1 − 0.010·x2 + 0.000 > 0'."""
    return f"output 1 when {_term(w[0], 'x1', True)} {_term(w[1], 'x2')} {_term(b, '')} > 0"


def perceptron_lines(h: PerceptronHistory, lo: float = -0.5, hi: float = 1.5) -> pd.DataFrame:
    """The decision line w1*x1 + w2*x2 + b = 0 after each epoch, clipped to the box [lo, hi]^2.

    Returns epoch, x1, x2 (two rows per epoch; none where the weights are zero).
    """
    rows = []
    for epoch, (w, b) in enumerate(zip(h.weights, h.bias)):
        pts = _line_in_box(w[0], w[1], b, lo, hi)
        rows += [{"epoch": epoch, "x1": p[0], "x2": p[1], "end": i} for i, p in enumerate(pts)]
    return pd.DataFrame(rows, columns=["epoch", "x1", "x2", "end"])


def _line_in_box(w1: float, w2: float, b: float, lo: float, hi: float) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    if abs(w2) > 1e-12:
        for x1 in (lo, hi):
            x2 = -(w1 * x1 + b) / w2
            if lo - 1e-9 <= x2 <= hi + 1e-9:
                pts.append((x1, x2))
    if abs(w1) > 1e-12:
        for x2 in (lo, hi):
            x1 = -(w2 * x2 + b) / w1
            if lo - 1e-9 <= x1 <= hi + 1e-9:
                pts.append((x1, x2))
    uniq: list[tuple[float, float]] = []
    for p in pts:
        if all(abs(p[0] - q[0]) + abs(p[1] - q[1]) > 1e-9 for q in uniq):
            uniq.append(p)
    return uniq[:2]


def truth_table(cfg: PerceptronConfig, p: Perceptron) -> pd.DataFrame:
    """x1, x2, target, the perceptron's answer, and whether it is right."""
    X, y = datasets.gate(cfg.gate)
    out = p.predict(X)
    return pd.DataFrame({"x1": X[:, 0].astype(int), "x2": X[:, 1].astype(int), "target": y.astype(int),
                         "perceptron": out, "right": out == y.astype(int)})


def best_linear_accuracy(gate: str, steps: int = 181) -> float:
    """The best accuracy any straight line reaches on the gate (searched over angles and offsets).

    For XOR this is 0.75: no line splits the four points, which is why the perceptron never converges.
    """
    X, y = datasets.gate(gate)
    theta = np.linspace(0, np.pi, steps)
    W = np.stack([np.cos(theta), np.sin(theta)], 1)              # [A, 2] line normals
    proj = X @ W.T                                                # [4, A]
    cuts = np.concatenate([proj - 1e-6, proj + 1e-6])             # [8, A] offsets next to each point
    side = proj[None, :, :] > cuts[:, None, :]                    # [8, 4, A]
    right = (side == (y > 0.5)[None, :, None]).mean(1)            # [8, A]
    return float(np.maximum(right, 1 - right).max())


# ---- NumPy vs PyTorch on XOR -----------------------------------------------------------------


@dataclass(frozen=True)
class XorCompareConfig(Config):
    """The tutorial's two XOR solvers on the same 2-H-1 sigmoid network."""

    kind: ClassVar[str] = "xor-compare"

    hidden: int = param(4, lo=1, hi=16, cap="width")
    numpy_lr: float = param(0.5, lo=1e-4, hi=20.0)
    numpy_epochs: int = param(2000, lo=1, hi=20_000, cap="epochs")
    torch_lr: float = param(0.1, lo=1e-4, hi=5.0)
    torch_epochs: int = param(1000, lo=1, hi=20_000, cap="epochs")
    seed: int = param(42, lo=0, hi=2**31 - 1)

    def workload(self, data: Any = None) -> Workload:
        return workload.solvers(self, data)


@dataclass
class XorCompareResult:
    """Loss curves (epoch, loss, net), grids of output/hidden units, and final predictions."""

    losses: pd.DataFrame
    surface: pd.DataFrame      # x1, x2, p, net
    hidden: pd.DataFrame       # x1, x2, unit, a, net
    predictions: pd.DataFrame  # x1, x2, target, numpy, torch


def xor_torch_config(cfg: XorCompareConfig) -> TrainConfig:
    """The PyTorch XORNet of the tutorial as a TrainConfig (Adam, BCE, full batch)."""
    return TrainConfig(hidden=(cfg.hidden,), activation="sigmoid", optimizer="adam", lr=cfg.torch_lr,
                       epochs=cfg.torch_epochs, seed=cfg.seed)


def run_xor_compare(cfg: XorCompareConfig, grid_steps: int = 41) -> XorCompareResult:
    """Train both networks on XOR and evaluate them over the plane [-0.5, 1.5]^2."""
    X, y = datasets.gate("XOR")
    net = ScratchNet(2, cfg.hidden, cfg.seed)
    h = net.fit(X, y, cfg.numpy_lr, cfg.numpy_epochs)
    tr = Trainer([xor_torch_config(cfg)], datasets.make_dataset(X, y, task="binary"))
    tr.run(eval_every=1)
    res = tr.results()[0]

    g = _unit_grid(grid_steps)
    fw = net.forward(g.astype(np.float64))
    capture: list = []
    with torch.no_grad():
        logits = tr.forward(torch.as_tensor(g), capture=capture)
    p_torch = torch.sigmoid(logits)[0, :, 0].numpy()
    a_torch = capture[0][1][0].numpy()

    numpy_curve = pd.DataFrame({"epoch": np.arange(1, len(h.loss) + 1), "loss": h.loss,
                                "net": "NumPy (gradient descent, hand-written backprop)"})
    torch_curve = pd.DataFrame({"epoch": res.history.epoch, "loss": res.history.train_loss,
                                "net": "PyTorch (Adam, autograd)"})
    losses = pd.concat([numpy_curve, torch_curve], ignore_index=True)
    surface = pd.concat([
        pd.DataFrame({"x1": g[:, 0], "x2": g[:, 1], "p": fw["a2"][:, 0], "net": "NumPy"}),
        pd.DataFrame({"x1": g[:, 0], "x2": g[:, 1], "p": p_torch, "net": "PyTorch"}),
    ], ignore_index=True)
    hid = []
    for name, a in (("NumPy", fw["a1"]), ("PyTorch", a_torch)):
        for u in range(cfg.hidden):
            hid.append(pd.DataFrame({"x1": g[:, 0], "x2": g[:, 1], "unit": f"h{u + 1}", "a": a[:, u], "net": name}))
    with torch.no_grad():
        p4 = torch.sigmoid(tr.forward(torch.as_tensor(X)))[0, :, 0].numpy()
    preds = pd.DataFrame({"x1": X[:, 0].astype(int), "x2": X[:, 1].astype(int), "target": y.astype(int),
                          "NumPy": net.predict_proba(X).round(3), "PyTorch": p4.round(3)})
    return XorCompareResult(losses, surface, pd.concat(hid, ignore_index=True), preds)


def numpy_solve_share(cfg: XorCompareConfig, n_seeds: int = 100) -> tuple[int, int]:
    """How many of seeds 0..n_seeds-1 the NumPy network solves XOR from, at cfg's NumPy settings: (solved, n)."""
    X, y = datasets.gate("XOR")
    ok = solves_many(range(n_seeds), X, y, cfg.hidden, cfg.numpy_lr, cfg.numpy_epochs)
    return int(ok.sum()), n_seeds


def _unit_grid(steps: int) -> np.ndarray:
    axis = np.linspace(-0.5, 1.5, steps, dtype=np.float32)
    g1, g2 = np.meshgrid(axis, axis)
    return np.stack([g1.ravel(), g2.ravel()], 1)


# ---- many seeds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedStudyConfig(TrainConfig):
    """One XOR network trained from ``n_seeds`` seeds at once. Defaults: the tutorial's XORNet."""

    kind: ClassVar[str] = "xor-seeds"
    constraints: ClassVar = (seeds_fit("first_seed", "n_seeds"),)

    hidden: tuple[int, ...] = param((4,), lo=1, hi=32, length=(1, 4), cap=("width", "layers"))
    activation: str = param("sigmoid", choices=activations.HIDDEN)
    lr: float = param(0.1, lo=1e-5, hi=10.0)
    epochs: int = param(1000, lo=1, hi=20_000, cap="epochs")
    n_seeds: int = param(100, lo=1, hi=1000, cap="seeds")
    first_seed: int = param(0, lo=0, hi=2**31 - 1)

    def train_configs(self) -> list[TrainConfig]:
        return list(_seed_configs(self))

    def workload(self, data: Any = None) -> Workload:
        return workload.seeds(self, data)


@functools.lru_cache(maxsize=64)
def _seed_configs(cfg: SeedStudyConfig) -> tuple[TrainConfig, ...]:
    """A study's models, made once per study (frozen configs): its link is priced, keyed and trained from them,
    each time building and checking 100 configs (0.3 s of a class's server lock, py-spy)."""
    return tuple(cfg.as_train(seed=cfg.first_seed + i) for i in range(cfg.n_seeds))


def solved(results: list[TrainResult]) -> np.ndarray:
    """Whether each model gets all four XOR outputs on the right side of 0.5: [K] bool."""
    return np.array([r.metrics.get("final_train_acc", 0.0) == 1.0 for r in results])


# a study's histories keep every STUDY_LOG_EVERY-th epoch (and every evaluated one, and the last): its chart draws
# 200 points a curve, and a class's 30 studies of 100 full 1,000-epoch histories were 106 MB to store and hand over
# (a worker's results crossing the socket, every visitor's result file); one constant, so every study is one merge key
STUDY_LOG_EVERY = 5


def run_seed_study(cfg: SeedStudyConfig, progress=None) -> list[TrainResult]:
    """Train every seed together (batched); results in seed order, histories every STUDY_LOG_EVERY-th epoch."""
    X, y = datasets.gate("XOR")
    return fit(cfg.train_configs(), datasets.make_dataset(X, y, task="binary"), progress=progress,
               log_every=STUDY_LOG_EVERY)


RETRY_FACTOR = workload.RETRY_FACTOR  # priced into the seed study's workload
# the longer runs are evaluated at each model's last epoch only: their final numbers are all the page reads, and
# one schedule for every visitor's retry keeps them one merge key (a class's 561 retried seeds, merged: 5.2 s
# evaluated on each visitor's own schedule, 3.9 s at the end only)
RETRY_EVAL_EVERY = 10**9


def retry_longer(cfg: SeedStudyConfig, results: list[TrainResult],
                 factor: int = RETRY_FACTOR) -> dict[int, TrainResult]:
    """Retrain every failed seed of a study ``factor`` times longer (one batched run).

    Returns {index in results: the longer run's result}; empty when every seed solved. Each longer
    history keeps one epoch in ``factor`` (and the last): the study's resolution, a tenth of the memory
    (nothing draws these curves; their final numbers are in metrics). Its test and train-eval metrics are
    measured at the last epoch only (RETRY_EVAL_EVERY); train_loss is there for every kept epoch.
    """
    ok = solved(results)
    failed = [i for i in range(len(results)) if not ok[i]]
    if not failed:
        return {}
    X, y = datasets.gate("XOR")
    cfgs = [results[i].config.as_train(epochs=results[i].config.epochs * factor) for i in failed]
    longer = fit(cfgs, datasets.make_dataset(X, y, task="binary"), eval_every=RETRY_EVAL_EVERY, log_every=factor)
    for r in longer:
        h = r.history_columns()
        n = len(h["epoch"])
        keep = (h["epoch"] % factor == 0) | (np.arange(n) == n - 1)
        r.history = {c: a[keep] for c, a in h.items()}  # made a frame when read
    return dict(zip(failed, longer))


def diagnose(result: TrainResult, longer: TrainResult | None = None) -> dict:
    """Why one XOR network failed: its outputs, its hidden units on the four inputs, its gradient.

    longer: the same seed trained longer (from retry_longer); only then is it known whether more epochs
    help. Returns {"outputs": DataFrame, "units": DataFrame (unit, input, z, a, slope), "wrong" (inputs on
    the wrong side of 0.5), "merged" (pairs of inputs of different classes the hidden layer maps to almost
    the same values), "saturated"/"dead" (units with slope < 1e-3 on all four inputs), "constant" ((unit,
    mean output) of units that barely change), "grad_norm", "loss", "longer_epochs", "longer_solved",
    "longer_loss" (None without ``longer``)}; the claims ``seed_symptoms``, ``seed_flat`` and
    ``seed_more_epochs`` (core.xor.claims) say them.
    """
    X, y = datasets.gate("XOR")
    net = result.model().double()
    Xt = torch.as_tensor(X, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    first = net[0]
    act = activations.get(result.config.activation)
    with torch.no_grad():
        z = first(Xt)
        a = act(z)
        out = torch.sigmoid(net(Xt))[:, 0]
    slope = activations.derivative(act, z.reshape(-1)).reshape(z.shape)
    net.zero_grad()
    loss_t = torch.nn.functional.binary_cross_entropy_with_logits(net(Xt)[:, 0], yt)
    loss_t.backward()
    loss = float(loss_t.detach())
    gnorm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in net.parameters()))
    units = []
    for u in range(z.shape[1]):
        for i in range(4):
            units.append({"unit": f"h{u + 1}", "input": f"({int(X[i, 0])},{int(X[i, 1])})",
                          "z": float(z[i, u]), "a": float(a[i, u]), "slope": float(slope[i, u])})
    units_df = pd.DataFrame(units)
    names = [f"({int(X[i, 0])},{int(X[i, 1])})" for i in range(4)]
    wrong = [names[i] for i in range(4) if (out[i] > 0.5) != (y[i] > 0.5)]
    merged = [(names[i], names[j]) for i in range(4) for j in range(i + 1, 4)
              if y[i] != y[j] and float((a[i] - a[j]).abs().max()) < 0.05]
    flat_units, dead_units, constant_units = [], [], []
    for unit, g in units_df.groupby("unit"):
        if (g["slope"].abs() < 1e-3).all():
            (dead_units if (g["a"].abs() < 1e-6).all() else flat_units).append(unit)
        elif g["a"].max() - g["a"].min() < 0.05:
            constant_units.append((unit, float(g["a"].mean())))
    outputs = pd.DataFrame({"x1": X[:, 0].astype(int), "x2": X[:, 1].astype(int), "target": y.astype(int),
                            "output": out.numpy().round(3)})
    return {"outputs": outputs, "units": units_df, "wrong": wrong, "merged": merged, "saturated": flat_units,
            "dead": dead_units, "constant": constant_units, "grad_norm": gnorm, "loss": float(loss),
            "longer_epochs": None if longer is None else longer.config.epochs,
            "longer_solved": None if longer is None else bool(solved([longer])[0]),
            "longer_loss": None if longer is None else float(longer.metrics.get("final_train_loss", float("nan")))}
