"""The Home page's neuron as a config: 2 or 3 inputs, their weights, a bias and an activation (URL prefix n_).

It imports no torch: Home reads the link before its first chart; the activation names are the engine
registry's keys (a test checks each is a registered elementwise entry) and their labels come from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.config import Config, param

#: registry names offered for the one neuron: the tutorial's four and Step (the perceptron), plus Identity
CHOICES = ("sigmoid", "tanh", "relu", "leaky_relu", "step", "identity")
LIMIT = 3.0  # every input, weight and bias in [-LIMIT, LIMIT]
PREFIX = "n_"


def _value(default: float, what: str) -> float:
    return param(default, lo=-LIMIT, hi=LIMIT, help=what)


@dataclass(frozen=True)
class NeuronConfig(Config):
    """One neuron: ``inputs`` of x1..x3 are used, each times its weight, plus the bias, through ``activation``."""

    kind: ClassVar[str] = "neuron"

    inputs: int = param(2, lo=2, hi=3, help="how many inputs the neuron receives")
    x1: float = _value(1.0, "the first input")
    x2: float = _value(0.5, "the second input")
    x3: float = _value(-1.0, "the third input (used with 3 inputs)")
    w1: float = _value(0.6, "the first input's weight: how much it counts, and which way")
    w2: float = _value(0.4, "the second input's weight")
    w3: float = _value(-0.5, "the third input's weight")
    b: float = _value(-0.7, "the bias: added to the weighted sum, it shifts where the neuron switches on")
    activation: str = param("sigmoid", choices=CHOICES, help="the function applied to the weighted sum")

    @property
    def x(self) -> tuple[float, ...]:
        """The inputs in use."""
        return (self.x1, self.x2, self.x3)[: self.inputs]

    @property
    def w(self) -> tuple[float, ...]:
        """The weights in use."""
        return (self.w1, self.w2, self.w3)[: self.inputs]
