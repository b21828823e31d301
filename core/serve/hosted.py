"""Hosted mode: a fair training queue shared by every visitor of one server, and request caps.

A shared server (Streamlit Community Cloud gives an app 0.08 to 2 cores) runs at most N trainings at
once (``NNLAB_MAX_CONCURRENT``; 2 when ``NNLAB_HOSTED`` is on, unlimited on a laptop). Everyone else
waits in one first-come line and is told where they stand ("waiting: 2 runs ahead of yours"):

    with training_queue().slot(session_id, on_wait=lambda ahead, running: ...):
        train()

Fairness: a visitor holds at most one place in the line, and a visitor whose run is training goes to
the back of the line for the next one, so two busy visitors alternate rather than one starving the
other. A new request from a visitor who is already waiting (a flood of reruns) takes over that
visitor's place instead of adding another; the superseded waiter gets :class:`Superseded`. A waiter
that leaves (its script run was stopped for a rerun) keeps its place for a few seconds, so the rerun's
request takes it over instead of going to the back.

Caps: :func:`check_request` compares any :class:`core.config.Config` (epochs, hidden widths and
layers, seeds, trials) with ``settings.limits()`` and returns a one-line message naming the field and
the cap. (Upload count and size caps live where uploads are read: the Digit Recognizer reads the first
``max_uploads`` files and refuses any over ``max_upload_mb``.) No Streamlit here.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from core import settings
from core.config import CAP_KINDS, Config

WaitFn = Callable[[int, int], None]  # (runs waiting ahead of yours, runs training now)


# ---- settings ---------------------------------------------------------------------------------------
def max_concurrent() -> int | None:
    """Trainings one server runs at once: $NNLAB_MAX_CONCURRENT, else 2 when hosted, else no limit.

    ``0``, ``none`` or ``unlimited`` mean no limit. A value that is not a number is ignored.
    """
    raw = os.environ.get("NNLAB_MAX_CONCURRENT", "").strip().lower()
    if raw in ("0", "none", "unlimited", "off"):
        return None
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            pass
    return 2 if settings.hosted() else None


# ---- the queue --------------------------------------------------------------------------------------
class Superseded(RuntimeError):
    """This waiting request was replaced by a newer one from the same visitor (a rerun)."""


@dataclass(eq=False)
class _Ticket:
    session: str
    seq: int
    granted: bool = False
    superseded: bool = False
    left: float | None = None  # when its waiter left (a rerun): the place is kept for ``grace`` seconds


class FairQueue:
    """At most ``capacity`` slots held at once (None: no limit), granted first come, first served,
    with one place in line per session and at most one running slot per session while others wait.

    Re-entrant per thread: a thread that holds a slot passes straight through a nested ``slot``
    (a cached computation that calls the trainer, which asks again).
    """

    def __init__(self, capacity: int | None, poll: float = 0.5, grace: float = 3.0) -> None:
        self.capacity = capacity
        self.poll = poll
        self.grace = grace
        self._cond = threading.Condition()
        self._line: list[_Ticket] = []
        self._running: dict[str, int] = {}
        self._depth: dict[int, int] = {}  # thread id -> nesting depth of slots it holds
        self._seq = itertools.count()
        self.peak_running = 0
        self.granted_total = 0
        self.superseded_total = 0

    # -- public -------------------------------------------------------------------------------------
    @contextmanager
    def slot(self, session_id: str, on_wait: WaitFn | None = None) -> Iterator[None]:
        """Hold one training slot for the body; waits (calling ``on_wait``) while none is free.

        ``on_wait(ahead, running)`` is called when the wait starts, whenever the position changes
        and at least every ``poll`` seconds, so a caller can show the position and notice that it
        should stop waiting (an exception it raises leaves the line cleanly).
        """
        tid = threading.get_ident()
        with self._cond:
            if tid in self._depth:  # nested: this thread already holds a slot
                self._depth[tid] += 1
                nested = True
            else:
                nested = False
        if nested:
            try:
                yield
            finally:
                with self._cond:
                    self._depth[tid] -= 1
            return
        self._acquire(session_id, on_wait)
        with self._cond:
            self._depth[tid] = 1
        try:
            yield
        finally:
            with self._cond:
                self._depth.pop(tid, None)
                self._release(session_id)

    def waiting(self) -> list[str]:
        """Sessions in line, first first (places kept for a rerun included)."""
        with self._cond:
            return [t.session for t in self._line]

    def running(self) -> int:
        with self._cond:
            return sum(self._running.values())

    # -- internals ----------------------------------------------------------------------------------
    def _acquire(self, session: str, on_wait: WaitFn | None) -> None:
        ticket = _Ticket(session, next(self._seq))
        with self._cond:
            old = next((t for t in self._line if t.session == session), None)
            if old is not None:  # the same visitor asks again: take over its place, do not add one
                old.superseded = True
                self._line[self._line.index(old)] = ticket
                self.superseded_total += 1
                self._cond.notify_all()
            else:
                self._line.append(ticket)
            self._dispatch()
        last: tuple[int, int] | None = None
        last_call = 0.0
        try:
            while True:
                with self._cond:
                    self._dispatch()
                    if ticket.granted:
                        return
                    if ticket.superseded:
                        raise Superseded(f"a newer request from {session} took this place in line")
                    ahead = sum(1 for t in self._line[:self._line.index(ticket)] if t.left is None)
                    pos = (ahead, sum(self._running.values()))
                now = time.monotonic()
                if on_wait is not None and (pos != last or now - last_call >= self.poll):
                    last, last_call = pos, now
                    on_wait(*pos)
                with self._cond:
                    if not ticket.granted and not ticket.superseded:
                        self._cond.wait(self.poll)
        except BaseException:
            with self._cond:
                if ticket.granted:  # granted while the caller was leaving: give the slot back
                    self._release(session)
                elif ticket in self._line and not ticket.superseded:
                    # keep the place a little: Streamlit reruns a script by stopping the waiting run and
                    # starting a new one, which should not send the visitor to the back of the line
                    ticket.left = time.monotonic()
                    self._dispatch()
            raise

    def _release(self, session: str) -> None:
        n = self._running.get(session, 0) - 1
        if n > 0:
            self._running[session] = n
        else:
            self._running.pop(session, None)
        self._dispatch()

    def _dispatch(self) -> None:
        """Grant free slots to the first tickets in line (caller holds the lock)."""
        granted = False
        now = time.monotonic()
        for t in list(self._line):
            if t.left is not None:
                if now - t.left > self.grace:
                    self._line.remove(t)  # nobody came back for it
                continue
            busy = sum(self._running.values())
            if self.capacity is not None and busy >= self.capacity:
                break
            # one running slot per visitor while the line is shared (a stale rerun still training)
            if self.capacity is not None and self._running.get(t.session, 0) >= 1:
                continue
            self._line.remove(t)
            t.granted = True
            self._running[t.session] = self._running.get(t.session, 0) + 1
            self.granted_total += 1
            self.peak_running = max(self.peak_running, sum(self._running.values()))
            granted = True
        if granted:
            self._cond.notify_all()


_QUEUE: FairQueue | None = None
_QUEUE_LOCK = threading.Lock()


def training_queue() -> FairQueue:
    """The one queue of this server process (capacity from :func:`max_concurrent` at first use)."""
    global _QUEUE
    with _QUEUE_LOCK:
        if _QUEUE is None:
            _QUEUE = FairQueue(max_concurrent())
        return _QUEUE


def slot(session_id: str, on_wait: WaitFn | None = None):
    """``training_queue().slot(session_id, on_wait)``: the API pages and helpers use."""
    return training_queue().slot(session_id, on_wait)


def wait_message(ahead: int, running: int, capacity: int | None = None) -> str:
    """The line a waiting visitor sees."""
    runs = "run" if ahead == 1 else "runs"
    cap = f", {capacity} at a time on this server" if capacity else ""
    return (f"waiting: {ahead} {runs} ahead of yours ({running} training now{cap}). "
            "Yours starts by itself; keep this tab open.")


# ---- request caps -----------------------------------------------------------------------------------
class LimitError(ValueError):
    """A request is over a cap of this server; ``field`` names it and the message says the cap."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_CAP_WORDS = {"epochs": ("", " epochs"), "seeds": ("", " seeds"), "trials": ("", " trials"),
              "width": ("a layer of ", " neurons"), "layers": ("", " hidden layers")}


