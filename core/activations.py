"""Registry of activation functions: name -> torch function, parameters, range, use and gotcha.

Each entry builds an elementwise torch function ``f(x: Tensor) -> Tensor`` from its parameters.
Derivatives are never typed in: they come from autograd (:func:`derivative`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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

#: Activations a hidden layer may use in the trainers (elementwise and trainable by gradient).
HIDDEN = tuple(n for n, a in REGISTRY.items() if a.elementwise and n != "step")


def get(name: str, **params: float) -> Fn:
    """The torch function for a registered activation name."""
    if name not in REGISTRY:
        raise KeyError(f"unknown activation {name!r}; known: {', '.join(REGISTRY)}")
    return REGISTRY[name].fn(**params)


def derivative(fn: Fn, x: torch.Tensor) -> torch.Tensor:
    """d fn(x) / dx elementwise, from autograd. x: [N] -> [N]."""
    x = x.detach().clone().requires_grad_(True)
    y = fn(x)
    (g,) = torch.autograd.grad(y.sum(), x, allow_unused=True)
    return torch.zeros_like(x) if g is None else g.detach()
