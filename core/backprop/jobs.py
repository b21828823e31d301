"""Backprop as the chain rule on the tutorial's 2-4-1 XOR network, one example at a time or full batch.

    z1 = x @ W1 + b1   a1 = sigmoid(z1)   [4]      (x is one XOR input [2])
    z2 = a1 @ W2 + b2  a2 = sigmoid(z2)   [1]
    L  = -(y log(a2 + eps) + (1 - y) log(1 - a2 + eps))      (eps 1e-8, the tutorial's BCE)

Weights start as the tutorial's (``randn * 0.5`` from ``default_rng(seed)``, biases 0; exactly
:class:`core.xor.scratch.ScratchNet`'s). Two ways to step, both plain gradient descent:

- ``mode="example"``: step s trains on XOR row ``s % 4`` alone (stochastic gradient descent, batch 1);
- ``mode="batch"``: the tutorial's own, full batch: step s is epoch s, and its gradient is the mean of
  the four rows' gradients (ScratchNet.fit's step; its ``dz2 = (a2 - y) / 4`` is each row's
  dL/dz2 = a2 - y averaged). The walk-through then shows one row's forward and backward pass (``row``).

Every local derivative is written out beside its forward value, and every number is checked against
torch autograd (float64) on the same step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from core import datasets
from core.backprop import workload
from core.config import Config, param
from core.serve.workload import Workload
from core.xor.scratch import ScratchNet

EPS = 1e-8
X_XOR, Y_XOR = datasets.gate("XOR")
EXAMPLES = [(X_XOR[i].astype(np.float64), float(Y_XOR[i])) for i in range(4)]
EPOCHS = 2000  # the tutorial trains 2,000 epochs (full batch)
MAX_STEP = 4 * EPOCHS  # as many one-example steps
MODES = ("example", "batch")


@dataclass(frozen=True)
class BackpropConfig(Config):
    """Where the walk-through stands: the seed of the first weights, the learning rate, how each step is
    taken (one example, or the full batch of four), steps done, and (full batch) the row shown."""

    kind: ClassVar[str] = "backprop"

    seed: int = param(0, lo=0, hi=2**31 - 1)
    lr: float = param(0.5, lo=1e-4, hi=10.0, help="the tutorial's 0.5")
    mode: str = param("example", choices=MODES, help="example: one row per step; batch: the tutorial's full batch")
    step: int = param(0, lo=0, hi=MAX_STEP, help="updates done so far (one example: 4 per epoch; full batch: 1)")
    row: int = param(0, lo=0, hi=3, help="full batch: the XOR row whose forward and backward pass is shown")

    @property
    def batch(self) -> bool:
        return self.mode == "batch"

    @property
    def epoch(self) -> int:
        return self.step if self.batch else self.step // 4

    def workload(self, data: Any = None) -> Workload:
        return workload.walk(self)

    @property
    def example(self) -> int:
        return self.row if self.batch else self.step % 4


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def _bce(a: float, y: float) -> float:
    return float(-(y * np.log(a + EPS) + (1 - y) * np.log(1 - a + EPS)))


def initial_params(seed: int) -> dict[str, np.ndarray]:
    """The tutorial's first weights: W1 [2, 4], b1 [4], W2 [4], b2 [] (float64)."""
    net = ScratchNet(2, 4, seed=seed)
    return {"W1": net.W1.copy(), "b1": net.b1[0].copy(), "W2": net.W2[:, 0].copy(), "b2": np.array(net.b2[0, 0])}