def violations(cfg: Config, lim: settings.Limits | None = None) -> list[tuple[str, str]]:
    """Every (field, message) of ``cfg`` over the caps in force, from each field's declared ``cap``."""
    lim = lim or settings.limits()
    out: list[tuple[str, str]] = []
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        for kind in f.metadata.get("cap", ()):
            if kind == "layers" and isinstance(value, tuple):
                v = len(value)
            elif kind == "width" and isinstance(value, tuple):
                v = max((w for w in value if isinstance(w, int)), default=0)
            else:
                v = value
            cap = getattr(lim, CAP_KINDS[kind])
            if isinstance(v, int) and not isinstance(v, bool) and v > cap:
                pre, unit = _CAP_WORDS[kind]
                out.append((f.name, f"{f.name}: {pre}{v:,}{unit} is over this server's cap of {cap:,}{unit}"))
    return out


def check_request(cfgs: Config | Sequence[Config], lim: settings.Limits | None = None) -> str | None:
    """None when the request fits the caps, else one line naming the field(s) and the cap(s).

    A sequence of configs is one request that trains them all at once: it may hold at most
    ``max_seeds`` models as well.
    """
    lim = lim or settings.limits()
    items = [cfgs] if isinstance(cfgs, Config) else list(cfgs)
    msgs: list[str] = []
    if len(items) > lim.max_seeds:
        msgs.append(f"seeds: {len(items):,} networks trained at once is over this server's cap of "
                    f"{lim.max_seeds:,}")
    for c in items:
        for _, m in violations(c, lim):
            if m not in msgs:
                msgs.append(m)
    if not msgs:
        return None
    return "; ".join(msgs) + ". Lower it to the cap (this server is shared, so each visitor's runs are capped)."


