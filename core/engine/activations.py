"""Registry of activation functions: name -> torch function, parameters, range, use and gotcha.

Each entry builds an elementwise torch function ``f(x: Tensor) -> Tensor`` from its parameters
(softmax, the one exception, acts on a vector of logits). Derivatives are never typed in: they
come from autograd (:func:`derivative`). :func:`properties` and :func:`table` compute what the
tutorial's table states by hand: the largest slope, where the function saturates, whether its
output is zero-centred.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

Fn = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class ParamSpec:
    """A tunable parameter of an activation, e.g. Leaky ReLU's alpha."""

    name: str
    default: float
    lo: float
    hi: float
    help: str = ""


@dataclass(frozen=True)
class Activation:
    """One registered activation: how to build it and what to know about it."""

    name: str
    label: str
    factory: Callable[..., Fn]
    out_range: str
    use: str
    gotcha: str
    params: tuple[ParamSpec, ...] = field(default=())
    elementwise: bool = True
    #: params -> (lowest, highest) output value, used by tests to check the stated range holds
    bounds: Callable[..., tuple[float, float]] | None = None

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


def _step(x: torch.Tensor) -> torch.Tensor:
    return (x > 0).to(x.dtype)


def _hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return F.hardsigmoid(x)


def _softmax_t(temperature: float) -> Fn:
    return lambda x: torch.softmax(x / temperature, dim=-1)


REGISTRY: dict[str, Activation] = {}


def _reg(a: Activation) -> None:
    REGISTRY[a.name] = a


_reg(Activation("step", "Step", lambda: _step, "{0, 1}", "the original perceptron's output",
                "zero derivative almost everywhere: gradient descent cannot train it"))
_reg(Activation("identity", "Identity", lambda: (lambda x: x), "(-inf, inf)", "regression outputs",
                "stacked linear layers collapse into one linear map"))
_reg(Activation("sigmoid", "Sigmoid", lambda: torch.sigmoid, "(0, 1)", "binary output probability",
                "saturates: the derivative is at most 0.25, so gradients vanish in deep stacks"))
_reg(Activation("tanh", "Tanh", lambda: torch.tanh, "(-1, 1)", "zero-centred hidden layers, RNNs",
                "saturates for |x| > 3: gradients vanish in depth too"))
_reg(Activation("relu", "ReLU", lambda: torch.relu, "[0, inf)", "the default for hidden layers",
                "units with negative input for every example die: zero output, zero gradient"))
_reg(Activation("leaky_relu", "Leaky ReLU", lambda alpha: (lambda x: F.leaky_relu(x, alpha)),
                "(-inf, inf)", "hidden layers where ReLU units die",
                "alpha is one more thing to choose", (ParamSpec("alpha", 0.01, 0.0, 1.0, "slope for x < 0"),)))
_reg(Activation("elu", "ELU", lambda alpha: (lambda x: F.elu(x, alpha)), "(-alpha, inf)",
                "hidden layers; smooth, mean activations nearer zero", "exp makes it slower than ReLU",
                (ParamSpec("alpha", 1.0, 0.01, 5.0, "value approached for very negative x"),)))
_reg(Activation("selu", "SELU", lambda: F.selu, "(-1.76, inf)", "self-normalising deep MLPs (LeCun init)",
                "keeps its promise only with LeCun-normal init and no batch norm"))
_reg(Activation("gelu", "GELU", lambda: F.gelu, "[-0.17, inf)", "transformers; a smooth ReLU",
                "slightly costlier; not monotonic near -0.75"))
_reg(Activation("silu", "SiLU / Swish", lambda: F.silu, "[-0.28, inf)", "deep CNNs and MLPs; smooth ReLU",
                "not monotonic; costs an exp"))
_reg(Activation("mish", "Mish", lambda: F.mish, "[-0.31, inf)", "vision models; smooth, self-gated",
                "the most expensive of the ReLU family"))
_reg(Activation("softplus", "Softplus", lambda beta: (lambda x: F.softplus(x, beta)), "(0, inf)",
                "a smooth ReLU; positive outputs such as variances", "never exactly zero, saturates to linear",
                (ParamSpec("beta", 1.0, 0.1, 20.0, "sharpness; large beta approaches ReLU"),)))
_reg(Activation("softsign", "Softsign", lambda: F.softsign, "(-1, 1)", "a gentler tanh",
                "polynomial tails: saturates slowly but still saturates"))
_reg(Activation("hard_sigmoid", "Hard sigmoid", lambda: _hard_sigmoid, "[0, 1]",
                "cheap sigmoid on mobile hardware", "flat outside [-3, 3]: zero gradient there"))
_reg(Activation("hard_tanh", "Hard tanh", lambda: F.hardtanh, "[-1, 1]", "cheap tanh",
                "flat outside [-1, 1]: zero gradient there"))
_reg(Activation("softmax", "Softmax", _softmax_t, "(0, 1), sums to 1",
                "multi-class output layer only", "not elementwise; a high temperature flattens it",
                (ParamSpec("temperature", 1.0, 0.05, 20.0, "divides the logits"),), elementwise=False))

_INF = float("inf")
_SELU_LOW = -1.0507009873554805 * 1.6732632423543772  # -scale * alpha
# (lowest, highest) output for given parameters; min of GELU/SiLU/Mish from their known minima
_BOUNDS: dict[str, Callable[..., tuple[float, float]]] = {
    "step": lambda: (0.0, 1.0),
    "identity": lambda: (-_INF, _INF),
    "sigmoid": lambda: (0.0, 1.0),
    "tanh": lambda: (-1.0, 1.0),
    "relu": lambda: (0.0, _INF),
    "leaky_relu": lambda alpha: (-_INF if alpha > 0 else 0.0, _INF),
    "elu": lambda alpha: (-alpha, _INF),
    "selu": lambda: (_SELU_LOW, _INF),
    "gelu": lambda: (-0.170, _INF),
    "silu": lambda: (-0.279, _INF),
    "mish": lambda: (-0.309, _INF),
    "softplus": lambda beta: (0.0, _INF),
    "softsign": lambda: (-1.0, 1.0),
    "hard_sigmoid": lambda: (0.0, 1.0),
    "hard_tanh": lambda: (-1.0, 1.0),
    "softmax": lambda temperature: (0.0, 1.0),
}
for _name, _b in _BOUNDS.items():
    REGISTRY[_name] = dataclasses.replace(REGISTRY[_name], bounds=_b)

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