@dataclass
class StepTrace:
    """One training step written out: forward values, local derivatives, products, gradients, update.

    Shapes: x [2], z1, a1 [4], z2, a2, loss scalars; grads and new params as in :func:`initial_params`.
    ``grads`` are this example's; ``step_grads`` what the update used (the same, or with ``batch`` the
    mean of the four rows' gradients); ``row_grads`` the four rows' gradients at these weights.
    """

    step: int
    x: np.ndarray
    y: float
    params: dict[str, np.ndarray]
    z1: np.ndarray
    a1: np.ndarray
    z2: float
    a2: float
    loss: float
    # backward, as the error flows: local derivatives and their products
    dL_da2: float
    da2_dz2: float
    dL_dz2: float
    dz2_da1: np.ndarray  # = W2 [4]
    dL_da1: np.ndarray  # [4]
    da1_dz1: np.ndarray  # [4]
    dL_dz1: np.ndarray  # [4]
    grads: dict[str, np.ndarray]
    lr: float
    new_params: dict[str, np.ndarray]
    new_loss: float  # this example's loss after the update
    mean_loss_before: float  # mean over the four XOR rows
    mean_loss_after: float
    step_grads: dict[str, np.ndarray] = field(default_factory=dict)
    row_grads: list[dict[str, np.ndarray]] = field(default_factory=list)
    batch: bool = False
    autograd: dict[str, np.ndarray] = field(default_factory=dict)

    def max_autograd_diff(self) -> float:
        """Largest |hand - autograd| over every derivative and gradient of the step."""
        return max(float(np.max(np.abs(np.asarray(self.hand()[k]) - self.autograd[k]))) for k in self.autograd)

    def hand(self) -> dict[str, np.ndarray]:
        """The hand-computed quantities autograd checks, by name."""
        return {"dL/da2": np.array(self.dL_da2), "dL/dz2": np.array(self.dL_dz2), "dL/da1": self.dL_da1,
                "dL/dz1": self.dL_dz1, **{f"dL/d{k}": v for k, v in self.grads.items()},
                "loss": np.array(self.loss)}


def _forward(p: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    z1 = x @ p["W1"] + p["b1"]
    a1 = _sigmoid(z1)
    z2 = float(a1 @ p["W2"] + p["b2"])
    return z1, a1, z2, float(_sigmoid(np.array(z2)))


def mean_loss(p: dict[str, np.ndarray]) -> float:
    """Mean BCE over the four XOR rows."""
    return float(np.mean([_bce(_forward(p, x)[3], y) for x, y in EXAMPLES]))


def example_grads(p: dict[str, np.ndarray], x: np.ndarray, y: float) -> dict[str, np.ndarray]:
    """One example's gradients at weights p (the same chain as :func:`trace_step`, without the bookkeeping)."""
    _, a1, _, a2 = _forward(p, x)
    dz2 = (-y / (a2 + EPS) + (1 - y) / (1 - a2 + EPS)) * a2 * (1 - a2)
    dz1 = dz2 * p["W2"] * a1 * (1 - a1)
    return {"W1": np.outer(x, dz1), "b1": dz1, "W2": dz2 * a1, "b2": np.array(dz2)}


def trace_step(p: dict[str, np.ndarray], step: int, lr: float, check: bool = True, batch: bool = False,
               row: int = 0) -> StepTrace:
    """Train one step from params p, keeping every intermediate number of one example's pass: on XOR row
    step % 4 alone, or (``batch``) on the mean of the four rows' gradients, showing row ``row``."""
    i = row if batch else step % 4
    x, y = EXAMPLES[i]
    z1, a1, z2, a2 = _forward(p, x)
    loss = _bce(a2, y)
    # backward: each line is a local derivative, or the product of the error so far with one
    dL_da2 = -y / (a2 + EPS) + (1 - y) / (1 - a2 + EPS)
    da2_dz2 = a2 * (1 - a2)
    dL_dz2 = dL_da2 * da2_dz2
    grads = {"W2": dL_dz2 * a1, "b2": np.array(dL_dz2)}  # dz2/dW2_j = a1_j, dz2/db2 = 1
    dz2_da1 = p["W2"].copy()
    dL_da1 = dL_dz2 * dz2_da1
    da1_dz1 = a1 * (1 - a1)
    dL_dz1 = dL_da1 * da1_dz1
    grads["W1"] = np.outer(x, dL_dz1)  # dz1_j/dW1_ij = x_i
    grads["b1"] = dL_dz1.copy()
    rows = [grads if k == i else example_grads(p, *EXAMPLES[k]) for k in range(4)]
    used = {k: np.mean([g[k] for g in rows], axis=0) for k in grads} if batch else grads
    new = {k: v - lr * used[k] for k, v in p.items()}
    t = StepTrace(step=step, x=x, y=y, params={k: v.copy() for k, v in p.items()}, z1=z1, a1=a1, z2=z2, a2=a2,
                  loss=loss, dL_da2=dL_da2, da2_dz2=da2_dz2, dL_dz2=dL_dz2, dz2_da1=dz2_da1, dL_da1=dL_da1,
                  da1_dz1=da1_dz1, dL_dz1=dL_dz1, grads=grads, lr=lr, new_params=new,
                  new_loss=_bce(_forward(new, x)[3], y), mean_loss_before=mean_loss(p),
                  mean_loss_after=mean_loss(new), step_grads=used, row_grads=rows, batch=batch)
    if check:
        t.autograd = autograd_step(p, x, y)
    return t


def autograd_step(p: dict[str, np.ndarray], x: np.ndarray, y: float) -> dict[str, np.ndarray]:
    """The same step through torch autograd (float64): the loss, dL/d(every intermediate and weight)."""
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p.items()}
    xt = torch.tensor(x, dtype=torch.float64)
    z1 = xt @ tp["W1"] + tp["b1"]
    a1 = torch.sigmoid(z1)
    z2 = a1 @ tp["W2"] + tp["b2"]
    a2 = torch.sigmoid(z2)
    for t in (a1, z1, z2, a2):
        t.retain_grad()
    loss = -(y * torch.log(a2 + EPS) + (1 - y) * torch.log(1 - a2 + EPS))
    loss.backward()
    out = {"loss": loss.detach().numpy(), "dL/da2": a2.grad.numpy(), "dL/dz2": z2.grad.numpy(),
           "dL/da1": a1.grad.numpy(), "dL/dz1": z1.grad.numpy()}
    out.update({f"dL/d{k}": v.grad.numpy() for k, v in tp.items()})
    return out


