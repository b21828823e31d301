"""The run guard: what every training run passes through before it allocates anything.

The app sets it once at start (``ui.common.install_run_guard``: hosted mode's price check and the
fair training queue); core stays free of Streamlit. With none set, training runs unguarded (tests,
scripts, worker processes that queue by other means).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

# guard(configs) -> a context manager held while those configs train; it may raise to refuse them
Guard = Callable[[Sequence[Any]], contextlib.AbstractContextManager]

_current: list[Guard | None] = [None]


def set_run_guard(guard: Guard | None) -> Guard | None:
    """Install ``guard`` for every training run in this process; returns the one it replaces."""
    prev = _current[0]
    _current[0] = guard
    return prev


def run_guard() -> Guard | None:
    """The guard in force, or None."""
    return _current[0]


def guarded(configs: Sequence[Any]) -> contextlib.AbstractContextManager:
    """The guard's context for ``configs`` (every model about to train), or a no-op without one."""
    guard = _current[0]
    return guard(list(configs)) if guard is not None else contextlib.nullcontext()
