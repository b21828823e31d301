"""What the XOR Lab trains, as the server prices it: the perceptron, the two XOR solvers, the seed study
and the Playground, each one stack on its small data. :mod:`core.serve.price` prices these."""

from __future__ import annotations

from typing import Any

from core.datasets import GATE_INPUTS
from core.serve.price import shape_of
from core.serve.workload import DataShape, Net, Stack, Workload, one_stack

RETRY_FACTOR = 10  # a failed seed is retrained this many times longer to see whether more epochs help
GATE = DataShape(len(GATE_INPUTS), GATE_INPUTS.shape[1], 1, len(GATE_INPUTS))  # a truth table, evaluated on itself


def _shape(data: Any, default: DataShape) -> DataShape:
    if data is None:
        return default
    return data if isinstance(data, DataShape) else shape_of(data)


def perceptron(cfg: Any, data: Any = None) -> Workload:
    """A PerceptronConfig: one unit, every epoch, on a gate."""
    return one_stack([Net((), cfg.epochs)], _shape(data, GATE))


def solvers(cfg: Any, data: Any = None) -> Workload:
    """An XorCompareConfig: the NumPy and the PyTorch 2-H-1 networks, priced as one stack on XOR."""
    return one_stack([Net((cfg.hidden,), cfg.numpy_epochs), Net((cfg.hidden,), cfg.torch_epochs)], _shape(data, GATE))


def seeds(cfg: Any, data: Any = None) -> Workload:
    """A SeedStudyConfig: every seed as one stack on XOR, then the tab's retry of the failed seeds
    RETRY_FACTOR times longer (priced as if every seed failed: the tab's own step is never refused)."""
    shape = _shape(data, GATE)
    work = one_stack(cfg.train_configs(), shape)
    retry = tuple(Net(tuple(c.hidden), c.epochs * RETRY_FACTOR, c.batch_size, c.patience, c.dropout)
                  for c in cfg.train_configs())
    return Workload(work.stacks + (Stack(retry, shape),), lower=work.lower)


def playground(cfg: Any, data: Any = None) -> Workload:
    """A PlaygroundConfig: every seed as one stack on its points (train_frac of n_points, its features)."""
    n = max(1, int(cfg.n_points * cfg.train_frac))
    return one_stack(cfg.train_configs(), _shape(data, DataShape(n, len(cfg.features), 1, cfg.n_points - n)))
