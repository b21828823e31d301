"""What Network Shapes trains, as the server prices it: the four shapes' stacks on digits or the spiral
and their checks, and the approximation's stack per width, one after the other. :mod:`core.serve.price` prices these."""

from __future__ import annotations

from typing import Any

from core.serve.cost import digits_8x8
from core.serve.workload import DataShape, Lower, Workload, stacks

SPIRAL_POINTS = 600  # the shapes' 2-D spiral: half for training, half for testing


def shapes(cfg: Any, names: tuple[str, ...]) -> Workload:
    """A ShapesConfig: each shape in ``names`` as one stack of its seeds, then the checks of Deep and narrow
    (``cfg.check_configs()``: no hidden layer, He init, 3x the epochs), which the page trains under the
    same request whenever two shapes have about the same parameters (priced always: the bound)."""
    half = SPIRAL_POINTS // 2
    data = digits_8x8() if cfg.dataset == "digits" else DataShape(half, 2, 1, SPIRAL_POINTS - half)
    lower = (Lower("fewer epochs", memory=False), Lower("a larger batch", memory=False),
             Lower("fewer or narrower layers"), Lower("fewer seeds"))
    return stacks([cfg.shape_configs(s) for s in names] + list(cfg.check_configs().values()), data, lower)


def approx(cfg: Any, n_train: int, n_grid: int) -> Workload:
    """An ApproxConfig: each one-hidden-layer width, then each deeper net, as one stack of its seeds, on
    ``n_train`` points (evaluated on ``n_grid``)."""
    hiddens = [(w,) for w in cfg.widths] + [h for _, h in cfg.deep_shapes()]
    lower = (Lower("fewer epochs", memory=False), Lower("fewer or narrower widths"), Lower("fewer seeds"))
    return stacks([cfg.net_configs(h) for h in hiddens], DataShape(n_train, 1, 1, n_grid), lower)
