"""What the Activation Explorer trains, as the server prices it: the comparison's one stack, and the depth
study's stack with its probes beside it. :mod:`core.serve.price` prices these."""

from __future__ import annotations

from typing import Any

from core.datasets import digits
from core.serve.cost import MACS_PER_SECOND, PROBE_LAYER_SECONDS, digits_8x8
from core.serve.price import shape_of
from core.serve.workload import DataShape, Price, Workload, one_stack

TOY_POINTS, TOY_TRAIN = 1000, 0.8  # a 2-D set of the comparison: points, training share


def _shape(data: Any, default: DataShape) -> DataShape:
    if data is None:
        return default
    return data if isinstance(data, DataShape) else shape_of(data)


def compare(cfg: Any, data: Any = None) -> Workload:
    """A CompareConfig: every (activation, seed) as one stack on the digits or a 2-D set."""
    n_train = int(round(TOY_TRAIN * TOY_POINTS))
    toy = DataShape(n_train, 2, 1, TOY_POINTS - n_train)
    return one_stack(cfg.train_configs(), _shape(data, digits_8x8() if cfg.dataset == "digits" else toy))


def depth(cfg: Any, probe_rows: int, data: Any = None) -> Workload:
    """A DepthConfig: one model per activation as one stack on the digits, and beside it the probe:
    forward + backward of every model on ``probe_rows`` rows, before and after every epoch."""
    work = one_stack(cfg.train_configs(), _shape(data, digits_8x8()))
    w = [digits.FEATURES, *(cfg.width,) * cfg.depth, 10]
    per = sum(a * b for a, b in zip(w, w[1:]))
    probes = 2 * (cfg.epochs + 1) * len(cfg.functions)
    macs = probes * probe_rows * 3 * per
    secs = macs / MACS_PER_SECOND + probes * cfg.depth * PROBE_LAYER_SECONDS
    held = 4 * 3 * probe_rows * cfg.width * cfg.depth * len(cfg.functions)
    return Workload(work.stacks, beside=Price(secs, held, macs, 0, 0, secs), lower=work.lower)
