"""Merged runs train in worker processes (core.serve.workers): the same bits, progress, cancel, a dead worker."""

import dataclasses
import os
import pickle
import signal
import socket
import threading
import time
from multiprocessing.connection import Connection

import pytest

from core import settings
from core.datasets import gate, make_dataset
from core.engine import TrainConfig, fit
from core.serve import merge, workers
from core.serve.queue import FairQueue
from tests.test_merge import digest  # one definition of 'every number a visitor gets'


@pytest.fixture(scope="module")
def pool():
    """One worker for the module (spawning one costs a torch import)."""
    p = workers.Pool(1)
    assert p.wait_ready(120), "the worker did not start"
    yield p
    p.close()


@pytest.fixture(scope="module")
def data():
    X, y = gate("XOR")
    return make_dataset(X, y.astype("float32"), task="regression")


def stack(epochs: int, lr: float = 0.1, n: int = 5, activation: str = "tanh") -> list[TrainConfig]:
    return [TrainConfig(hidden=(4,), activation=activation, lr=lr, epochs=epochs, seed=s, loss="mse") for s in range(n)]


def owners_of(reqs: list[list]) -> list[tuple[int, int]]:
    out, lo = [], 0
    for r in reqs:
        out.append((lo, lo + len(r)))
        lo += len(r)
    return out


def test_the_pool_is_off_unless_nnlab_train_workers_says_so(monkeypatch):
    monkeypatch.delenv("NNLAB_TRAIN_WORKERS", raising=False)
    assert settings.train_workers() == 0 and workers.pool(2) is None
    monkeypatch.setenv("NNLAB_TRAIN_WORKERS", "0")
    assert workers.pool(2) is None
    monkeypatch.setenv("NNLAB_TRAIN_WORKERS", "2")
    assert workers.pool_size(2) == 2 and workers.pool_size(1) == 1 and workers.pool_size(None) == 2
    monkeypatch.setenv("NNLAB_TRAIN_WORKERS", "1")
    assert workers.pool_size(2) == 1  # a worker costs ~300 MB: a server may keep one for its two slots
    monkeypatch.setenv("NNLAB_TRAIN_WORKERS", "2")
    p = workers.pool(2)  # one per process, started at its first batch
    assert p is not None and workers.pool(2) is p
    workers.close()
    assert workers._POOL is None


def test_a_merged_batch_of_three_visitors_in_a_worker_gives_each_its_digest_alone(pool, data):
    reqs = [stack(400), stack(1500, 0.05), stack(6000, activation="gelu")]
    alone = [digest(fit(r, data)) for r in reqs]
    m = merge.Merger(FairQueue(1), window=0.5, pool=pool)
    before = pool.in_workers
    out: dict[int, tuple] = {}
    errors: list = []
    events: list[tuple] = []

    def visitor(i: int) -> None:
        seen: list = []

        def progress(epoch, total, view):
            rows = len(view.history(0))  # a live curve: histories of small owners come with each report
            seen.append((epoch, total, view.K, rows))
            events.append(("progress", i, epoch))
        try:
            res, others = m.join(f"v{i}", reqs[i], data, progress=progress)
            events.append(("done", i, None))
            assert all(r.config is c for r, c in zip(res, reqs[i]))  # the server's configs, not rebuilt copies
            out[i] = (digest(res), others, seen)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    for _ in range(100):  # its visitors may have their results before the run's last message is read
        if pool.in_workers > before:
            break
        time.sleep(0.05)
    assert m.batches_run == 1 and pool.in_workers == before + 1  # one run, trained in the worker
    for i in range(3):
        d, others, seen = out[i]
        assert d == alone[i]  # bit for bit its run alone
        assert others == 2
        assert all(k == 5 and total == reqs[i][0].epochs and rows > 0 for _, total, k, rows in seen)
        assert seen or i == 0  # the shortest may be done before the first report
    # the first visitor (400 epochs) had its results while the last one's run went on
    first_done = events.index(("done", 0, None))
    assert any(e[0] == "progress" and e[1] == 2 and e[2] > 400 for e in events[first_done:])


def test_a_worker_splits_a_merged_run_over_its_pools_share_of_the_cores(monkeypatch, data):
    """A pool's workers share the machine's cores (one worker on 2 cores trained a class's merged run on one); each
    job tells its worker how many, and the engine splits the run over them there."""
    from core.engine import cores

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert [workers.Pool(n).cores for n in (1, 2, 3, 8)] == [4, 2, 1, 1]  # no worker is started by this
    monkeypatch.setattr(cores, "MERGED_CORES", None)
    seen = []

    def fake_fit(configs, data_, **kwargs):  # what the worker's fit sees: the job's cores
        seen.append(cores.MERGED_CORES)
        raise RuntimeError("recorded")
    ours, theirs = socket.socketpair()
    conn, back = Connection(ours.detach()), Connection(theirs.detach())
    job = {"id": 7, "configs": stack(5), "owners": [(0, 5)], "report": 0.25, "seconds_left": None,
           "eval_every": None}
    for given in (2, None):
        assert workers._job(conn, {**job, "cores": given}, data, fake_fit, []) is False
        assert pickle.loads(back.recv_bytes())[0] == "error"
    assert seen == [2, 1]  # a job without it (an older server's) trains on one
    conn.close()
    back.close()


