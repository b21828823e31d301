"""Merged runs train in worker processes: off the server's one Python lock, on the machine's other cores.

A hosted server is one Python process: merged runs' training threads and every visitor's page script share
one lock (small nets spend most of a step in Python; torch takes the lock back inside an op, for reference
counts, as well as after it). With ``$NNLAB_TRAIN_WORKERS`` on, a :class:`Pool` of worker processes trains:

    results = pool.fit(configs, data, progress, eval_every, deadline, owners)   # as core.engine.fit

The worker calls ``fit`` itself (a thread a part: bit for bit the run in the server; a merged run splits over
the pool's share of the cores, :attr:`Pool.cores`) and reports at most every ``report`` seconds: the epoch, the
results of each owner (a visitor's stack) whose models have all stopped (once), and the histories of watched
owners' models (at most :data:`HISTORY_MODELS`), for live curves. Here a :class:`RemoteTrainer` stands for the
worker's trainer (``epoch``, ``history(i)``, ``finished(ids)``; setting ``cancelled`` stops the run).
Results come back in the result cache's few-array layout (:func:`core.serve.cache.pack_results`).

A worker is a fresh interpreter (not a fork of a server whose torch started threads; ``spawn`` re-runs the page
script) started by ``subprocess``, spoken to over a socket pair. A worker that dies fails its run with a clear
error and is replaced; a run waits for a worker still importing torch, and trains here when all are busy.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import itertools
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from core import settings
from core.serve.memory import rss_mb

HISTORY_MODELS = 32  # owners with at most this many models get their histories with the reports,
HISTORY_SECONDS = 1.0  # at most this often (the server unpickles them on its one lock: every 0.25 s was too much)
POLL = 0.25  # seconds between checks of a running job (cancel, worker alive, timeout)
GRACE = 60.0  # seconds past a run's deadline before its worker counts as stuck
READY_SECONDS = 60.0  # a worker that has not imported torch by then is replaced
MAX_FAILED_STARTS = 3  # workers that died or hung before ready: then runs train in the server
ROOT = Path(__file__).resolve().parents[2]  # the folder that holds the core package


def _dumps(obj: Any) -> bytes:
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)  # plain pickle: tensors copied into the bytes


# ---- the worker process -------------------------------------------------------------------------------
def _worker_main(fd: int) -> None:
    """A worker's life (its socket's ``fd``): import torch once, say ready (with its memory), then train jobs
    until told to stop or the server has gone."""
    conn = Connection(fd)
    import torch

    torch.set_num_threads(1)
    from core.engine import fit
    conn.send_bytes(_dumps(("ready", rss_mb())))
    data_key, data = None, None
    inbox: list = []  # jobs that came while another (cancelled) one was still training
    while True:
        try:
            msg = inbox.pop(0) if inbox else pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return  # the server has gone
        if msg[0] == "stop":
            return
        if msg[0] != "job":
            continue  # a cancel for a job already over
        job = msg[1]
        if job["data"] is not None or job["data_key"] != data_key:
            data_key, data = job["data_key"], job["data"]  # only the last job's data is kept
        if _job(conn, job, data, fit, inbox):
            return
        with contextlib.suppress(OSError, AttributeError):  # the run's freed memory back to the system (~40 MB)
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _job(conn: Connection, job: dict, data: Any, fit: Callable, inbox: list) -> bool:
    """Train one job and send its reports and results; True when the server asked to stop meanwhile."""
    from core.engine import cores
    from core.serve.cache import pack_results  # results go back as a few arrays (configs: the server has them)
    cores.MERGED_CORES = job.get("cores") or 1  # the cores its merged run may split over (Pool.cores)
    jid, owners, report = job["id"], [tuple(o) for o in job["owners"]], job["report"]
    watched = {o for o, w in zip(owners, job.get("watched") or [True] * len(owners)) if w}
    deadline = None if job["seconds_left"] is None else time.monotonic() + job["seconds_left"]
    sent: set[tuple[int, int]] = set()
    stop, last, last_curves, one = [False], [-1e9], [-1e9], threading.Lock()

    def progress(epoch: int, total: int, trainer: Any) -> None:  # from each part's thread (Pool.cores > 1)
        with one:  # one at a time on the socket: two parts' reports had cut each other's messages
            while conn.poll():
                m = pickle.loads(conn.recv_bytes())
                if m[0] == "job":
                    inbox.append(m)
                elif (m[0] == "cancel" and m[1] == jid) or m[0] == "stop":
                    trainer.cancelled = True
                    stop[0] = stop[0] or m[0] == "stop"
            now = time.monotonic()
            if now - last[0] < report and epoch < total:
                return
            last[0] = now
            finished, history = {}, {}
            curves = now - last_curves[0] >= HISTORY_SECONDS or epoch >= total
            if curves:
                last_curves[0] = now
            for lo, hi in owners:
                if (lo, hi) in sent:
                    continue
                done = trainer.finished(list(range(lo, hi)))
                if done is not None:
                    finished[(lo, hi)] = pack_results(done, configs=False)
                    sent.add((lo, hi))
                elif curves and hi - lo <= HISTORY_MODELS and (lo, hi) in watched:
                    for i in range(lo, hi):
                        with contextlib.suppress(Exception):  # a model this trainer does not hold: no curve for it
                            history[i] = trainer.history(i)
            conn.send_bytes(_dumps(("progress", jid, epoch, total, int(trainer.epoch), finished, history)))

    try:
        results = fit(job["configs"], data, progress=progress, eval_every=job["eval_every"], deadline=deadline,
                      owners=owners, log_every=job.get("log_every", 1))
        rest = {(lo, hi): pack_results(results[lo:hi], configs=False) for lo, hi in owners if (lo, hi) not in sent}
        msg = _dumps(("done", jid, rest))
    except BaseException as e:  # noqa: BLE001 - sent back, raised to every visitor of the run
        msg = _error(jid, e)
    try:
        conn.send_bytes(msg)
    except BaseException as e:  # noqa: BLE001 - results that do not pickle, a pipe full of them
        conn.send_bytes(_error(jid, e))
    return stop[0]


def _error(jid: int, e: BaseException) -> bytes:
    """An exception as a message: itself when it pickles, else a RuntimeError naming it."""
    tb = "".join(traceback.format_exception(e))
    try:
        return _dumps(("error", jid, e, tb))
    except Exception:  # noqa: BLE001
        return _dumps(("error", jid, RuntimeError(f"{type(e).__name__}: {e}"), tb))


# ---- the server's side --------------------------------------------------------------------------------
class WorkerStopped(RuntimeError):
    """The worker training a run died (killed, out of memory) or stopped answering."""


class RemoteTrainer:
    """What a merged run's progress callback reads of a trainer in a worker: the latest report of it."""

    def __init__(self) -> None:
        self.epoch = 0
        self.cancelled = False  # set by the merger when every visitor left: the worker is told to stop
        self._finished: dict[tuple[int, int], list] = {}
        self._history: dict[int, Any] = {}

    def history(self, k: int) -> Any:
        """Model ``k``'s history at the last report (a DataFrame); LookupError for a model of a big owner."""
        if k in self._history:
            return self._history[k]
        for (lo, hi), res in self._finished.items():
            if lo <= k < hi:
                return res[k - lo].history
        raise LookupError(f"no live history of model {k} (owners of more than {HISTORY_MODELS} models get none)")

    def finished(self, ids: Sequence[int]) -> list | None:
        """The results of one owner's models ``ids`` once all have stopped, else None."""
        return self._finished.get((ids[0], ids[-1] + 1)) if len(ids) else None

    def update(self, epoch: int, finished: dict, history: dict) -> None:
        self.epoch = epoch
        self._finished.update(finished)
        self._history = {i: h for i, h in {**self._history, **history}.items()
                         if not any(lo <= i < hi for lo, hi in finished)}


