"""Registry of activation functions: one entry per function, holding everything the code needs of it.

An entry is a function's single source of truth: its torch function (built from its parameters),
its range, what it is for and what to watch out for, and what the trainer and the exports need:
torch's own forward and derivative kernels for the manual backprop (:class:`Kernels`), a relative
cost estimate, and its ``torch.nn`` module for a standalone script. Adding an activation is one
``_reg(...)`` call here (plus its tests).

Each entry builds an elementwise torch function ``f(x: Tensor) -> Tensor`` from its parameters
(softmax, the one exception, acts on a vector of logits). Derivatives for explaining and plotting
come from autograd (:func:`derivative`); the kernels are torch's own (what autograd itself calls),
and a test checks them against autograd. :func:`properties` and :func:`table` compute what the
tutorial's table states by hand: the largest slope, where the function saturates, whether its
output is zero-centred.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

Fn = Callable[[torch.Tensor], torch.Tensor]
Bounds = Callable[..., tuple[float, float]]


@dataclass(frozen=True)
class ParamSpec:
    """A tunable parameter of an activation, e.g. Leaky ReLU's alpha."""

    name: str
    default: float
    lo: float
    hi: float
    help: str = ""


@dataclass(frozen=True)
class Kernels:
    """torch's own kernels for one activation at its default parameters, writing into given buffers.

    The trainer's manual backprop calls these on preallocated tensors so a step allocates almost
    nothing: ``forward(z, out)`` writes out = f(z); ``backward(g, z, a, out)`` writes
    out = g * f'(z), given the upstream gradient g, the pre-activation z and the activation a = f(z)
    (all [K, B, H]). ``from_output``: backward reads only a, never z, so a may overwrite z.
    """

    forward: Callable[[torch.Tensor, torch.Tensor], Any]
    backward: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], Any]
    from_output: bool = False


@dataclass(frozen=True)
class Activation:
    """One registered activation: how to build it, what to know about it, how to train and export it."""

    name: str
    label: str
    factory: Callable[..., Fn]
    out_range: str
    use: str
    gotcha: str
    #: params -> (lowest, highest) output value: the stated range, checked by the tests
    bounds: Bounds
    params: tuple[ParamSpec, ...] = field(default=())
    elementwise: bool = True
    #: the manual-backprop kernels; None: the trainer takes the autograd path for it
    kernels: Kernels | None = None
    #: rough cost of its forward + backward per model, relative to the matrix products of a model's
    #: step (measured on the Activation Explorer's stack): used only to balance shards
    cost: float = 1.0
    #: the torch.nn module at the default parameters, as code (``nn.`` prefix): exported scripts use it
    module: str | None = None

    def values(self, **params: float) -> dict[str, float]:
        """This entry's parameters with defaults filled in (unknown names are ignored)."""
        out = {p.name: p.default for p in self.params}
        out.update({k: v for k, v in params.items() if k in out})
        return out

    def fn(self, **params: float) -> Fn:
        """The torch function with the given parameters (defaults for the rest)."""
        values = {p.name: p.default for p in self.params}
        values.update(params)
        for p in self.params:
            v = values[p.name]
            if not p.lo <= v <= p.hi:
                raise ValueError(f"{self.label} {p.name}={v:g} is outside {p.lo:g} to {p.hi:g}")
        return self.factory(**values)

    @property
    def symmetric(self) -> bool:
        """Its output range (at the defaults) is a bounded interval centred on 0, like tanh's (-1, 1)."""
        lo, hi = self.bounds(**self.values())
        return math.isfinite(hi) and lo == -hi


def _step(x: torch.Tensor) -> torch.Tensor:
    return (x > 0).to(x.dtype)


def _hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return F.hardsigmoid(x)


def _softmax_t(temperature: float) -> Fn:
    return lambda x: torch.softmax(x / temperature, dim=-1)


_aten = torch.ops.aten
_INF = float("inf")
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805

REGISTRY: dict[str, Activation] = {}


def _reg(a: Activation) -> None:
    REGISTRY[a.name] = a


# One entry per function. Kernels are what autograd calls for the torch function (at the default
# parameters); bounds' minima for GELU/SiLU/Mish are their known minima.
_reg(Activation(
    "step", "Step", lambda: _step, "{0, 1}", "the original perceptron's output",
    "zero derivative almost everywhere: gradient descent cannot train it",
    bounds=lambda: (0.0, 1.0)))
_reg(Activation(
    "identity", "Identity", lambda: (lambda x: x), "(-inf, inf)", "regression outputs",
    "stacked linear layers collapse into one linear map",
    bounds=lambda: (-_INF, _INF), cost=0.05, module="nn.Identity()",
    kernels=Kernels(lambda z, out: out.copy_(z),
                    lambda g, z, a, out: out.copy_(g), from_output=True)))
