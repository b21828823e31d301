"""The run guard: what every training run passes through before it allocates anything.

The app sets it once at start (``ui.common.install_run_guard``): a run inside the page's door (its
request already priced and holding a training slot) only gets the wall-clock limit; a run that took
no door is priced and queued here. core stays free of Streamlit. With none set, training runs
unguarded (tests, scripts, worker processes that queue by other means).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

# guard(configs, data) -> a context manager held while those configs train on data (a Dataset, or None when
# the caller does not say); it may raise to refuse them, and it yields the wall-clock seconds the run may
# take (None: no limit)
Guard = Callable[[Sequence[Any], Any], contextlib.AbstractContextManager]

_current: list[Guard | None] = [None]


def set_run_guard(guard: Guard | None) -> Guard | None:
    """Install ``guard`` for every training run in this process; returns the one it replaces."""
    prev = _current[0]
    _current[0] = guard
    return prev


def run_guard() -> Guard | None:
    """The guard in force, or None."""
    return _current[0]


def guarded(configs: Sequence[Any], data: Any = None) -> contextlib.AbstractContextManager:
    """The guard's context for ``configs`` (every model about to train) on ``data``, or a no-op.

    Entering it gives the wall-clock seconds the run may take, or None (no limit).
    """
    guard = _current[0]
    return guard(list(configs), data) if guard is not None else contextlib.nullcontext()


def deadline_within(limit: float | None, deadline: float | None) -> float | None:
    """The earlier of a caller's ``deadline`` (``time.monotonic()`` seconds) and now + the guard's ``limit``."""
    if limit is None:
        return deadline
    own = time.monotonic() + float(limit)
    return own if deadline is None else min(own, deadline)