def _replay(cfg: BackpropConfig, steps: int, losses: bool) -> tuple[dict[str, np.ndarray], list[tuple[int, float]]]:
    """The same updates as :func:`trace_step` without the bookkeeping (replaying thousands of steps);
    with cfg.batch, each step is the mean of the four rows' updates (the tutorial's full batch).

    Returns the weights after ``steps`` steps and, if asked, (step, mean loss over the four rows) after
    about 400 evenly spaced steps, always including the last.
    """
    every = max(1, steps // 400)
    p = initial_params(cfg.seed)
    W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], float(p["b2"])
    X = X_XOR.astype(np.float64)
    Y = Y_XOR.astype(np.float64)
    out: list[tuple[int, float]] = []
    lr = cfg.lr
    for s in range(steps):
        if cfg.batch:  # the four rows at once, their gradients averaged
            x, y = X, Y
        else:
            x, y = EXAMPLES[s % 4]
        a1 = _sigmoid(x @ W1 + b1)
        a2 = 1.0 / (1.0 + np.exp(-np.clip(a1 @ W2 + b2, -500, 500)))
        dz2 = (-y / (a2 + EPS) + (1 - y) / (1 - a2 + EPS)) * a2 * (1 - a2)
        dz1 = np.multiply.outer(dz2, W2) * a1 * (1 - a1)
        if cfg.batch:
            W2 = W2 - lr * (dz2 @ a1) / 4
            b2 = b2 - lr * float(dz2.mean())
            W1 = W1 - lr * (x.T @ dz1) / 4
            b1 = b1 - lr * dz1.mean(0)
        else:
            W2 = W2 - lr * dz2 * a1
            b2 = b2 - lr * dz2
            W1 = W1 - lr * np.outer(x, dz1)
            b1 = b1 - lr * dz1
        if losses and ((s + 1) % every == 0 or s + 1 == steps):
            A2 = _sigmoid(_sigmoid(X @ W1 + b1) @ W2 + b2)
            out.append((s + 1, float(-np.mean(Y * np.log(A2 + EPS) + (1 - Y) * np.log(1 - A2 + EPS)))))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": np.array(b2)}, out


