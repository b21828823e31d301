"""How the Playground's pictures travel to the browser: values quantized to uint8, bytes as base64.

Value ``v`` in a range ``(lo, hi)`` is ``round(255 * (v - lo) / (hi - lo))``; the component decodes the
base64 text with ``atob``. The diagram (:mod:`core.xor.diagram`) and the hidden space
(:mod:`core.xor.hidden_space`) both send their arrays this way.
"""

from __future__ import annotations

import base64

import numpy as np


def quantize(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values in (lo, hi) -> uint8 0..255 (clipped; NaN -> 128, the middle)."""
    q = np.clip((np.nan_to_num(np.asarray(v, dtype=np.float64), nan=(lo + hi) / 2) - lo) / (hi - lo), 0.0, 1.0)
    return np.round(q * 255).astype(np.uint8)


def b64(a: np.ndarray) -> str:
    """An array's raw bytes as base64 text (the component decodes with atob)."""
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def unb64(s: str, dtype: type = np.uint8) -> np.ndarray:
    """The inverse of :func:`b64` (flat)."""
    return np.frombuffer(base64.b64decode(s), dtype=dtype)
