"""What the from-scratch tab computes, as the server prices it: the NumPy network and its engine twin, one
after the other on the 8x8 digits. :mod:`core.serve.price` prices this."""

from __future__ import annotations

from typing import Any

from core.serve.cost import digits_8x8
from core.serve.workload import Lower, Net, Workload, stacks


def scratch(cfg: Any) -> Workload:
    """A ScratchConfig: its NumPy network (priced as an engine network of its shape) and the engine's twin."""
    one = Net(cfg.hidden, cfg.epochs, cfg.batch_size)
    lower = (Lower("fewer epochs", memory=False), Lower("fewer or narrower layers"), Lower("a larger batch"))
    return stacks([[one], [one]], digits_8x8(), lower)
