"""What the Backprop walk-through computes, as the server prices it: the tutorial's 2-4-1 NumPy network
stepped one example at a time up to the step asked for. :mod:`core.serve.price` prices this."""

from __future__ import annotations

from typing import Any

from core.datasets import GATE_INPUTS
from core.serve.workload import DataShape, Net, Workload, one_stack

HIDDEN = 4  # the tutorial's 2-4-1 network


def walk(cfg: Any) -> Workload:
    """A BackpropConfig: ``step`` single-example updates on XOR's four rows (epoch + 1 epochs of batch 1)."""
    rows = len(GATE_INPUTS)
    return one_stack([Net((HIDDEN,), cfg.step // rows + 1, 1)], DataShape(rows, GATE_INPUTS.shape[1], 1, rows))
