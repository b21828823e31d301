"""The neuron's maths: its weighted sum and activation (the engine registry's function, not a copy), the
same neuron as a perceptron (Step) on a gate's truth table, and gradient descent on one neuron, which
shows why training needs a slope (Step gives autograd nothing to follow)."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.engine import activations as acts
from core.neuron.config import NeuronConfig

STEP = "step"


@dataclass(frozen=True)
class Neuron:
    """One neuron evaluated: inputs, weights, their products, z = w·x + b and a = activation(z)."""

    activation: str
    x: tuple[float, ...]
    w: tuple[float, ...]
    b: float
    z: float
    a: float

    @property
    def label(self) -> str:
        """The activation's label in the registry ('Sigmoid')."""
        return acts.REGISTRY[self.activation].label

    @property
    def products(self) -> tuple[float, ...]:
        """w_i * x_i, each input's push on the sum."""
        return tuple(wi * xi for wi, xi in zip(self.w, self.x))


def activate(name: str, z: float) -> float:
    """activation(z) through the registry's torch function (float64)."""
    return float(acts.get(name)(torch.tensor([z], dtype=torch.float64))[0])


def evaluate(cfg: NeuronConfig, activation: str | None = None) -> Neuron:
    """The neuron at cfg (or with another activation: Step makes it the perceptron)."""
    name = activation or cfg.activation
    z = float(np.dot(cfg.w, cfg.x) + cfg.b)
    return Neuron(name, cfg.x, cfg.w, cfg.b, z, activate(name, z))


def _num(v: float) -> str:
    return f"({v:g})" if v < 0 else f"{v:g}"


def formula(n: Neuron) -> str:
    """'sigmoid(0.6·1 + 0.4·0.5 + (-0.7)) = sigmoid(0.1) = 0.525', the general formula with the numbers in."""
    name = n.activation.replace("_", " ")
    terms = " + ".join(f"{_num(wi)}·{_num(xi)}" for wi, xi in zip(n.w, n.x))
    return f"{name}({terms} + {_num(n.b)}) = {name}({n.z:.4g}) = {n.a:.4g}"


# ---- the perceptron: the same neuron with Step, on a gate's truth table ---------------------------------
GATES = {"AND": all, "OR": any}


def truth_table(cfg: NeuronConfig) -> pd.DataFrame:
    """Every 0/1 input row with the perceptron's output step(w·x + b) and the AND and OR targets."""
    rows = []
    for bits in itertools.product((0.0, 1.0), repeat=cfg.inputs):
        z = float(np.dot(cfg.w, bits) + cfg.b)
        row = {f"x{i + 1}": int(v) for i, v in enumerate(bits)}
        row.update(z=z, output=int(activate(STEP, z)))
        row.update({g: int(f(v > 0 for v in bits)) for g, f in GATES.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def gate_scores(table: pd.DataFrame) -> dict[str, int]:
    """Rows of the truth table the perceptron gets right, per gate."""
    return {g: int((table["output"] == table[g]).sum()) for g in GATES}


# ---- gradient descent on one neuron: why training needs a slope ------------------------------------------
AND_X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
AND_Y = torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=torch.float64)


@functools.cache
def descend(activation: str, steps: int = 50, lr: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """One 2-input neuron trained on AND by gradient descent on the squared error, gradients from autograd.

    Same start for every activation (weights randn*0.5 from ``seed``, bias 0). Returns step, loss,
    grad_norm (of the weights and bias) and errors (rows wrong, output thresholded at 0.5), before each step
    and after the last. A function with no slope (Step) builds no graph: its gradient is 0. Cached
    (a pure function of its arguments): do not modify the frame it returns.
    """
    g = torch.Generator().manual_seed(seed)
    w = (torch.randn(2, generator=g, dtype=torch.float64) * 0.5).requires_grad_(True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    fn = acts.get(activation)
    rows = []
    for k in range(steps + 1):
        out = fn(AND_X @ w + b)
        loss = ((out - AND_Y) ** 2).mean()
        if loss.requires_grad:
            gw, gb = torch.autograd.grad(loss, (w, b))
        else:  # no graph: nothing for gradient descent to follow
            gw, gb = torch.zeros_like(w), torch.zeros_like(b)
        norm = float(torch.sqrt((gw ** 2).sum() + (gb ** 2).sum()))
        errors = int(((out.detach() > 0.5).double() != AND_Y).sum())
        rows.append({"step": k, "loss": float(loss.detach()), "grad_norm": norm, "errors": errors})
        if k < steps:
            with torch.no_grad():
                w -= lr * gw
                b -= lr * gb
    return pd.DataFrame(rows)


def descend_all(names: tuple[str, ...], steps: int = 50, lr: float = 0.5, seed: int = 0) -> dict[str, pd.DataFrame]:
    """:func:`descend` for each elementwise name, from the same start."""
    return {n: descend(n, steps, lr, seed) for n in names if acts.REGISTRY[n].elementwise}
