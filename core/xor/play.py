"""The Playground's Play: train live trainers in a background thread at a steady pace of epochs.

Why a thread: the page redraws about ten times a second; training inside each redraw tied the
epochs shown to how fast the browser and Streamlit turned frames around (a slow frame trained a
bigger chunk, which made the next frame slower). Here training keeps its own pace, and a redraw
only reads the weights (under :attr:`PlayLoop.lock`, so it never sees a half-done step).

Snapshots: with ``snapshot`` (a function of nothing that returns what to draw), the loop also
records that every ``snapshot_s`` seconds while it trains (under the lock, between epochs), so a
page that can only send frames to the browser ~8 times a second can still show ~20 states a second:
:meth:`PlayLoop.take` hands over those recorded since the last call.

The loop ends when every trainer reaches its target epoch, on :meth:`PlayLoop.stop`, when nobody
has drawn a frame for ``idle_timeout`` seconds (the visitor left): it never outlives its viewer, or
after ``wall_seconds`` of training (a shared server's wall-clock limit; :attr:`PlayLoop.cut` says so).
It calls ``Trainer.run_unguarded``: the caller prices the run once before starting it, and passes
``slot`` (a function of an ``on_wait(ahead, running)`` giving a context manager: a place in the shared
training queue) which the loop holds for as long as it trains, so N tabs playing train at most as many
networks at once as the queue allows.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from core.engine import Trainer


def play_pressed(playing: bool, at_end: bool) -> tuple[bool, bool]:
    """What the Play/Pause button does: (playing after the press, start again from epoch 0 first).

    Pause stops. Play plays on; at the last epoch there is nothing left to play, so Play starts again
    from epoch 0 (the same seeded weights) rather than turning into Pause with nothing moving.
    """
    if playing:
        return False, False
    return True, at_end


def play_label(playing: bool, at_end: bool) -> str:
    """The Play/Pause button's label: what a press will do (see :func:`play_pressed`)."""
    if playing:
        return "⏸ Pause"
    return "▶ Play again from epoch 0" if at_end else "▶ Play"


class _Left(Exception):
    """The loop stopped (or its viewer left) while it waited for a training slot."""


class PlayLoop:
    """Train each (trainer, target epoch) pair at ``pace`` epochs per second, together, in a thread."""

    def __init__(self, jobs: Sequence[tuple[Trainer, int]], pace: float = 100.0, chunk: int = 4,
                 idle_timeout: float = 3.0, snapshot: Callable[[], Any] | None = None,
                 snapshot_s: float = 0.05,
                 slot: Callable[[Callable[[int, int], None]], AbstractContextManager] | None = None,
                 wall_seconds: float | None = None) -> None:
        self.jobs = [(t, int(target)) for t, target in jobs]
        self.pace = float(pace)
        self.chunk = max(1, int(chunk))  # epochs per hold of the lock (each run evaluates its last epoch)
        self.idle_timeout = idle_timeout
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._seen = time.monotonic()
        self.error: BaseException | None = None
        self.snapshot = snapshot
        self.snapshot_s = snapshot_s
        self._snaps: deque = deque(maxlen=16)  # the newest, if nobody takes them for a while
        self._last_snap = 0.0
        self.slot = slot
        self.wall_seconds = wall_seconds
        self.waiting: tuple[int, int] | None = None  # (runs ahead, training now) while waiting for a slot
        self.cut: str | None = None  # why the loop stopped before the end (the wall-clock limit)
        self._thread = threading.Thread(target=self._run, name="nnlab-play", daemon=True)

    def start(self) -> PlayLoop:
        self._thread.start()
        return self

    def touch(self) -> None:
        """A frame was drawn: someone is watching (resets the idle timeout)."""
        self._seen = time.monotonic()

    def stop(self, timeout: float = 1.0) -> None:
        """Ask the loop to end after the epochs it is on, and wait for it (at most timeout seconds)."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def take(self) -> list:
        """The snapshots recorded since the last call, oldest first."""
        out = []
        while self._snaps:
            out.append(self._snaps.popleft())
        return out

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def finished(self) -> bool:
        """Every trainer has reached its target (or stopped: all its models diverged)."""
        return all(t.epoch >= target or not bool(t.stopping.active.any()) for t, target in self.jobs)

    def _on_wait(self, ahead: int, running: int) -> None:
        """Waiting for a slot: noted for the page; a Pause or a visitor who left ends the wait."""
        self.waiting = (ahead, running)
        if self._stop.is_set() or time.monotonic() - self._seen > self.idle_timeout:
            raise _Left

    def _run(self) -> None:
        try:
            with self.slot(self._on_wait) if self.slot is not None else nullcontext():
                self.waiting = None
                self._train()
        except _Left:
            pass
        except BaseException as e:  # noqa: BLE001 - kept for the page to show; a thread must not die silently
            self.error = e

    def _train(self) -> None:
        t0 = time.monotonic()
        start = [t.epoch for t, _ in self.jobs]
        while not self._stop.is_set() and not self.finished:
            now = time.monotonic()
            if now - self._seen > self.idle_timeout:
                break
            if self.wall_seconds is not None and now - t0 > self.wall_seconds:
                self.cut = (f"Play stopped after {self.wall_seconds:.0f} s, this shared server's limit "
                            "for one run: press Play to go on (you join the back of the line).")
                break
            due = int(self.pace * (now - t0))  # epochs each trainer should have done by now
            behind = [(t, target, s) for (t, target), s in zip(self.jobs, start)
                      if t.epoch - s < due and t.epoch < target and bool(t.stopping.active.any())]
            if not behind:
                self._stop.wait(0.003)
                continue
            with self.lock:
                if self._stop.is_set():  # asked to stop while waiting for the lock (Pause drew meanwhile)
                    break
                for t, target, s in behind:
                    t.run_unguarded(epochs=min(self.chunk, due - (t.epoch - s), target - t.epoch))
                if self.snapshot is not None and (time.monotonic() - self._last_snap >= self.snapshot_s
                                                  or self.finished):
                    self._last_snap = time.monotonic()
                    self._snaps.append(self.snapshot())
