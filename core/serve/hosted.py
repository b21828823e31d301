"""Hosted mode in one import: the queue, the caps, the price check and memory sizing.

The parts live by concern: :mod:`core.serve.queue` (the fair training queue), :mod:`core.serve.caps`
(per-field caps), :mod:`core.serve.price` (the price of a request and the budget check),
:mod:`core.serve.memory` (sizing the memory cache). Pages and tests that import ``hosted`` keep working.
"""

from __future__ import annotations

from core.serve.caps import LimitError, check_request, enforce, violations
from core.serve.memory import approx_bytes, memory_cache_bytes
from core.serve.price import DataShape, Price, check, price, request_price
from core.serve.queue import FairQueue, Superseded, WaitFn, max_concurrent, slot, training_queue, wait_message

__all__ = [
    "DataShape", "FairQueue", "LimitError", "Price", "Superseded", "WaitFn", "approx_bytes", "check",
    "check_request", "enforce", "max_concurrent", "memory_cache_bytes", "price", "request_price", "slot",
    "training_queue", "violations", "wait_message",
]