class _Worker:
    """One worker process and this side of its socket."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        fd = theirs.fileno()
        self.proc = subprocess.Popen(  # a fresh interpreter: imports only what _worker_main needs
            [sys.executable, "-c", f"from core.serve.workers import _worker_main; _worker_main({fd})"],
            pass_fds=(fd,), cwd=ROOT, stdin=subprocess.DEVNULL)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.started = time.monotonic()
        self.ready = False
        self.busy = False
        self.rss_mb = 0.0
        self.data_key: str | None = None

    def poll_ready(self) -> bool:
        """Whether the worker has imported torch (reads its ready message without waiting)."""
        if not self.ready and self.alive():
            try:
                if self.conn.poll():
                    msg = pickle.loads(self.conn.recv_bytes())
                    self.ready, self.rss_mb = msg[0] == "ready", float(msg[1])
            except (EOFError, OSError):
                pass
        return self.ready

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        self.conn.close()


class Pool:
    """``size`` worker processes (started by :meth:`start` or the first :meth:`fit`), each training one run."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.cores = max(1, (os.cpu_count() or 1) // self.size)  # a worker's merged run splits over these
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._jobs = itertools.count(1)
        self._closed = False
        self.in_workers = 0  # runs trained in a worker
        self.here = 0  # runs trained in this process (no worker ready)
        self.replaced = 0  # workers that died and were replaced
        self.failed_starts = 0  # workers that never became ready

    def start(self) -> None:
        """Start the missing workers (each imports torch in its own process; this does not wait)."""
        with self._lock:
            self._fill()

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Start the workers and wait until every one has imported torch (tests, a warm-up); False at the timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                self._fill()
                if all(w.poll_ready() for w in self._workers):
                    return True
            time.sleep(0.05)
        return False

    def worker_rss_mb(self) -> list[float]:
        """Each ready worker's resident memory right after it imported torch (MB)."""
        return [w.rss_mb for w in list(self._workers) if w.ready]

    def pids(self) -> list[int]:
        with self._lock:
            return [w.proc.pid for w in self._workers]

    def fit(self, configs: Sequence[Any], data: Any, progress: Callable | None = None,
            eval_every: int | None = None, deadline: float | None = None,
            owners: Sequence[tuple[int, int]] | None = None, data_key: str | None = None,
            report: float = 0.25, log_every: int = 1, watched: Sequence[bool] | None = None) -> list:
        """core.engine.fit in a worker (``progress`` gets a :class:`RemoteTrainer`); here when none is free.

        ``watched``: per owner, whether a live view draws its curves (default all; a class's unwatched XOR retries
        trained 15-30% slower sending theirs).
        ``deadline``: ``time.monotonic()`` seconds, sent as the seconds left. ``data_key``: what identifies
        ``data`` (a worker that trained on the same key last is not sent it again). Raises the worker's
        exception, or :class:`WorkerStopped` when the worker died or stopped answering.
        """
        owners = [(0, len(configs))] if owners is None else [tuple(o) for o in owners]
        w, jid, payload = self._take(), next(self._jobs), b""
        if w is not None:
            keep = data_key is not None and w.data_key == data_key
            sees = None if watched is None else [bool(x) for x in watched]
            job = {"id": jid, "configs": list(configs), "data": None if keep else data, "data_key": data_key,
                   "eval_every": eval_every, "log_every": log_every, "owners": owners, "report": report,
                   "watched": sees, "cores": self.cores,
                   "seconds_left": None if deadline is None else max(0.0, deadline - time.monotonic())}
            try:
                payload = _dumps(("job", job))
            except Exception:  # noqa: BLE001 - something in the job does not pickle: it trains here
                self._give_back(w)
                w = None
        if w is None:
            from core.engine import fit

            self.here += 1
            return fit(configs, data, progress, eval_every, deadline, owners, log_every)
        w.data_key = data_key
        stuck_at = None if deadline is None else deadline + GRACE
        try:
            outcome = self._follow(w, jid, payload, owners, progress, stuck_at, list(configs))
        except WorkerStopped:
            self._replace(w)
            raise
        except BaseException:  # e.g. a progress callback raised: its job is cancelled (the next job's reading
            with contextlib.suppress(OSError):  # skips this one's last messages) and the worker is reused
                w.conn.send_bytes(_dumps(("cancel", jid)))
            self._give_back(w)
            raise
        self._give_back(w)
        if isinstance(outcome, BaseException):
            raise outcome
        self.in_workers += 1
        return outcome

    def close(self) -> None:
        """Stop every worker (asks a ready one, then kills any still there after a few seconds)."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
            asked = [w for w in workers if w.poll_ready()]  # one still importing torch is killed at once
        for w in asked:
            with contextlib.suppress(OSError):
                w.conn.send_bytes(_dumps(("stop",)))
        for w in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                w.proc.wait(5 if w in asked else 0)
            w.kill()

    def _fill(self) -> None:
        """(lock held) Replace dead or never-ready workers and start up to ``size``."""
        if self._closed or self.failed_starts >= MAX_FAILED_STARTS:
            return
        for w in list(self._workers):
            if not w.busy and (not w.alive()
                               or (not w.poll_ready() and time.monotonic() - w.started > READY_SECONDS)):
                self._workers.remove(w)
                w.kill()
                self.replaced += 1
                self.failed_starts += not w.ready
        while len(self._workers) < self.size:
            self._workers.append(_Worker())

    def _take(self) -> _Worker | None:
        """An idle worker, marked busy, once ready (waiting up to READY_SECONDS for one importing torch); None
        when all are busy or fail to start (the run trains here)."""
        end = time.monotonic() + READY_SECONDS
        while True:
            with self._lock:
                self._fill()
                idle = [w for w in self._workers if not w.busy]
                for w in idle:
                    if w.poll_ready():
                        w.busy = True
                        return w
                if not idle or self.failed_starts >= MAX_FAILED_STARTS or time.monotonic() > end:
                    return None
            time.sleep(0.05)

    def _give_back(self, w: _Worker) -> None:
        with self._lock:
            w.busy = False

    def _replace(self, w: _Worker) -> None:
        with self._lock:
            if w in self._workers:
                self._workers.remove(w)
                self.replaced += 1
            w.kill()
            self._fill()

    def _follow(self, w: _Worker, jid: int, payload: bytes, owners: list, progress: Callable | None,
                stuck_at: float | None, configs: list) -> list | BaseException:
        """Send the job and read its reports until its results or its error come (this thread waits meanwhile)."""
        from core.serve.cache import decode_results  # torch: a run is on
        remote = RemoteTrainer()
        got: dict[tuple[int, int], list] = {}
        told = False
        try:
            w.conn.send_bytes(payload)
        except OSError as e:
            raise WorkerStopped(self._stopped(w, "before it got the run")) from e
        while True:
            if remote.cancelled and not told:
                told = True
                with contextlib.suppress(OSError):  # it died: its socket's end says so below
                    w.conn.send_bytes(_dumps(("cancel", jid)))
            ready = wait([w.conn], POLL)  # a dead worker's end of the socket closes: readable, then EOF
            if w.conn in ready:
                try:
                    msg = pickle.loads(w.conn.recv_bytes())
                except (EOFError, OSError) as e:
                    raise WorkerStopped(self._stopped(w, "while training this run")) from e
                if msg[1] != jid:
                    continue  # a late message of an earlier job
                if msg[0] == "progress":
                    _, _, epoch, total, remote_epoch, packed, history = msg
                    finished = {(lo, hi): decode_results(*p, configs=configs[lo:hi]) for (lo, hi), p in packed.items()}
                    got.update(finished)
                    remote.update(remote_epoch, finished, history)
                    if progress is not None:
                        progress(epoch, total, remote)
                elif msg[0] == "done":
                    got.update({(lo, hi): decode_results(*p, configs=configs[lo:hi]) for (lo, hi), p in msg[2].items()})
                    return [r for o in owners for r in got[o]]
                elif msg[0] == "error":
                    exc = msg[2] if isinstance(msg[2], BaseException) else RuntimeError(str(msg[2]))
                    exc.add_note(f"in the training worker:\n{msg[3]}")
                    return exc
            elif not w.alive():
                raise WorkerStopped(self._stopped(w, "while training this run"))
            elif stuck_at is not None and time.monotonic() > stuck_at:
                raise WorkerStopped(f"the training worker stopped answering (pid {w.proc.pid}): this run was "
                                    "stopped and the worker replaced; please run it again")

    @staticmethod
    def _stopped(w: _Worker, when: str) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            w.proc.wait(1)
        return (f"the training worker stopped {when} (pid {w.proc.pid}, exit code {w.proc.returncode}: killed or "
                "out of memory); it was replaced, please run it again")


def pool_size(capacity: int | None) -> int:
    """Workers of this server's pool: $NNLAB_TRAIN_WORKERS (0: off), at most one per training slot (the queue's
    ``capacity``); each costs about 300 MB. A merged run that finds no worker free trains in the server."""
    n = settings.train_workers()
    return min(n, capacity) if capacity and n > 0 else max(0, n)


_POOL: Pool | None = None
_POOL_LOCK = threading.Lock()


def pool(capacity: int | None) -> Pool | None:
    """The one pool of this server process (None when $NNLAB_TRAIN_WORKERS is off); stopped at exit."""
    global _POOL
    size = pool_size(capacity)
    if size <= 0:
        return None
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = Pool(size)
            _POOL.start()
            atexit.register(close)
        return _POOL


def close() -> None:
    """Stop this process's pool (if any)."""
    global _POOL
    with _POOL_LOCK:
        p, _POOL = _POOL, None
    if p is not None:
        p.close()