_reg(Activation(
    "sigmoid", "Sigmoid", lambda: torch.sigmoid, "(0, 1)", "binary output probability",
    "saturates: the derivative is at most 0.25, so gradients vanish in deep stacks",
    bounds=lambda: (0.0, 1.0), cost=0.3, module="nn.Sigmoid()",
    kernels=Kernels(lambda z, out: torch.sigmoid(z, out=out),
                    lambda g, z, a, out: _aten.sigmoid_backward.grad_input(g, a, grad_input=out),
                    from_output=True)))
_reg(Activation(
    "tanh", "Tanh", lambda: torch.tanh, "(-1, 1)", "zero-centred hidden layers, RNNs",
    "saturates for |x| > 3: gradients vanish in depth too",
    bounds=lambda: (-1.0, 1.0), cost=0.5, module="nn.Tanh()",
    kernels=Kernels(lambda z, out: torch.tanh(z, out=out),
                    lambda g, z, a, out: _aten.tanh_backward.grad_input(g, a, grad_input=out),
                    from_output=True)))
_reg(Activation(
    "relu", "ReLU", lambda: torch.relu, "[0, inf)", "the default for hidden layers",
    "units with negative input for every example die: zero output, zero gradient",
    bounds=lambda: (0.0, _INF), cost=0.1, module="nn.ReLU()",
    kernels=Kernels(lambda z, out: torch.clamp_min(z, 0.0, out=out),  # what torch.relu computes
                    lambda g, z, a, out: _aten.threshold_backward.grad_input(g, a, 0, grad_input=out),
                    from_output=True)))
_reg(Activation(
    "leaky_relu", "Leaky ReLU", lambda alpha: (lambda x: F.leaky_relu(x, alpha)), "(-inf, inf)",
    "hidden layers where ReLU units die", "alpha is one more thing to choose",
    params=(ParamSpec("alpha", 0.01, 0.0, 1.0, "slope for x < 0"),),
    bounds=lambda alpha: (-_INF if alpha > 0 else 0.0, _INF), cost=0.15, module="nn.LeakyReLU(0.01)",
    kernels=Kernels(
        lambda z, out: _aten.leaky_relu.out(z, 0.01, out=out),
        lambda g, z, a, out: _aten.leaky_relu_backward.grad_input(g, z, 0.01, False, grad_input=out))))
_reg(Activation(
    "elu", "ELU", lambda alpha: (lambda x: F.elu(x, alpha)), "(-alpha, inf)",
    "hidden layers; smooth, mean activations nearer zero", "exp makes it slower than ReLU",
    params=(ParamSpec("alpha", 1.0, 0.01, 5.0, "value approached for very negative x"),),
    bounds=lambda alpha: (-alpha, _INF), cost=0.8, module="nn.ELU()",
    kernels=Kernels(
        lambda z, out: _aten.elu.out(z, 1.0, 1, 1, out=out),
        lambda g, z, a, out: _aten.elu_backward.grad_input(g, 1.0, 1, 1, False, z, grad_input=out))))
_reg(Activation(
    "selu", "SELU", lambda: F.selu, "(-1.76, inf)", "self-normalising deep MLPs (LeCun init)",
    "keeps its promise only with LeCun-normal init and no batch norm",
    bounds=lambda: (-_SELU_SCALE * _SELU_ALPHA, _INF), cost=0.8, module="nn.SELU()",
    kernels=Kernels(  # what torch.selu computes: a scaled ELU
        lambda z, out: _aten.elu.out(z, _SELU_ALPHA, _SELU_SCALE, 1, out=out),
        lambda g, z, a, out: _aten.elu_backward.grad_input(g, _SELU_ALPHA, _SELU_SCALE, 1, False, z,
                                                           grad_input=out))))
_reg(Activation(
    "gelu", "GELU", lambda: F.gelu, "[-0.17, inf)", "transformers; a smooth ReLU",
    "slightly costlier; not monotonic near -0.75",
    bounds=lambda: (-0.170, _INF), cost=1.0, module="nn.GELU()",
    kernels=Kernels(lambda z, out: _aten.gelu.out(z, out=out),
                    lambda g, z, a, out: _aten.gelu_backward.grad_input(g, z, grad_input=out))))
