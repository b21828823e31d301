"""Optimizers on a surface: SGD, SGD with momentum and Adam (torch.optim's own) stepping two parameters
down a classic loss surface from the same start, every step recorded.

The surfaces are written in torch and differentiated by autograd; the optimizers are the real
``torch.optim.SGD`` and ``torch.optim.Adam`` acting on a 2-element parameter, so each path is exactly
what the algorithm does (float64).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from core.config import Config, param
from core.engine import cores
from core.serve.workload import DataShape, Net, Workload, one_stack


@dataclass(frozen=True)
class Surface:
    """A loss over two parameters (x, y): its formula, where the paths start, the view's extent, and the
    loss below which a path counts as through the valley (:func:`steps_to`)."""

    label: str
    formula: str
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    start: tuple[float, float]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    minimum: tuple[float, float]
    threshold: float


SURFACES: dict[str, Surface] = {
    # 100 times steeper across the valley than along it: a step size that is safe across crawls along
    "valley": Surface("Narrow valley", "0.05·x² + 5·y²",
                      lambda x, y: 0.05 * x ** 2 + 5.0 * y ** 2,
                      (-9.0, 1.5), (-10.0, 3.0), (-2.0, 2.0), (0.0, 0.0), 0.01),
    "rosenbrock": Surface("Rosenbrock's banana", "(1 − x)² + 100·(y − x²)²",
                          lambda x, y: (1.0 - x) ** 2 + 100.0 * (y - x ** 2) ** 2,
                          (-1.5, 2.0), (-2.0, 2.0), (-1.0, 3.0), (1.0, 1.0), 0.01),
}
OPTIMIZERS = ("SGD", "momentum", "Adam")


@dataclass(frozen=True)
class OptimizersConfig(Config):
    """The surface, the learning rate every optimizer uses, momentum's β, and how many steps to take.

    Defaults: the narrow valley, lr 0.08, momentum 0.9, 400 steps. Measured: momentum gets below the
    valley's loss threshold (0.01) in 61 steps, SGD at the same lr in 374, Adam in 187.
    """

    kind: ClassVar[str] = "optimizers"

    surface: str = param("valley", choices=tuple(SURFACES))
    lr: float = param(0.08, lo=1e-4, hi=1.0, help="the learning rate of all three optimizers")
    momentum: float = param(0.9, lo=0.0, hi=0.99, help="momentum's β: how much of the last step it keeps")
    steps: int = param(400, lo=10, hi=2000, help="steps each optimizer takes")

    def workload(self, data: Any = None) -> Workload:
        """Three one-parameter-pair 'networks' stepped ``steps`` times on one point (a negligible price)."""
        return one_stack([Net((), self.steps, 1) for _ in OPTIMIZERS], DataShape(1, 2, 1))


def make_optimizer(name: str, params: list[torch.Tensor], cfg: OptimizersConfig) -> torch.optim.Optimizer:
    """torch.optim's SGD, SGD with momentum (β = cfg.momentum) or Adam (its default betas), all at cfg.lr."""
    if name == "SGD":
        return torch.optim.SGD(params, lr=cfg.lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    if name == "Adam":
        return torch.optim.Adam(params, lr=cfg.lr)
    raise ValueError(f"unknown optimizer {name!r}")


LOSS_CAP = 1e12  # a diverged path's loss is recorded up to here (then NaN): the chart keeps its scale


def run_path(name: str, cfg: OptimizersConfig) -> pd.DataFrame:
    """One optimizer's path: step (0 = the start), x, y, loss (NaN once it has diverged)."""
    s = SURFACES[cfg.surface]
    p = torch.tensor(s.start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(name, [p], cfg)
    rows = torch.full((cfg.steps + 1, 3), math.nan, dtype=torch.float64)
    for t in range(cfg.steps + 1):
        loss = s.fn(p[0], p[1])
        with torch.no_grad():
            rows[t, :2] = p
            rows[t, 2] = loss
        if t == cfg.steps or (t % 50 == 0 and not bool(loss.abs() < LOSS_CAP)):
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    a = rows.numpy()
    gone = ~(np.abs(a[:, 2]) < LOSS_CAP)  # diverged (or never reached): no point drawn from there on
    if gone.any():
        a[int(np.argmax(gone)):] = np.nan
    out = pd.DataFrame(a, columns=["x", "y", "loss"])
    out.insert(0, "step", np.arange(cfg.steps + 1))
    out.insert(0, "optimizer", name)
    return out


def run(cfg: OptimizersConfig) -> pd.DataFrame:
    """Every optimizer's path from the same start, one long frame: optimizer, step, x, y, loss."""
    with cores.training_threads(0):  # two numbers a step: one thread (a busy thread pool costs far more)
        return pd.concat([run_path(n, cfg) for n in OPTIMIZERS], ignore_index=True)


def steps_to(paths: pd.DataFrame, threshold: float) -> dict[str, int | None]:
    """Per optimizer, the first step whose loss is below ``threshold`` (None: never, within the run)."""
    out: dict[str, int | None] = {}
    for name, g in paths.groupby("optimizer", sort=False):
        below = g.loc[g["loss"] < threshold, "step"]
        out[str(name)] = int(below.iloc[0]) if len(below) else None
    return out


def first_step(paths: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Per optimizer, its first step's move (|Δx|, |Δy|)."""
    out = {}
    for name, g in paths.groupby("optimizer", sort=False):
        a, b = g.iloc[0], g.iloc[1]
        out[str(name)] = (abs(float(b.x - a.x)), abs(float(b.y - a.y)))
    return out


def longest_step(paths: pd.DataFrame) -> dict[str, float]:
    """Per optimizer, its longest single move in x over the run."""
    return {str(n): float(g["x"].diff().abs().max()) for n, g in paths.groupby("optimizer", sort=False)}


def grid(surface: str, n: int = 60) -> pd.DataFrame:
    """The surface over its view on an n x n grid: x, y, loss, and log10(loss) (what the heatmap colours)."""
    s = SURFACES[surface]
    xs = torch.linspace(*s.x_range, n, dtype=torch.float64)
    ys = torch.linspace(*s.y_range, n, dtype=torch.float64)
    X, Y = torch.meshgrid(xs, ys, indexing="xy")
    L = s.fn(X, Y).numpy().ravel()
    return pd.DataFrame({"x": X.numpy().ravel(), "y": Y.numpy().ravel(), "loss": L,
                         "log_loss": np.log10(np.maximum(L, 1e-6))})
