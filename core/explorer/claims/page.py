"""The Activation Explorer's name and tabs as its claims give them, and its default jobs (the page's own
cache keys: a run the page made is reused)."""

from __future__ import annotations

from functools import cache

from core.engine import TrainResult
from core.explorer.depth import PROBE, DepthConfig, run_depth
from core.explorer.jobs import CompareConfig, run_compare

PAGE = "Activation Explorer"
SHAPES_TAB, SOFTMAX_TAB, LEARN_TAB, DEPTH_TAB = "① Shapes and slopes", "② Softmax", "③ Effect on learning", "④ Depth"


# ---- the page's default jobs (the page's own cache keys: a run the page made is reused) ----------------
@cache
def default_compare() -> list[TrainResult]:
    """The comparison at its defaults (8 activations x 3 seeds on digits), from the disk cache when there."""
    from core.serve.cache import batch_key, cached
    cfg = CompareConfig()
    return cached(batch_key(cfg.train_configs(), cfg.data_key()), lambda: run_compare(cfg))[0]


@cache
def default_depth() -> list[TrainResult]:
    """The depth study at its defaults (4 activations, 10 layers of 64, 10 epochs), cached like the page."""
    from core.explorer.depth import BINS
    from core.serve.cache import batch_key, cached
    cfg = DepthConfig()
    key = batch_key(cfg.train_configs(), f"depth-probes-{PROBE}-{BINS}-{cfg.key()}")
    return cached(key, lambda: run_depth(cfg))[0]
