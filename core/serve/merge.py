"""Runs of one shape train together: visitors' requests that can share one stacked run are trained as one.

A request reaches :meth:`Merger.join` from the engine's ``fit()`` (through its merge point, which a shared
server installs): a list of models of one shape on one data set. Requests with the same key (what the
models share: layer sizes, batch, loss, optimiser, the data's contents and the evaluation schedule asked
for) wait together in a batch; the batch takes ONE place in the fair training queue and, once it has a
slot, trains every waiting request as one stack (``fit(..., owners=...)``), which gives each model
exactly the numbers it would have had alone. Each visitor gets its own results, its own live progress
(called on its own thread), and its results as soon as its own models have stopped.

The batch trains on a thread of its own (or, with ``$NNLAB_TRAIN_WORKERS``, in a worker process that thread
follows: core.serve.workers): a visitor who leaves does not stop the others' run (when every visitor of a
batch has left, it stops). It is priced as what it costs: each part it trains on a core of its own
(core.engine.cores.merged_plan) within one run's CPU budget, all its models together within one run's memory;
a request that would take it over starts a new batch.

Nothing here names a page: the key is read from the models (TrainConfigs) and the data's contents.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core import settings
from core.serve import price, workers
from core.serve.queue import FairQueue, WaitFn, training_queue

WINDOW = 0.25  # seconds a new batch waits for others of its shape even when a slot is free
# ... unless (a server's merger, lone_start) no other visitor's run is waiting or training and none asked for one
# in RECENT_SECONDS: a lone visitor's batch starts at once (measured: its result came 0.4-0.5 s later with merging
# on than off). Not at the first request of any class: a class already at work keeps its first batch's window,
# which lets that batch fill (the first of a class starting alone left a batch of 29: p95 19x vs 15x, one run).
RECENT_SECONDS = 30.0
# ... and it waits on while the class keeps arriving: until no new request joined it for QUIET seconds, at most
# MAX_WINDOW in all (a class's 30 visitors reached their fit() over 0.6-0.9 s, their pages' work on one Python
# lock: a fixed window split them into batches of 10 and 20 that trained side by side, 12 s against 6.4 s as one)
QUIET = 0.2
MAX_WINDOW = 1.5
# the visitors' live views of one merged run share the server's one Python lock with its training: each
# visitor draws at most every (its last draw's seconds x visitors / DRAW_SHARE), so all their drawing
# together takes about this share of the time (measured 2026-12-05: 5 Digit Recognizer visitors each
# redrawing their curves every 0.25 s kept the run's thread waiting; their result came 19 s after asking)
DRAW_SHARE = 0.25
REPORT_SECONDS = 0.25  # a visitor's live view is redrawn at most this often (the engine's own rate)
PER_MODEL = ("seed", "activation", "init", "lr", "momentum", "l1", "l2", "dropout", "epochs", "patience")


def data_fingerprint(data: Any) -> str:
    """A hash of a Dataset's contents (train, test, validation rows and targets), its task and outputs."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{data.task}|{data.n_outputs}".encode())
    for name in ("X_train", "y_train", "X_test", "y_test", "X_val", "y_val"):
        t = getattr(data, name, None)
        h.update(name.encode())
        if t is not None:
            h.update(str((tuple(t.shape), str(t.dtype))).encode())
            h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()


def mergeable(configs: Sequence[Any], data: Any) -> bool:
    """Whether a request can train in a merged run and get exactly its own numbers: an MLP stack whose
    every model computes the same bits at any place of a stack (core.engine.stack.stacks_exactly)."""
    from core.engine.conv import is_cnn
    from core.engine.stack import stacks_exactly

    return bool(configs) and not is_cnn(configs[0]) and stacks_exactly(configs, data.task)


def merge_key(configs: Sequence[Any], data: Any, eval_every: int | None, log_every: int = 1) -> tuple:
    """What requests must share to train as one stack: every field but the per-model ones, the config's
    type, the data's contents and the evaluation schedule asked for."""
    c = configs[0]
    shared = tuple((f.name, getattr(c, f.name)) for f in dataclasses.fields(c) if f.name not in PER_MODEL)
    return (type(c).__qualname__, shared, data_fingerprint(data), eval_every, log_every)


@dataclass(eq=False)
class _Member:
    session: str
    configs: tuple
    progress: Callable | None
    ids: list[int] = field(default_factory=list)  # the models' indices in the batch's stack
    results: list | None = None
    left: bool = False


