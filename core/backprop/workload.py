"""What the Backprop walk-through computes, as the server prices it: the tutorial's 2-4-1 NumPy network
replayed one update at a time up to the step asked for, then its loss history, then one traced step.
No PyTorch stack trains here, so it is priced as the NumPy loop it is. :mod:`core.serve.price` prices this."""

from __future__ import annotations

from typing import Any

from core.serve.workload import Lower, Price, Workload

# Measured 2026-12-05 (this machine, one thread): one replayed update of the 2-4-1 network on one XOR row
# 18 us, on the full batch of four 32 us (8,000 of them: 0.14 s and 0.25 s); the traced step with its
# autograd check and the loss frame 1.5 ms warm, 7 ms the first time in a process; the page's result (a
# loss frame of ~400 points, the trace's tables) ~10 MB, most of it pandas' and autograd's first use.
EXAMPLE_STEP_SECONDS = 18e-6
BATCH_STEP_SECONDS = 32e-6
TRACE_SECONDS = 5e-3
WALK_BYTES = 10_000_000


def walk(cfg: Any) -> Workload:
    """A BackpropConfig: the weights replayed to ``step``, the loss history replayed to ``step + 1``
    (what the page draws), and the traced step."""
    updates = 2 * cfg.step + 1
    secs = TRACE_SECONDS + updates * (BATCH_STEP_SECONDS if cfg.batch else EXAMPLE_STEP_SECONDS)
    return Workload(after=Price(secs, WALK_BYTES, 0.0, updates, 1, secs), lower=(Lower("an earlier step"),))
