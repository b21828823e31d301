"""A server's process tree from /proc: resident memory and CPU seconds, sampled (no psutil needed)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable

TICK = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def over_tree(pid: int, one: Callable[[int], float]) -> float:
    """``one(p)`` summed over the tree's processes; one that has gone (or reads oddly) counts 0."""
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += one(p)
    return total


def name(pid: int) -> str:
    """A process's command name (its comm, as ps shows it)."""
    with open(f"/proc/{pid}/comm") as fh:
        return fh.read().rstrip("\n")


def process_rss(pid: int) -> int:
    """Resident bytes of one process (VmRSS; 0 for one with no memory of its own)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds one process has used so far."""
    with open(f"/proc/{pid}/stat") as fh:
        f = fh.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK  # utime, stime (fields 14 and 15 of stat)


def rss(pid: int) -> int:
    """Resident bytes of the tree."""
    return int(over_tree(pid, process_rss))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the tree has used so far (its live processes)."""
    return over_tree(pid, process_cpu_seconds)


class Peak(threading.Thread):
    """Samples the tree's RSS (the trees' together, for several pids) every ``every`` seconds until stopped;
    ``peak`` is the largest seen."""

    def __init__(self, pid: int | list[int], every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pids = [pid] if isinstance(pid, int) else list(pid)
        self.every, self.peak, self._stop_ev = every, 0, threading.Event()

    def _now(self) -> int:
        return sum(rss(p) for p in self.pids)

    def run(self) -> None:
        while not self._stop_ev.is_set():
            self.peak = max(self.peak, self._now())
            time.sleep(self.every)

    def stop(self) -> int:
        """Stop sampling; the peak in bytes."""
        self._stop_ev.set()
        self.join(2)
        self.peak = max(self.peak, self._now())
        return self.peak