@dataclass(eq=False)
class Batch:
    """Requests of one key trained as one stack; ``state``: open (taking requests), running, done."""

    key: tuple
    data: Any
    eval_every: int | None
    id: int
    members: list[_Member] = field(default_factory=list)
    state: str = "open"
    price: Any = None
    error: BaseException | None = None
    place: tuple[int, int] = (0, 0)  # (runs ahead of it in the queue, runs training)
    epoch: int = 0
    version: int = 0
    trainer: Any = None
    seconds: float = 0.0
    wait: float = WINDOW  # seconds it waits for others of its key before asking for a slot
    last_join: float = field(default_factory=time.monotonic)  # when its last request joined

    @property
    def visitors(self) -> int:
        return len({m.session for m in self.members})

    def configs(self) -> list:
        return [c for m in self.members for c in m.configs]


def epoch_of(trainer: Any, ids: list[int]) -> int:
    """The epoch the models ``ids`` have reached (a run split over cores, core.engine.fitting.MergedParts,
    trains its parts at their own pace)."""
    from core.engine.fitting import MergedParts  # torch: a trainer exists, so it is loaded

    return trainer.epoch_of(ids) if isinstance(trainer, MergedParts) else int(trainer.epoch)


class _View:
    """What a visitor's progress callback sees of the merged run: its own models, by its own indices."""

    def __init__(self, trainer: Any, ids: list[int], configs: tuple) -> None:
        self._tr, self._ids, self.configs = trainer, ids, list(configs)
        self.K = len(ids)
        self.epoch = epoch_of(trainer, ids)

    def history(self, k: int | None = None) -> Any:
        if k is None:
            import pandas as pd

            parts = [self._tr.history(i).assign(model=j) for j, i in enumerate(self._ids)]
            return pd.concat(parts, ignore_index=True)
        return self._tr.history(self._ids[k])