def enforce(cfgs: Config | Sequence[Config], lim: settings.Limits | None = None) -> None:
    """Raise :class:`LimitError` when ``check_request`` finds a cap broken."""
    msg = check_request(cfgs, lim)
    if msg:
        items = [cfgs] if isinstance(cfgs, Config) else list(cfgs)
        first = next((f for c in items for f, _ in violations(c, lim or settings.limits())), "seeds")
        raise LimitError(first, msg)


# ---- bounded memory caches --------------------------------------------------------------------------
def approx_bytes(obj: Any, _depth: int = 0) -> int:
    """Rough memory held by a cached value: tensors, arrays, DataFrames, results, containers."""
    if _depth > 6:
        return 64
    nbytes = getattr(obj, "nbytes", None)  # numpy arrays (and torch tensors on recent versions)
    if hasattr(obj, "element_size") and hasattr(obj, "nelement"):
        return int(obj.element_size() * obj.nelement())
    if isinstance(nbytes, int):
        return nbytes
    if hasattr(obj, "memory_usage") and hasattr(obj, "columns"):  # a DataFrame
        try:
            return int(obj.memory_usage(deep=True).sum())
        except (TypeError, ValueError):
            return 1024
    if isinstance(obj, (str, bytes, bytearray)):
        return len(obj) + 50
    if isinstance(obj, dict):
        return 64 + sum(approx_bytes(k, _depth + 1) + approx_bytes(v, _depth + 1) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return 64 + sum(approx_bytes(v, _depth + 1) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return 64 + sum(approx_bytes(getattr(obj, f.name), _depth + 1) for f in dataclasses.fields(obj))
    if hasattr(obj, "__dict__"):
        return 64 + sum(approx_bytes(v, _depth + 1) for v in vars(obj).values())
    return 32


def memory_cache_bytes(lim: settings.Limits | None = None) -> int:
    """Byte budget of the in-memory result cache: a quarter of the disk budget (cache_mb)."""
    lim = lim or settings.limits()
    return int(lim.cache_mb * 1_000_000 // 4)
