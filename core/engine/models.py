"""Model builders: an MLP from a spec (torch), and the tutorial's perceptron (NumPy).

The torch MLP here is the single-model reference; :mod:`core.engine.trainer` trains stacks of such MLPs at
once, starting from exactly the weights :func:`build_mlp` makes for each seed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from core.engine import activations

INITS = ("default", "xavier", "he", "lecun", "small")


class Act(nn.Module):
    """An elementwise activation from the registry as an nn.Module."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.fn = activations.get(name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name


def init_linear(layer: nn.Linear, scheme: str, activation: str) -> None:
    """Re-initialise one layer: default (torch's), xavier, he, lecun, or small (randn*0.5, bias 0)."""
    if scheme == "default":
        return
    w = layer.weight
    with torch.no_grad():
        if scheme == "xavier":
            gain = nn.init.calculate_gain("tanh") if activation == "tanh" else 1.0
            nn.init.xavier_uniform_(w, gain=gain)
        elif scheme == "he":
            nn.init.kaiming_normal_(w, nonlinearity="relu")
        elif scheme == "lecun":
            nn.init.normal_(w, 0.0, layer.in_features ** -0.5)
        elif scheme == "small":  # the tutorial's NumPy network: randn * 0.5
            w.normal_(0.0, 0.5)
        else:
            raise ValueError(f"unknown init {scheme!r}; known: {', '.join(INITS)}")
        layer.bias.zero_()


_SEED_LOCK = threading.RLock()


def build_mlp(n_in: int, hidden: tuple[int, ...], n_out: int, activation: str = "relu",
              init: str = "default", dropout: float = 0.0, seed: int | None = None) -> nn.Sequential:
    """Linear/activation(/dropout) blocks then a final Linear producing logits: [B, n_in] -> [B, n_out].

    With ``seed`` the weights are those of ``torch.manual_seed(seed)`` followed by this call.
    Layer names follow nn.Sequential ("0.weight", ...), so state dicts load into it directly.
    """
    if seed is not None:
        with _SEED_LOCK:  # torch's global generator: one seeded build at a time (server sessions, shards)
            # the CPU generator is what torch.manual_seed(seed) sets for these weights; seeding only it
            # skips torch's lazy CUDA/XPU/MTIA seeding, which records a stack trace per call (a fifth
            # of the XOR Lab's 100-seed run)
            torch.default_generator.manual_seed(seed)
            return build_mlp(n_in, hidden, n_out, activation, init, dropout)
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        lin = nn.Linear(width, h)
        init_linear(lin, init, activation)
        layers += [lin, Act(activation)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    out = nn.Linear(width, n_out)
    init_linear(out, init, activation)
    layers.append(out)
    return nn.Sequential(*layers)


def linear_layers(model: nn.Sequential) -> list[nn.Linear]:
    """The Linear layers of a built MLP, input to output."""
    return [m for m in model if isinstance(m, nn.Linear)]


# ---- the perceptron ---------------------------------------------------------------------------

@dataclass
class PerceptronHistory:
    """What the perceptron did: weights [E+1, 2], bias [E+1], errors [E] per epoch."""

    weights: list[np.ndarray] = field(default_factory=list)
    bias: list[float] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        return bool(self.errors) and self.errors[-1] == 0


class Perceptron:
    """Rosenblatt's perceptron: step output (z > 0), rule w += lr*error*x, b += lr*error.

    Weights start at randn*0.01 from ``np.random.default_rng(seed)``, bias at 0. ``fit`` stops at the
    first epoch with no errors.
    """

    def __init__(self, n_inputs: int = 2, lr: float = 0.1, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.w = rng.standard_normal(n_inputs) * 0.01
        self.b = 0.0
        self.lr = lr

    def predict(self, X: np.ndarray) -> np.ndarray:
        """X [N, n_inputs] -> {0, 1} [N]."""
        return (X @ self.w + self.b > 0).astype(np.int64)

    def fit(self, X: np.ndarray, y: np.ndarray, epochs: int = 100) -> PerceptronHistory:
        """Apply the perceptron rule sample by sample; record the line and errors per epoch."""
        h = PerceptronHistory([self.w.copy()], [self.b], [])
        for _ in range(epochs):
            errors = 0
            for xi, target in zip(X, y):
                error = float(target) - float(xi @ self.w + self.b > 0)
                if error != 0:
                    self.w = self.w + self.lr * error * xi
                    self.b = self.b + self.lr * error
                    errors += 1
            h.weights.append(self.w.copy())
            h.bias.append(self.b)
            h.errors.append(errors)
            if errors == 0:
                break
        return h
