"""What a Hyperparameter Effects sweep trains, as the server prices it: each of its stacks one after the
other on sklearn's 8x8 digits. :mod:`core.serve.price` prices this."""

from __future__ import annotations

from typing import Any

from core.serve.cost import digits_8x8
from core.serve.price import shape_of
from core.serve.workload import DataShape, Lower, Workload, stacks


def sweep(cfg: Any, data: Any = None) -> Workload:
    """A Sweep's stacks (``cfg.stacks()``: (label, TrainConfig) lists) on the digits, or on ``data``."""
    shape = digits_8x8() if data is None else data if isinstance(data, DataShape) else shape_of(data)
    lower = (Lower("fewer epochs", memory=False), Lower("fewer values"), Lower("fewer seeds"))
    return stacks([[c for _, c in st] for st in cfg.stacks()], shape, lower)
