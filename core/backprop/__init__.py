"""Backprop Step by Step: the tutorial's 2-4-1 XOR network, one example at a time or full batch (jobs), its
claims and its charts."""

from core.backprop.jobs import (  # noqa: F401
    EXAMPLES,
    BackpropConfig,
    StepTrace,
    autograd_step,
    chain_for,
    loss_history,
    trace_step,
    weight_names,
)