_reg(Activation(
    "silu", "SiLU / Swish", lambda: F.silu, "[-0.28, inf)", "deep CNNs and MLPs; smooth ReLU",
    "not monotonic; costs an exp",
    bounds=lambda: (-0.279, _INF), cost=0.5, module="nn.SiLU()",
    kernels=Kernels(lambda z, out: _aten.silu.out(z, out=out),
                    lambda g, z, a, out: _aten.silu_backward.grad_input(g, z, grad_input=out))))
_reg(Activation(
    "mish", "Mish", lambda: F.mish, "[-0.31, inf)", "vision models; smooth, self-gated",
    "the most expensive of the ReLU family",
    bounds=lambda: (-0.309, _INF), cost=1.2, module="nn.Mish()",
    kernels=Kernels(lambda z, out: _aten.mish.out(z, out=out),
                    lambda g, z, a, out: out.copy_(_aten.mish_backward(g, z)))))  # no out= variant
_reg(Activation(
    "softplus", "Softplus", lambda beta: (lambda x: F.softplus(x, beta)), "(0, inf)",
    "a smooth ReLU; positive outputs such as variances",
    "never exactly zero; saturates on the left (slope to 0), linear on the right (slope to 1)",
    params=(ParamSpec("beta", 1.0, 0.1, 20.0, "sharpness; large beta approaches ReLU"),),
    bounds=lambda beta: (0.0, _INF), cost=1.0, module="nn.Softplus()",
    kernels=Kernels(
        lambda z, out: _aten.softplus.out(z, 1.0, 20.0, out=out),
        lambda g, z, a, out: _aten.softplus_backward.grad_input(g, z, 1.0, 20.0, grad_input=out))))
_reg(Activation(
    "softsign", "Softsign", lambda: F.softsign, "(-1, 1)", "a gentler tanh",
    "polynomial tails: saturates slowly but still saturates",
    bounds=lambda: (-1.0, 1.0), cost=1.0, module="nn.Softsign()",
    kernels=Kernels(  # composite in torch (z / (1 + |z|)): the same ops here
        lambda z, out: torch.div(z, torch.abs(z, out=out).add_(1.0), out=out),
        lambda g, z, a, out: torch.div(g, torch.abs(z, out=out).add_(1.0).square_(), out=out))))
_reg(Activation(
    "hard_sigmoid", "Hard sigmoid", lambda: _hard_sigmoid, "[0, 1]",
    "cheap sigmoid on mobile hardware", "flat outside [-3, 3]: zero gradient there",
    bounds=lambda: (0.0, 1.0), cost=0.2, module="nn.Hardsigmoid()",
    kernels=Kernels(lambda z, out: _aten.hardsigmoid.out(z, out=out),
                    lambda g, z, a, out: _aten.hardsigmoid_backward.grad_input(g, z, grad_input=out))))
_reg(Activation(
    "hard_tanh", "Hard tanh", lambda: F.hardtanh, "[-1, 1]", "cheap tanh",
    "flat outside [-1, 1]: zero gradient there",
    bounds=lambda: (-1.0, 1.0), cost=0.15, module="nn.Hardtanh()",
    kernels=Kernels(
        lambda z, out: _aten.hardtanh.out(z, -1.0, 1.0, out=out),
        lambda g, z, a, out: _aten.hardtanh_backward.grad_input(g, z, -1.0, 1.0, grad_input=out))))
_reg(Activation(
    "softmax", "Softmax", _softmax_t, "(0, 1), sums to 1",
    "multi-class output layer only", "not elementwise; a high temperature flattens it",
    params=(ParamSpec("temperature", 1.0, 0.05, 20.0, "divides the logits"),), elementwise=False,
    bounds=lambda temperature: (0.0, 1.0)))

#: Activations a hidden layer may use in the trainers (elementwise and trainable by gradient).
HIDDEN = tuple(n for n, a in REGISTRY.items() if a.elementwise and n != "step")
#: Every elementwise entry (what the curve plots can draw).
ELEMENTWISE = tuple(n for n, a in REGISTRY.items() if a.elementwise)
SATURATED = 0.01  # a derivative below this counts as saturated


def get(name: str, **params: float) -> Fn:
    """The torch function for a registered activation name."""
    if name not in REGISTRY:
        raise KeyError(f"unknown activation {name!r}; known: {', '.join(REGISTRY)}")
    return REGISTRY[name].fn(**params)