def params_at(cfg: BackpropConfig) -> dict[str, np.ndarray]:
    """The weights after cfg.step steps (one example, or full batch) from the seeded start."""
    return _replay(cfg, cfg.step, losses=False)[0]


def loss_history(cfg: BackpropConfig) -> pd.DataFrame:
    """Mean loss over the four rows at the start and after steps up to this one (~400 points): step, mean_loss."""
    _, after = _replay(cfg, cfg.step + 1, losses=True)
    return pd.DataFrame([(0, mean_loss(initial_params(cfg.seed))), *after], columns=["step", "mean_loss"])


def run(cfg: BackpropConfig) -> StepTrace:
    """The trace of step cfg.step (the next update from where the walk-through stands)."""
    return trace_step(params_at(cfg), cfg.step, cfg.lr, batch=cfg.batch, row=cfg.row)


def weight_names() -> list[str]:
    """Every weight and bias: W1[i,j] (input i -> hidden j), b1[j], W2[j] (hidden j -> output), b2."""
    return ([f"W1[{i + 1},{j + 1}]" for i in range(2) for j in range(4)] + [f"b1[{j + 1}]" for j in range(4)]
            + [f"W2[{j + 1}]" for j in range(4)] + ["b2"])


def _locate(name: str) -> tuple[str, tuple[int, ...]]:
    """'W1[2,3]' -> ('W1', (1, 2)); 'b2' -> ('b2', ())."""
    if "[" not in name:
        return name, ()
    base, idx = name[:-1].split("[")
    return base, tuple(int(i) - 1 for i in idx.split(","))


def value_of(arrs: dict[str, np.ndarray], name: str) -> float:
    base, idx = _locate(name)
    return float(arrs[base][idx] if idx else arrs[base])


def chain_for(t: StepTrace, name: str) -> list[tuple[str, str, float]]:
    """The chain-rule factors of dL/d(name) at this step: (symbol, meaning, value), in order from the loss."""
    base, idx = _locate(name)
    f = [("\\frac{\\partial L}{\\partial a_2}", "loss w.r.t. the output", t.dL_da2),
         ("\\frac{\\partial a_2}{\\partial z_2}", "sigmoid slope a2(1-a2)", t.da2_dz2)]
    if base == "W2":
        j = idx[0]
        return f + [(f"\\frac{{\\partial z_2}}{{\\partial w^{{(2)}}_{{{j + 1}}}}}", f"hidden output a1[{j + 1}]",
                     float(t.a1[j]))]
    if base == "b2":
        return f + [("\\frac{\\partial z_2}{\\partial b_2}", "a bias adds 1 per unit", 1.0)]
    j = idx[-1]
    f += [(f"\\frac{{\\partial z_2}}{{\\partial a^{{(1)}}_{{{j + 1}}}}}", f"outgoing weight W2[{j + 1}]",
           float(t.dz2_da1[j])),
          (f"\\frac{{\\partial a^{{(1)}}_{{{j + 1}}}}}{{\\partial z^{{(1)}}_{{{j + 1}}}}}",
           f"sigmoid slope of hidden {j + 1}", float(t.da1_dz1[j]))]
    if base == "W1":
        i = idx[0]
        return f + [(f"\\frac{{\\partial z^{{(1)}}_{{{j + 1}}}}}{{\\partial w^{{(1)}}_{{{i + 1}{j + 1}}}}}",
                     f"input x{i + 1}", float(t.x[i]))]
    return f + [(f"\\frac{{\\partial z^{{(1)}}_{{{j + 1}}}}}{{\\partial b^{{(1)}}_{{{j + 1}}}}}",
                 "a bias adds 1 per unit", 1.0)]


def latex_symbol(name: str) -> str:
    base, idx = _locate(name)
    if base == "W1":
        return f"w^{{(1)}}_{{{idx[0] + 1}{idx[1] + 1}}}"
    if base == "W2":
        return f"w^{{(2)}}_{{{idx[0] + 1}}}"
    if base == "b1":
        return f"b^{{(1)}}_{{{idx[0] + 1}}}"
    return "b_2"