class Merger:
    """Batches of requests of one shape, each trained as one stack holding one place in ``queue``."""

    def __init__(self, queue: FairQueue | None = None, window: float = WINDOW,
                 pool: workers.Pool | None = None, lone_start: bool = False) -> None:
        self.queue = queue
        self.window = window
        self.lone_start = lone_start  # a batch starts without the window when no other visitor's run is in
        self._asking: dict[str, int] = {}  # session -> its requests waiting or training now
        self._asked: dict[str, float] = {}  # session -> when it last asked for a run
        self.pool = pool  # None: this server's worker pool when $NNLAB_TRAIN_WORKERS is on (core.serve.workers)
        self._cond = threading.Condition()
        self._light = threading.Lock()  # held by the batch training whose step is interpreter-bound (gil_bound)
        self._open: dict[tuple, list[Batch]] = {}
        self._ids = itertools.count(1)
        self.batches_run = 0
        self.requests_merged = 0  # requests that shared their run with another visitor's

    def join(self, session: str, configs: Sequence[Any], data: Any, progress: Callable | None = None,
             eval_every: int | None = None, on_wait: WaitFn | None = None,
             on_start: Callable[[int], None] | None = None, log_every: int = 1) -> tuple[list, int]:
        """Train ``configs`` (one visitor's stack) in a batch with others of its key: (results, other
        visitors it trained with). ``on_wait(ahead, running)`` while the batch waits (it may raise to
        leave), ``on_start(others)`` when it starts; ``progress`` as fit's, with this visitor's models."""
        key = merge_key(configs, data, eval_every, log_every)
        me = _Member(session, tuple(configs), progress)
        with self._cond:
            batch = self._place(key, me, data, eval_every)
            self._asking[session] = self._asking.get(session, 0) + 1
        try:
            last_place, last_call, seen, started, next_draw = None, 0.0, 0, False, 0.0
            try:
                while True:
                    with self._cond:
                        if me.results is not None or batch.state == "done":
                            break
                        state, place, version = batch.state, batch.place, batch.version
                        if state == "open":
                            self._cond.wait(0.25)
                    now = time.monotonic()
                    if state == "open":
                        if on_wait is not None and (place != last_place or now - last_call >= 0.5):
                            last_place, last_call = place, now
                            on_wait(*place)
                        continue
                    if not started:
                        started = True
                        if on_start is not None:
                            on_start(batch.visitors - 1)
                    if version != seen and me.progress is not None and batch.trainer is not None and now >= next_draw:
                        seen = version
                        total = max(c.epochs for c in me.configs)
                        t0 = time.perf_counter()
                        with contextlib.suppress(Exception):  # a view read while the run moves on: the next one draws
                            view = _View(batch.trainer, me.ids, me.configs)
                        me.progress(min(view.epoch, total), total, view)
                        drawn = time.perf_counter() - t0
                        next_draw = time.monotonic() + max(REPORT_SECONDS, drawn * batch.visitors / DRAW_SHARE)
                    elif on_wait is not None and now - last_call >= 0.5:
                        last_call = now
                        on_wait(-1, -1)  # running: lets the caller notice a closed tab
                    with self._cond:
                        if me.results is None and batch.state != "done":
                            self._cond.wait(0.25)
            except BaseException:
                self._leave(batch, me)
                raise
            if me.results is not None and seen == 0 and me.progress is not None and batch.trainer is not None:
                total = max(c.epochs for c in me.configs)  # results before any live view was drawn (a quick run,
                with contextlib.suppress(Exception):  # or its part ended first): its last state, once
                    view = _View(batch.trainer, me.ids, me.configs)
                    me.progress(min(view.epoch, total), total, view)
            if batch.error is not None and me.results is None:
                raise batch.error
            assert me.results is not None
            return me.results, batch.visitors - 1
        finally:
            with self._cond:
                left = self._asking.get(session, 1) - 1
                if left > 0:
                    self._asking[session] = left
                else:
                    self._asking.pop(session, None)

    # ---- batches -------------------------------------------------------------------------------
    def _place(self, key: tuple, me: _Member, data: Any, eval_every: int | None) -> Batch:
        """The open batch of this key that can take ``me`` within one run's budget, else a new one."""
        now = time.monotonic()
        self._asked = {s: t for s, t in self._asked.items() if now - t < RECENT_SECONDS}
        alone = self.lone_start and not any(s != me.session for s in (*self._asking, *self._asked))
        self._asked[me.session] = now
        for batch in self._open.get(key, []):
            if batch.state == "open" and self._fits([*(m.configs for m in batch.members), me.configs], data):
                batch.members.append(me)
                batch.last_join = now
                self._cond.notify_all()
                return batch
        batch = Batch(key, data, eval_every, next(self._ids), [me], wait=0.0 if alone else self.window)
        self._open.setdefault(key, []).append(batch)
        threading.Thread(target=self._run, args=(batch,), name=f"nnlab-merged-{batch.id}", daemon=True).start()
        return batch

    def _fits(self, requests: Sequence[Sequence[Any]], data: Any) -> bool:
        """Whether one batch of these requests (each a visitor's configs) on ``data`` is within one run's budget
        (core.serve.price.batch_fits: each part a core trains; in a worker, over its pool's share of the cores)."""
        pool = self._pool()
        return price.batch_fits(requests, data, cores=None if pool is None else pool.cores)

    def _leave(self, batch: Batch, me: _Member) -> None:
        with self._cond:
            me.left = True
            if batch.state == "open" and me in batch.members:
                batch.members.remove(me)
            if batch.state == "running" and batch.trainer is not None and all(m.left for m in batch.members):
                batch.trainer.cancelled = True  # nobody waits for it any more
            self._cond.notify_all()

    def _run(self, batch: Batch) -> None:
        """The batch's own thread: wait the window and a slot, then train every request as one stack."""
        _local.batch = True
        self._window(batch)
        queue = self.queue or training_queue()

        def on_wait(ahead: int, running: int) -> None:
            with self._cond:
                batch.place = (ahead, running)
                self._cond.notify_all()
        light = None
        try:
            light = self._take_light(batch, queue, on_wait)
            with queue.slot(f"merged:{batch.id}", on_wait):
                with self._cond:
                    batch.state = "running"
                    self._open[batch.key].remove(batch)
                    if not self._open[batch.key]:
                        del self._open[batch.key]
                    members = [m for m in batch.members if not m.left]
                    batch.members = members
                    self._cond.notify_all()
                if members:
                    self._train(batch, members)
        except BaseException as e:  # noqa: BLE001 - handed to every waiting visitor
            batch.error = e
        finally:
            if light is not None:
                light.release()
            with self._cond:
                batch.state = "done"
                if batch.key in self._open and batch in self._open[batch.key]:
                    self._open[batch.key].remove(batch)
                self._cond.notify_all()

    def _pool(self) -> workers.Pool | None:
        """The worker pool merged runs train in: this merger's, else the server's when $NNLAB_TRAIN_WORKERS is on."""
        return self.pool or workers.pool((self.queue or training_queue()).capacity)

    def _window(self, batch: Batch) -> None:
        """Wait the batch's window, and on while requests keep joining it (QUIET, at most MAX_WINDOW)."""
        if batch.wait <= 0:
            return
        start = time.monotonic()
        time.sleep(batch.wait)
        self._quiet(batch, start)

    def _quiet(self, batch: Batch, start: float) -> None:
        """Wait until no request joined the batch for QUIET seconds, at most MAX_WINDOW after ``start``."""
        while True:
            now = time.monotonic()
            with self._cond:
                quiet = now - batch.last_join
            if quiet >= QUIET or now - start >= MAX_WINDOW:
                return
            time.sleep(min(QUIET - quiet, MAX_WINDOW - (now - start)))

    def _take_light(self, batch: Batch, queue: FairQueue, on_wait: Callable[[int, int], None]) -> Any:
        """For a batch whose step is interpreter-bound (core.engine.cores.gil_bound) training in this process:
        this merger's lock for such batches, waited for while the batch stays open (a class's requests that
        arrive meanwhile join it); None for any other batch. Two such runs side by side take turns on Python's
        lock instead of using two cores, each several times slower than one after the other."""
        from core.engine.cores import gil_bound

        with self._cond:
            configs = batch.configs()
        if not configs or self._pool() is not None or not gil_bound(configs, batch.data):
            return None
        if self._light.acquire(blocking=False):
            return self._light
        while not self._light.acquire(timeout=0.25):
            on_wait(1, queue.running())
        # the batch before it just ended, and its visitors may be about to ask for their next run (the XOR page's
        # retry, 0.06 s later, had missed the retry batch of the rest of its class: 1.8 s more at the p95)
        now = time.monotonic()
        with self._cond:
            batch.last_join = now
        self._quiet(batch, now)
        return self._light

    def _train(self, batch: Batch, members: list[_Member]) -> None:
        from core.engine import fit  # torch: only when a batch trains

        # identical requests (the same stack of configs) train once and share their results
        unique: dict[tuple, list[_Member]] = {}
        for m in members:
            unique.setdefault(m.configs, []).append(m)
        configs, owners = [], []
        watched = [any(m.progress is not None for m in ms) for ms in unique.values()]  # a live view draws it
        for stack, ms in unique.items():
            lo = len(configs)
            configs += list(stack)
            owners.append((lo, len(configs)))
            for m in ms:
                m.ids = list(range(lo, len(configs)))
        batch.price = price.request_price(configs, batch.data)
        with self._cond:  # counted as it starts: its visitors may have their results before its run ends
            self.batches_run += 1
            if batch.visitors > 1:
                self.requests_merged += len(members)
        lim = settings.limits().run_wall_seconds
        deadline = None if lim is None else time.monotonic() + lim
        t0 = time.perf_counter()

        def progress(epoch: int, total: int, trainer: Any) -> None:
            # the training thread waits for the merger's lock only to hand over results: waiting for it at every
            # report, a class's run waited on 30 visitors' wake-ups (5% of an XOR class's run, py-spy). The
            # visitors are woken to draw when the lock is free at once; else they see the new epoch at their
            # next poll (REPORT_SECONDS)
            batch.epoch, batch.trainer = epoch, trainer
            batch.version += 1
            ready = [(m, r) for m in members if m.results is None and (r := trainer.finished(m.ids)) is not None]
            if ready:  # a visitor whose models have all stopped gets its results now
                with self._cond:
                    for m, r in ready:
                        m.results = r
                    self._cond.notify_all()
            elif self._cond.acquire(blocking=False):
                try:
                    self._cond.notify_all()
                finally:
                    self._cond.release()
            if all(m.left for m in members):
                trainer.cancelled = True

        pool = self._pool()
        if pool is None:
            results = fit(configs, batch.data, progress=progress, eval_every=batch.eval_every, deadline=deadline,
                          owners=owners, log_every=batch.key[-1])
        else:  # in a worker process, off this server's Python lock; ``trainer`` is then its RemoteTrainer
            results = pool.fit(configs, batch.data, progress, batch.eval_every, deadline, owners,
                               data_key=batch.key[2], report=REPORT_SECONDS, log_every=batch.key[-1], watched=watched)
        batch.seconds = time.perf_counter() - t0
        with self._cond:
            for m in members:
                if m.results is None:
                    m.results = [results[i] for i in m.ids]
            self._cond.notify_all()


