"""Timing what a visitor waits for: a core job's seconds (best of several: the machine is shared), a page's
cold run and warm reruns through AppTest (app.py, as a server runs it), and a quantile of many visitors' times."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def seconds(fn: Callable[[], Any]) -> float:
    """Wall seconds of one call of ``fn``."""
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def best_of(fn: Callable[[], Any], n: int = 3) -> float:
    """The fastest of ``n`` calls of ``fn``, in seconds (a load spike on the shared cores lengthens only some)."""
    return min(seconds(fn) for _ in range(n))


def pct(xs: list[float], q: float) -> float:
    """The q-quantile of ``xs`` by nearest rank (NaN for none)."""
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def open_page(page: str, params: dict[str, str] | None = None, timeout: float = 900) -> Any:
    """An AppTest session of app.py with these query params, switched to ``page`` (not yet run there)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()  # st.navigation registers the pages (and their url paths) on a first run
    at.switch_page(page)
    return at


def timed_run(at: Any) -> float:
    """Seconds of one run of the session's page, which must end without an exception."""
    dt = seconds(at.run)
    assert not at.exception, at.exception
    return dt


def page_times(page: str, params: dict[str, str] | None = None, *, timeout: float = 900, reruns: int = 3,
               pick: Callable[[list[float]], float] = min,
               check: Callable[[Any], None] | None = None) -> tuple[float, float]:
    """(cold, warm) seconds of the page: its first run in a new session, then ``pick`` of ``reruns`` reruns;
    ``check(at)`` runs after the first run (to assert what it drew)."""
    at = open_page(page, params, timeout)
    cold = timed_run(at)
    if check is not None:
        check(at)
    return cold, pick([timed_run(at) for _ in range(reruns)])