def chain_latex(t: StepTrace, name: str) -> str:
    """dL/dw = factor · factor · ... = numbers = gradient, for the weight ``name`` at this step."""
    factors = chain_for(t, name)
    sym = latex_symbol(name)
    prod = float(np.prod([v for _, _, v in factors])) + 0.0  # + 0.0: no "-0"
    return ("\\begin{aligned}" + f"\\frac{{\\partial L}}{{\\partial {sym}}} &= "
            + " \\cdot ".join(s for s, _, _ in factors)
            + " \\\\ &= " + " \\cdot ".join(f"({v:.6g})" for _, _, v in factors) + f" = {prod:.6g}"
            + "\\end{aligned}")


# ---- tables for the page ------------------------------------------------------------------------
def forward_table(t: StepTrace) -> pd.DataFrame:
    """Forward values in order: quantity, formula, value."""
    rows = [(f"x{i + 1}", "input", float(t.x[i])) for i in range(2)]
    for j in range(4):
        rows.append((f"z1[{j + 1}]", f"x1·W1[1,{j + 1}] + x2·W1[2,{j + 1}] + b1[{j + 1}]", float(t.z1[j])))
        rows.append((f"a1[{j + 1}]", f"sigmoid(z1[{j + 1}])", float(t.a1[j])))
    rows += [("z2", "Σ a1[j]·W2[j] + b2", t.z2), ("a2", "sigmoid(z2): the prediction", t.a2),
             ("y", "target", t.y), ("L", "-(y·log(a2+ε) + (1-y)·log(1-a2+ε))", t.loss)]
    return pd.DataFrame(rows, columns=["quantity", "formula", "value"])


def backward_table(t: StepTrace) -> pd.DataFrame:
    """The error flowing back: quantity, how (upstream × local), upstream, local, value, autograd, |diff|."""
    ag = t.autograd
    rows = [("dL/da2", "-y/(a2+ε) + (1-y)/(1-a2+ε)", np.nan, np.nan, t.dL_da2, float(ag["dL/da2"])),
            ("dL/dz2", "dL/da2 × a2(1-a2)", t.dL_da2, t.da2_dz2, t.dL_dz2, float(ag["dL/dz2"]))]
    for j in range(4):
        rows.append((f"dL/da1[{j + 1}]", f"dL/dz2 × W2[{j + 1}]", t.dL_dz2, float(t.dz2_da1[j]),
                     float(t.dL_da1[j]), float(ag["dL/da1"][j])))
    for j in range(4):
        rows.append((f"dL/dz1[{j + 1}]", f"dL/da1[{j + 1}] × a1[{j + 1}](1-a1[{j + 1}])", float(t.dL_da1[j]),
                     float(t.da1_dz1[j]), float(t.dL_dz1[j]), float(ag["dL/dz1"][j])))
    df = pd.DataFrame(rows, columns=["quantity", "chain rule", "upstream", "local derivative", "value", "autograd"])
    df["|diff|"] = (df["value"] - df["autograd"]).abs()
    return df


def gradient_table(t: StepTrace) -> pd.DataFrame:
    """Every weight: name, value, gradient (hand, this example), autograd, |diff|, [full batch: the mean
    gradient over the four rows], update -lr·grad (of the gradient the step uses), new value."""
    rows = []
    for n in weight_names():
        base, idx = _locate(n)
        g = value_of(t.grads, n)
        a = float(t.autograd[f"dL/d{base}"][idx]) if idx else float(t.autograd[f"dL/d{base}"])
        used = value_of(t.step_grads, n)
        rows.append((n, value_of(t.params, n), g, a, abs(g - a), used, -t.lr * used, value_of(t.new_params, n)))
    df = pd.DataFrame(rows, columns=["weight", "value", "gradient", "autograd", "|diff|", "mean of 4 rows",
                                     "update (-lr·grad)", "new value"])
    if t.batch:
        return df.rename(columns={"gradient": "gradient (this row)", "update (-lr·grad)": "update (-lr·mean)"})
    return df.drop(columns="mean of 4 rows")