def derivative(fn: Fn, x: torch.Tensor) -> torch.Tensor:
    """d fn(x) / dx elementwise, from autograd. x: [N] -> [N]."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        y = fn(x)
        if not y.requires_grad:  # a piecewise-constant function (step): no graph, slope 0
            return torch.zeros_like(x).detach()
        (g,) = torch.autograd.grad(y.sum(), x, allow_unused=True)
    return torch.zeros_like(x).detach() if g is None else g.detach()


def softmax_jacobian(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """d softmax(z / T)_i / d z_j from autograd: logits [n] -> [n, n]."""
    fn = REGISTRY["softmax"].fn(temperature=temperature)
    return torch.autograd.functional.jacobian(fn, logits.detach().double())


# ---- computed properties (the tutorial's table, measured instead of stated) ------------------


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges [i, j] (inclusive) where mask is True."""
    runs, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(mask) - 1))
    return runs


def describe_runs(x: np.ndarray, mask: np.ndarray) -> str:
    """Where mask holds on the grid x, in words: 'x ≤ -4.6 and x ≥ 4.6', 'nowhere', 'everywhere'."""
    x = np.where(np.abs(x) < 1e-9 * max(1.0, float(np.abs(x).max())), 0.0, x)  # grid noise at 0
    runs = _runs(mask)
    if not runs:
        return "nowhere in range"
    if runs == [(0, len(x) - 1)]:
        return "everywhere in range"
    parts = []
    for i, j in runs:
        if i == 0:
            parts.append(f"x ≤ {x[j]:.3g}")
        elif j == len(x) - 1:
            parts.append(f"x ≥ {x[i]:.3g}")
        elif i == j:
            parts.append(f"x ≈ {x[i]:.3g}")
        else:
            parts.append(f"{x[i]:.3g} ≤ x ≤ {x[j]:.3g}")
    return " and ".join(parts)


def normal_mean(fn: Fn, n: int = 4001) -> float:
    """E[f(x)] for x ~ N(0, 1), by quadrature on [-8, 8] (float64)."""
    x = torch.linspace(-8, 8, n, dtype=torch.float64)
    w = torch.exp(-x * x / 2)
    w = w / w.sum()
    with torch.no_grad():
        return float((fn(x) * w).sum())


def properties(name: str, x_min: float = -6.0, x_max: float = 6.0, n: int = 2001,
               logits: tuple[float, ...] = (2.0, 1.0, 0.1, -1.0), **params: float) -> dict[str, object]:
    """Measured properties of one entry over [x_min, x_max] (float64, derivatives from autograd).

    Returns max_slope (largest |f'|), max_slope_at (its x), saturates (where |f'| < 0.01, in words),
    mean_normal (E f(x) for x ~ N(0,1)), zero_centred (|mean_normal| < 0.05). Softmax is measured on
    the given logits: its largest Jacobian entry; saturation and mean are not defined for it.
    """
    a = REGISTRY[name]
    vals = a.values(**params)
    fn = a.fn(**vals)
    if not a.elementwise:
        jac = softmax_jacobian(torch.tensor(logits, dtype=torch.float64), **vals).abs()
        p = fn(torch.tensor(logits, dtype=torch.float64))
        return {"max_slope": float(jac.max()), "max_slope_at": float("nan"),
                "saturates": "not elementwise: see the softmax tab", "mean_normal": float(p.mean()),
                "zero_centred": False}
    x = torch.linspace(x_min, x_max, n, dtype=torch.float64)
    d = derivative(fn, x).abs().numpy()
    d = np.where(np.isfinite(d), d, np.inf)
    i = int(np.argmax(d))
    mean = normal_mean(fn)
    return {"max_slope": float(d[i]), "max_slope_at": float(x[i]),
            "saturates": describe_runs(x.numpy(), d < SATURATED), "mean_normal": mean,
            "zero_centred": abs(mean) < 0.05}


def table(names: tuple[str, ...], params: dict[str, dict[str, float]] | None = None, x_min: float = -6.0,
          x_max: float = 6.0, logits: tuple[float, ...] = (2.0, 1.0, 0.1, -1.0)) -> pd.DataFrame:
    """The tutorial's table for the chosen entries, plus measured columns (see :func:`properties`).

    params: name -> {param: value}. One row per name, in order.
    """
    params = params or {}
    rows = []
    for name in names:
        a = REGISTRY[name]
        vals = a.values(**params.get(name, {}))
        p = properties(name, x_min, x_max, logits=logits, **vals)
        shown = ", ".join(f"{k}={v:g}" for k, v in vals.items())
        rows.append({
            "function": a.label + (f" ({shown})" if shown else ""),
            "output range": a.out_range,
            "largest slope": round(p["max_slope"], 4),
            "saturates (|slope| < 0.01)": p["saturates"],
            "zero-centred": "yes" if p["zero_centred"] else "no",
            "mean output, N(0,1) input": round(p["mean_normal"], 3),
            "use": a.use,
            "gotcha": a.gotcha,
        })
    return pd.DataFrame(rows)