class _Local(threading.local):
    batch = False  # this thread is a batch's own


_local = _Local()


def in_batch_thread() -> bool:
    """True on a batch's own thread (its fit() trains the batch: it must not join one)."""
    return _local.batch


def hook(merger_: Merger, session: Callable[[], str | None]) -> Callable:
    """A merge point for core.engine.fitting.set_merge_point: every fit() of a thread whose ``session()``
    is not None (a visitor's) and that can merge joins a batch of ``merger_``; others train as they are."""
    def merge_point(configs, data, progress, eval_every, deadline, log_every=1):
        sid = session()
        if sid is None or in_batch_thread() or not mergeable(configs, data):
            return None
        return merger_.join(sid, configs, data, progress, eval_every, log_every=log_every)[0]
    return merge_point


_MERGER: Merger | None = None
_LOCK = threading.Lock()


def merger() -> Merger:
    """The one merger of this server process."""
    global _MERGER
    with _LOCK:
        if _MERGER is None:
            _MERGER = Merger(lone_start=True)
        return _MERGER


def shared_message(others: int) -> str:
    """The line a visitor sees when its run was trained together with others' (:data:`SHARED_RE` reads it)."""
    return f"Trained with {others} other{'s' if others != 1 else ''} in one run (runs of one shape train together)"


#: reads :func:`shared_message` back (a benchmark's simulated visitor, a test): group 1 = the others
SHARED_RE = re.compile(r"trained with (\d+) others? in one run", re.IGNORECASE)
