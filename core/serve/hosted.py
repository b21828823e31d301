"""Hosted mode in one import: the queue, the caps, the price check and memory sizing.

The parts live by concern: :mod:`core.serve.queue` (the fair training queue), :mod:`core.serve.caps`
(per-field caps), :mod:`core.serve.price` (the price of a request and the budget check),
:mod:`core.serve.memory` (sizing the memory cache). Pages and tests that import ``hosted`` keep working.
"""

from __future__ import annotations

from collections.abc import Sequence

from core import settings
from core.config import Config
from core.serve.caps import LimitError, check_request, violations
from core.serve.memory import approx_bytes, memory_cache_bytes
from core.serve.price import DataShape, Price, check, price, request_price
from core.serve.queue import FairQueue, Superseded, WaitFn, max_concurrent, slot, training_queue, wait_message


def enforce(cfgs: Config | Sequence[Config], lim: settings.Limits | None = None) -> None:
    """Raise :class:`LimitError` when a request breaks a cap (``field`` = the field) or this server's
    budget (``field`` = "budget"); the message is one line saying what to lower."""
    from core.serve import caps

    caps.enforce(cfgs, lim)
    msg = check(list(cfgs) if isinstance(cfgs, (list, tuple)) else cfgs, lim=lim)
    if msg:
        raise LimitError("budget", msg)


__all__ = [
    "DataShape", "FairQueue", "LimitError", "Price", "Superseded", "WaitFn", "approx_bytes", "check",
    "check_request", "enforce", "max_concurrent", "memory_cache_bytes", "price", "request_price", "slot",
    "training_queue", "violations", "wait_message",
]