def test_two_parts_reporting_at_once_send_whole_messages(data):
    """A run split over two cores reports from each part's thread: the worker's reports must not interleave on
    its one socket (each message arrives whole), nor its reads of the server's messages."""
    import numpy as np

    class Part:  # what a part's progress hands over: a trainer whose histories are big enough to cut a write
        epoch, cancelled = 3, False

        def finished(self, ids):
            return None

        def history(self, i):
            return np.full(20_000, float(i))

    def fake_fit(configs, data_, progress=None, **kwargs):
        def part():
            for _ in range(100):
                progress(3, 3, Part())  # the last epoch: every call sends its curves
        threads = [threading.Thread(target=part) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        raise RuntimeError("parts done")
    ours, theirs = socket.socketpair()
    conn, back = Connection(ours.detach()), Connection(theirs.detach())
    got: list = []

    def read() -> None:  # until the job's last message, or a message that does not unpickle (cut by another)
        while not got or got[-1][0] not in ("error", "garbled"):
            try:
                got.append(pickle.loads(back.recv_bytes()))
            except Exception as e:  # noqa: BLE001 - what the server would read
                got.append(("garbled", e))
    job = {"id": 9, "configs": stack(5), "owners": [(0, 2), (2, 5)], "report": 0.0, "seconds_left": None,
           "eval_every": None, "cores": 2}
    threads = [threading.Thread(target=read, daemon=True),
               threading.Thread(target=workers._job, args=(conn, job, data, fake_fit, []), daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    kinds = [m[0] for m in got]
    assert "garbled" not in kinds
    assert kinds.count("progress") == 200 and kinds[-1] == "error"
    assert all(sorted(m[6]) == [0, 1, 2, 3, 4] for m in got if m[0] == "progress")
    conn.close()
    back.close()


def test_a_run_split_over_two_cores_in_a_worker_gives_each_owner_its_digest_alone(pool, monkeypatch):
    """20 Digit Recognizer runs in a worker given 2 cores train as two parts on two threads, bit for bit alone."""
    from core.digits.jobs import default_config, load_data
    from core.engine import cores

    digits = load_data(default_config("digits"))
    reqs = [[default_config("digits").replace(lr=0.002 + 0.001 * k, epochs=2)] for k in range(20)]
    flat, owners = [c for r in reqs for c in r], owners_of(reqs)
    assert len(cores.merged_plan(flat, digits, owners, cores=2)) == 2
    sent, dumps = [], workers._dumps
    monkeypatch.setattr(workers, "_dumps", lambda obj: (sent.append(obj), dumps(obj))[1])
    before, pool.cores = pool.cores, 2
    try:
        res = pool.fit(flat, digits, owners=owners)
    finally:
        pool.cores = before
    assert [m[1]["cores"] for m in sent if m[0] == "job"] == [2]
    assert [digest(res[lo:hi]) for lo, hi in owners] == [digest(fit(r, digits)) for r in reqs]


def test_owners_that_stop_early_get_their_results_from_the_worker_before_the_run_ends(pool, data):
    reqs = [stack(300), stack(3000)]
    early = []

    def progress(epoch, total, trainer):
        if trainer.finished(range(0, 5)) is not None and trainer.finished(range(5, 10)) is None:
            early.append(epoch)
    res = pool.fit([c for r in reqs for c in r], data, progress, owners=owners_of(reqs))
    assert early and min(early) < 3000
    assert digest(res[:5]) == digest(fit(reqs[0], data)) and digest(res[5:]) == digest(fit(reqs[1], data))


def test_owners_of_many_models_get_no_live_history(pool, data):
    big = stack(200, n=workers.HISTORY_MODELS + 1)
    seen = []

    def progress(epoch, total, trainer):
        try:
            trainer.history(0)
            seen.append("history")
        except LookupError:
            seen.append("none")
    res = pool.fit(big, data, progress)
    assert seen and set(seen) == {"none"}
    assert digest(res) == digest(fit(big, data))


def test_only_owners_a_live_view_watches_get_their_histories(pool, data):
    """A merged run's owners nobody watches live (no progress callback: the XOR page's retries) get no histories
    with the reports; the watched one does, and every owner's results are its own."""
    reqs = [stack(1500), stack(1500, n=3)]
    seen = {0: set(), 1: set()}

    def progress(epoch, total, trainer):
        for o, k in ((0, 0), (1, 5)):
            if trainer.finished(range(k, k + len(reqs[o]))) is None:
                try:
                    trainer.history(k)
                    seen[o].add("history")
                except LookupError:
                    seen[o].add("none")
    res = pool.fit([c for r in reqs for c in r], data, progress, owners=owners_of(reqs), report=0.05,
                   watched=[True, False])
    assert "history" in seen[0] and seen[1] == {"none"}
    assert digest(res[:5]) == digest(fit(reqs[0], data)) and digest(res[5:]) == digest(fit(reqs[1], data))


def test_a_cancelled_run_stops_in_the_worker_and_the_worker_trains_on(pool, data):
    def progress(epoch, total, trainer):
        trainer.cancelled = True  # what the merger does when every visitor has left
    res = pool.fit(stack(100_000), data, progress)
    assert max(r.history["epoch"].max() for r in res) < 100_000


def test_when_every_visitor_leaves_the_worker_stops_the_run(pool, data):
    m = merge.Merger(FairQueue(1), window=0.2, pool=pool)
    before = pool.in_workers

    class Left(Exception):
        pass

    def on_wait(ahead, running):
        if ahead < 0:  # its run is training: the visitor closes its tab
            raise Left

    def visitor(i):
        with pytest.raises(Left):
            m.join(f"gone{i}", stack(100_000, lr=0.1 + i / 100), data, on_wait=on_wait)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    end = time.monotonic() + 60  # 100,000 epochs run half a minute: only a cancel ends it this soon
    while pool.in_workers == before and time.monotonic() < end:
        time.sleep(0.1)
    assert pool.in_workers == before + 1 and m.batches_run == 1


def test_an_error_in_the_worker_is_raised_here_and_the_worker_is_kept(pool, data):
    pids, replaced = pool.pids(), pool.replaced
    with pytest.raises(ValueError, match="owners must cover"):
        pool.fit(stack(10), data, owners=[(0, 2)])
    assert pool.pids() == pids and pool.replaced == replaced


def test_a_killed_worker_fails_its_batch_clearly_and_the_next_batch_trains(pool, data):
    m = merge.Merger(FairQueue(1), window=0.2, pool=pool)
    killed = []

    def progress(epoch, total, view):
        if not killed:
            killed.append(pool.pids()[0])
            os.kill(killed[0], signal.SIGKILL)  # out of memory, say
    with pytest.raises(RuntimeError, match="the training worker stopped"):
        m.join("v", stack(100_000), data, progress=progress)
    assert pool.replaced >= 1 and killed and killed[0] not in pool.pids()
    assert pool.wait_ready(120)  # its replacement
    req = stack(500)
    before = pool.in_workers
    res, _ = m.join("w", req, data)
    assert pool.in_workers == before + 1 and digest(res) == digest(fit(req, data))


def test_a_first_run_waits_for_its_worker_to_start_and_a_pool_closes_its_workers(data):
    p = workers.Pool(1)
    req = stack(200)
    assert digest(p.fit(req, data)) == digest(fit(req, data))
    assert p.in_workers == 1 and p.here == 0  # it waited for the worker's torch import, then trained there
    assert p.worker_rss_mb() and all(mb > 50 for mb in p.worker_rss_mb())
    procs = [w.proc for w in p._workers]
    p.close()
    assert procs and all(pr.poll() is not None for pr in procs) and p.pids() == []
    assert digest(p.fit(req, data)) == digest(fit(req, data)) and p.here == 1  # closed: it trains here


def test_a_job_that_does_not_pickle_trains_here_and_a_raising_callback_leaves_the_worker_usable(pool, data):
    @dataclasses.dataclass(frozen=True)
    class Local(TrainConfig):  # a class pickle cannot find by name
        pass

    local = [Local(hidden=(4,), activation="tanh", lr=0.1, epochs=50, seed=0, loss="mse")]
    here = pool.here
    assert digest(pool.fit(local, data)) == digest(fit(local, data)) and pool.here == here + 1

    def raising(epoch, total, trainer):
        raise KeyError("the caller's own failure")
    with pytest.raises(KeyError):
        pool.fit(stack(100_000), data, raising)
    req, before = stack(300), pool.in_workers
    assert digest(pool.fit(req, data)) == digest(fit(req, data)) and pool.in_workers == before + 1


def test_results_cross_the_socket_as_a_few_arrays_without_their_configs(data):
    """What a worker sends for an owner: the cache's packed layout (one weights tensor, a tensor per history
    column) with no config in it; read back with the server's configs, every number is the same."""
    from core.serve.cache import PACKED, decode_results, pack_results

    configs = stack(300)
    res = fit(configs, data)
    tensors, meta = pack_results(res, configs=False)
    assert meta["layout"] == PACKED and len(tensors) <= 1 + len(res[0].history.columns)
    assert all("config" not in item for item in meta["results"])
    back = decode_results(tensors, meta, configs=configs)
    assert digest(back) == digest(res) and all(b.config is c for b, c in zip(back, configs))
    with pytest.raises(ValueError):
        decode_results(tensors, meta, configs=configs[:-1])
