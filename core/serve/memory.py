"""Sizing the in-memory result cache: rough bytes held by a value, and the cache's byte budget."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import sys
from typing import Any

from core import settings
from core.config import Config


# ---- bounded memory caches --------------------------------------------------------------------------
def approx_bytes(obj: Any, _depth: int = 0) -> int:
    """Rough memory held by a cached value: tensors, arrays, DataFrames, results, containers."""
    if _depth > 6:
        return 64
    if obj is None or isinstance(obj, (bool, int, float)):  # a result's metrics, a config's fields: first, as most
        return 32  # of what a result holds is these (sizing an XOR study: 3.5 -> 2.0 ms)
    if isinstance(obj, Config):  # a result's settings: a few dozen scalars and short tuples
        return 64 + 48 * len(dataclasses.fields(obj))
    nbytes = getattr(obj, "nbytes", None)  # numpy arrays (and torch tensors on recent versions)
    if hasattr(obj, "element_size") and hasattr(obj, "nelement"):
        return int(obj.element_size() * obj.nelement())
    if isinstance(nbytes, int):
        return nbytes
    if hasattr(obj, "memory_usage") and hasattr(obj, "columns"):  # a DataFrame: 8 bytes a cell, its index
        try:  # (memory_usage() builds a Series indexed by the column names: 0.3 ms a frame, 2.6 s of a class's
            rows, cols = obj.shape  # server's time putting XOR results in this cache, measured with py-spy)
            return 8 * rows * (cols + 1) + 64 * cols
        except (TypeError, ValueError):
            return 1024
    if isinstance(obj, (str, bytes, bytearray)):
        return len(obj) + 50
    if isinstance(obj, dict):
        return 64 + sum(approx_bytes(k, _depth + 1) + approx_bytes(v, _depth + 1) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return 64 + sum(approx_bytes(v, _depth + 1) for v in obj)
    if hasattr(obj, "__dict__") and not isinstance(obj, type):  # what it holds, as stored (a TrainResult's history
        return 64 + sum(approx_bytes(v, _depth + 1) for v in vars(obj).values())  # may be columns: no frame made)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return 64 + sum(approx_bytes(getattr(obj, f.name), _depth + 1) for f in dataclasses.fields(obj))
    return 32


def rss_mb() -> float:
    """This process's resident memory (MB; 0 where /proc is missing)."""
    with contextlib.suppress(OSError), open("/proc/self/status") as fh:
        return next((int(line.split()[1]) / 1024 for line in fh if line.startswith("VmRSS:")), 0.0)
    return 0.0


def memory_cache_bytes(lim: settings.Limits | None = None) -> int:
    """Byte budget of the in-memory result cache: a quarter of the disk budget (cache_mb)."""
    lim = lim or settings.limits()
    return int(lim.cache_mb * 1_000_000 // 4)


# ---- the server's long-lived heap ----------------------------------------------------------------------
_frozen = False


def freeze_startup_heap() -> bool:
    """Once per process, after a page has run with torch loaded: collect, then move every object alive (the
    modules of Streamlit, torch, pandas, Altair and their tables: most of the server's million objects) where
    Python's cyclic collector no longer walks them (``gc.freeze``). Its full collections, set off by the new
    objects of each run, walked all of them: 0.35 s of an XOR class's server in six (measured with gc
    callbacks). Returns whether it froze now."""
    global _frozen
    if _frozen or "torch" not in sys.modules:
        return False
    _frozen = True
    gc.collect()
    gc.freeze()
    return True
