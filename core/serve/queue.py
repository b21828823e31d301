"""The fair training queue shared by every visitor of one server (no Streamlit here).

A shared server (Streamlit Community Cloud gives an app 0.08 to 2 cores) runs at most N trainings at
once (``NNLAB_MAX_CONCURRENT``; 2 when ``NNLAB_HOSTED`` is on, unlimited on a laptop). Everyone else
waits in one first-come line and is told where they stand ("waiting: 2 runs ahead of yours"):

    with training_queue().slot(session_id, on_wait=lambda ahead, running: ...):
        train()

Fairness: a visitor (a Streamlit session) holds at most one place in the line, and a visitor whose
run is training goes to the back of the line for the next one, so two busy visitors alternate rather
than one starving the other. A new request from a session that is already waiting (a flood of
reruns) takes over that place instead of adding another; the superseded waiter gets
:class:`Superseded`. A waiter that leaves (its script run was stopped for a rerun) keeps its place for
a few seconds, so the rerun's request takes it over instead of going to the back.

Runs of one shape train together (:mod:`core.serve.merge`, when ``NNLAB_MERGE`` is on: by default on a
hosted server): requests that can share one stacked run wait as one batch, which takes ONE place in
this line under its own name (``merged:<n>``) and trains them all when it gets a slot.

Identity is the session: without logins a visitor with two tabs has two sessions, hence two places.
What bounds such a visitor is the per-request budget (core.serve.price): each place holds at most one
budget's worth of work.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from core import settings

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
    (pages enter once, through ``ui.common.admitted``; this keeps any other nesting from deadlocking).
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
        self._holds: dict[str, Callable[[], bool]] = {}  # slots held by processes (tuning workers)
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

    def hold(self, holder: str, alive: Callable[[], bool]) -> bool:
        """Take a free slot for an outside worker (a tuning worker process) until ``alive()`` is False.

        Never waits: False when no slot is free or visitors are waiting in line (they come first).
        """
        with self._cond:
            self._dispatch()
            busy = sum(self._running.values())
            if self.capacity is not None and (busy >= self.capacity or self._line):
                return False
            self._running[holder] = self._running.get(holder, 0) + 1
            self._holds[holder] = alive
            self.peak_running = max(self.peak_running, busy + 1)
            return True

    def hold_process(self, holder: str, start: Callable[[], Any]) -> Any | None:
        """Take a free slot, then ``start()`` a process (anything with ``poll()``) that keeps it until it
        exits; None (and nothing started) when no slot is free."""
        box: list[Any] = []
        if not self.hold(holder, lambda: not box or box[0].poll() is None):
            return None
        try:
            box.append(start())
        except BaseException:
            with self._cond:
                self._holds.pop(holder, None)
                self._release(holder)
            raise
        return box[0]

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
        for holder, alive in list(self._holds.items()):  # outside workers that have ended free their slot
            if not alive():
                del self._holds[holder]
                self._running.pop(holder, None)
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


GATHERING = ("starting: runs of the same shape that other visitors ask for now will train with yours "
             "(at most a second or two)")


def wait_message(ahead: int, running: int, capacity: int | None = None) -> str:
    """The line a waiting visitor sees. Nothing ahead and nothing training: the run is not in the line but
    gathering others of its shape (core.serve.merge's window), which said "waiting: 0 runs ahead of yours
    (0 training now)" before."""
    if ahead == 0 and running == 0:
        return GATHERING
    runs = "run" if ahead == 1 else "runs"
    cap = f", {capacity} at a time on this server" if capacity else ""
    return (f"waiting: {ahead} {runs} ahead of yours ({running} training now{cap}). "
            "Yours starts by itself; keep this tab open.")
