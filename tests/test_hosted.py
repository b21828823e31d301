"""Hosted mode: request caps, upload caps, and the fair training queue (bound, fairness, positions, floods)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from core import settings
from core.engine import TrainConfig
from core.serve import caps, memory
from core.serve import queue as squeue
from core.serve.queue import FairQueue, Superseded
from core.tuning import SearchSpace
from core.xor import SeedStudyConfig, XorCompareConfig
from core.xor.playground import PlaygroundConfig
from tests.conftest import ROOT

CAPS = settings.HOSTED


# ---- caps -------------------------------------------------------------------------------------------
def test_defaults_fit_the_hosted_caps():
    for cfg in (TrainConfig(), SeedStudyConfig(), XorCompareConfig(), PlaygroundConfig(), SearchSpace()):
        assert caps.check_request(cfg, CAPS) is None, cfg


@pytest.mark.parametrize("cfg, field, cap", [
    (TrainConfig(epochs=CAPS.max_epochs + 1), "epochs", CAPS.max_epochs),
    (XorCompareConfig(numpy_epochs=CAPS.max_epochs + 1), "numpy_epochs", CAPS.max_epochs),
    (TrainConfig(hidden=(CAPS.max_width + 1,)), "hidden", CAPS.max_width),
    (TrainConfig(hidden=(4,) * (CAPS.max_layers + 1)), "hidden", CAPS.max_layers),
    (SeedStudyConfig(n_seeds=CAPS.max_seeds + 1), "n_seeds", CAPS.max_seeds),
])
def test_a_capped_field_is_named_with_its_cap(cfg, field, cap):
    msg = caps.check_request(cfg, CAPS)
    assert msg is not None and msg.startswith(f"{field}:") and f"{cap:,}" in msg
    with pytest.raises(caps.LimitError) as e:
        caps.enforce(cfg, CAPS)
    assert e.value.field == field


def test_trials_and_model_count_are_capped():
    from dataclasses import dataclass

    from core.config import Config, param

    @dataclass(frozen=True)
    class Study(Config):
        n_trials: int = param(10, lo=1, hi=10**9, cap="trials")  # the cap is declared on the field

    assert "n_trials" in caps.check_request(Study(n_trials=CAPS.max_trials + 1), CAPS)
    assert caps.check_request(Study(n_trials=CAPS.max_trials), CAPS) is None
    many = [TrainConfig(seed=s) for s in range(CAPS.max_seeds + 1)]
    assert caps.check_request(many, CAPS).startswith("seeds: 101 networks")


def test_laptop_caps_are_looser_and_the_env_switches(monkeypatch):
    big = TrainConfig(hidden=(512,), epochs=3000)
    assert caps.check_request(big) is None  # laptop
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    assert "hidden" in caps.check_request(big)
    assert squeue.max_concurrent() == 2
    monkeypatch.setenv("NNLAB_MAX_CONCURRENT", "3")
    assert squeue.max_concurrent() == 3
    monkeypatch.setenv("NNLAB_MAX_CONCURRENT", "unlimited")
    assert squeue.max_concurrent() is None
    monkeypatch.delenv("NNLAB_HOSTED")
    monkeypatch.delenv("NNLAB_MAX_CONCURRENT")
    assert squeue.max_concurrent() is None


def test_approx_bytes_counts_tensors_and_frames():
    import numpy as np
    import pandas as pd
    import torch
    assert memory.approx_bytes(torch.zeros(1000)) == 4000
    assert memory.approx_bytes(np.zeros(1000)) == 8000
    assert memory.approx_bytes([torch.zeros(1000), pd.DataFrame({"a": np.zeros(1000)})]) > 12_000


# ---- the queue --------------------------------------------------------------------------------------
# Every wait has a deadline: a regression fails here in seconds instead of hanging the suite.
def wait_until(pred, timeout: float = 5.0) -> None:
    """Poll ``pred`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "the queue did not get there in time (a hang?)"
        time.sleep(0.005)


def joined(t: threading.Thread, timeout: float = 5.0) -> None:
    """Join ``t``; fail if it is still running after ``timeout`` seconds."""
    t.join(timeout)
    assert not t.is_alive(), f"{t.name} is still running (a hang?)"

def run_job(q: FairQueue, session: str, order: list, hold: float, waits: dict | None = None,
            started: threading.Event | None = None) -> None:
    def on_wait(ahead, running):
        if waits is not None:
            waits.setdefault(session, []).append(ahead)
    with q.slot(session, on_wait):
        order.append(session)
        if started:
            started.set()
        time.sleep(hold)


def test_queue_never_runs_more_than_capacity():
    q = FairQueue(2, poll=0.02)
    live, peak, lock = [0], [0], threading.Lock()

    def job(i):
        with q.slot(f"s{i}"):
            with lock:
                live[0] += 1
                peak[0] = max(peak[0], live[0])
            time.sleep(0.03)
            with lock:
                live[0] -= 1

    threads = [threading.Thread(target=job, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        joined(t, 10)
    assert peak[0] == 2 and q.peak_running == 2 and q.granted_total == 8 and q.running() == 0


def test_unlimited_queue_does_not_wait():
    q = FairQueue(None)
    with q.slot("a"), q.slot("a"):  # nested on one thread passes through
        assert q.running() == 1
        inside, done = threading.Event(), threading.Event()

        def b():
            with q.slot("b"):
                inside.set()
                done.wait(5)

        other = threading.Thread(target=b)
        other.start()
        assert inside.wait(2) and q.running() == 2  # no capacity: b never waits
        done.set()
        joined(other, 2)


def test_two_busy_visitors_alternate():
    """A and B each ask again the moment their run ends: grants alternate rather than one starving."""
    q = FairQueue(1, poll=0.01)
    order: list[str] = []
    hold = threading.Event()

    def holder():
        with q.slot("first"):
            hold.wait(5)

    def visitor(name: str):
        for _ in range(4):
            with q.slot(name):
                order.append(name)
                time.sleep(0.05)

    t0 = threading.Thread(target=holder)
    t0.start()
    wait_until(lambda: q.running() >= 1)
    ta = threading.Thread(target=visitor, args=("A",))
    tb = threading.Thread(target=visitor, args=("B",))
    ta.start()
    tb.start()
    wait_until(lambda: len(q.waiting()) >= 2)  # both in line before the slot frees
    hold.set()
    for t in (t0, ta, tb):
        joined(t, 10)
    assert sorted(order) == ["A"] * 4 + ["B"] * 4
    assert all(x != y for x, y in zip(order, order[1:])), order  # A B A B ...


def test_waiters_learn_their_position():
    q = FairQueue(1, poll=0.01)
    order: list[str] = []
    waits: dict[str, list[int]] = {}
    hold = threading.Event()

    def holder():
        with q.slot("first"):
            hold.wait(5)

    t0 = threading.Thread(target=holder)
    t0.start()
    wait_until(lambda: q.running() >= 1)
    threads = []
    for name in ("second", "third", "fourth"):
        t = threading.Thread(target=run_job, args=(q, name, order, 0.01, waits))
        t.start()
        threads.append(t)
        wait_until(lambda name=name: name in q.waiting())
    assert q.waiting() == ["second", "third", "fourth"]
    time.sleep(0.05)
    hold.set()
    for t in [t0, *threads]:
        joined(t, 5)
    assert order == ["second", "third", "fourth"]  # first come, first served
    assert waits["second"][0] == 0 and waits["third"][0] == 1 and waits["fourth"][0] == 2
    assert 1 in waits["fourth"]  # it saw the line move up (its last look, 0 ahead, may come after its turn)


def test_a_flood_from_one_session_keeps_one_place():
    """One visitor reruns 20 times while waiting: it never holds more than one place, and the
    other visitor in line is served before the flooding visitor's latest request."""
    q = FairQueue(1, poll=0.01)
    order: list[str] = []
    hold = threading.Event()
    outcomes: list[str] = []

    def holder():
        with q.slot("busy"):
            hold.wait(5)

    def flood_request(i):
        try:
            with q.slot("flood"):
                order.append(f"flood{i}")
            outcomes.append("ran")
        except Superseded:
            outcomes.append("superseded")

    t0 = threading.Thread(target=holder)
    t0.start()
    wait_until(lambda: q.running() >= 1)
    tb = threading.Thread(target=run_job, args=(q, "other", order, 0.0))
    tb.start()
    wait_until(lambda: "other" in q.waiting())
    floods = []
    for i in range(20):
        t = threading.Thread(target=flood_request, args=(i,))
        t.start()
        floods.append(t)
        time.sleep(0.005)
        assert q.waiting().count("flood") <= 1
    time.sleep(0.05)
    assert q.waiting() == ["other", "flood"]
    hold.set()
    for t in [t0, tb, *floods]:
        joined(t, 5)
    assert order == ["other", "flood19"]  # only the latest request ran, after the visitor ahead of it
    assert outcomes.count("ran") == 1 and outcomes.count("superseded") == 19
    assert q.superseded_total == 19 and q.running() == 0 and q.waiting() == []


def test_a_waiter_that_leaves_frees_its_place():
    q = FairQueue(1, poll=0.01)
    hold = threading.Event()

    class Gone(Exception):
        pass

    def holder():
        with q.slot("busy"):
            hold.wait(5)

    def impatient(ahead, running):
        raise Gone  # e.g. Streamlit stopping a stale script run

    t0 = threading.Thread(target=holder)
    t0.start()
    wait_until(lambda: q.running() >= 1)
    with pytest.raises(Gone), q.slot("leaver", impatient):
        pass
    assert q.waiting() == ["leaver"]  # kept a moment for a rerun of the same visitor
    order: list[str] = []
    tn = threading.Thread(target=run_job, args=(q, "next", order, 0.0))
    tn.start()
    wait_until(lambda: "next" in q.waiting())
    tl = threading.Thread(target=run_job, args=(q, "leaver", order, 0.0))  # the rerun comes back
    tl.start()
    time.sleep(0.05)
    assert q.waiting() == ["leaver", "next"]  # back in its old place, not behind "next"
    hold.set()
    for t in (t0, tn, tl):
        joined(t, 5)
    assert order == ["leaver", "next"]


def test_a_place_nobody_comes_back_for_is_dropped():
    q = FairQueue(1, poll=0.01, grace=0.05)
    hold = threading.Event()

    def holder():
        with q.slot("busy"):
            hold.wait(5)

    t0 = threading.Thread(target=holder)
    t0.start()
    wait_until(lambda: q.running() >= 1)
    with pytest.raises(KeyboardInterrupt), q.slot("gone", lambda a, r: (_ for _ in ()).throw(KeyboardInterrupt)):
        pass
    order: list[str] = []
    tn = threading.Thread(target=run_job, args=(q, "next", order, 0.0))
    tn.start()
    time.sleep(0.15)
    assert q.waiting() == ["next"]  # "gone" expired
    hold.set()
    joined(t0, 5)
    joined(tn, 5)
    assert order == ["next"] and q.running() == 0


# ---- wired into the pages ---------------------------------------------------------------------------
def test_hosted_page_says_which_cap_a_link_breaks(monkeypatch):
    """A shared link asking for more seeds than a hosted server allows: the default there, one clear notice."""
    from streamlit.testing.v1 import AppTest

    from core.engine import guard

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(guard, "_current", [None])  # app.py installs the guard; restored after the test
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"tab": "seeds", "s_n_seeds": "150", "s_epochs": "50"})
    at.run()
    at.switch_page("app_pages/xor_lab.py")
    at.run()
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "n_seeds: 150 seeds is over this server's cap of 100 seeds" in notices


def test_trainer_guard_queues_page_training(monkeypatch):
    """Every Trainer.run inside a page goes through the shared queue (a slot is held while it trains)."""
    from core.engine import guard

    seen = []
    q = FairQueue(1)
    monkeypatch.setattr(squeue, "_QUEUE", q)
    real = FairQueue.slot

    def spy(self, session_id, on_wait=None):
        seen.append(session_id)
        return real(self, session_id, on_wait)

    monkeypatch.setattr(FairQueue, "slot", spy)
    monkeypatch.setattr(guard, "_current", [None])  # app.py installs the guard at start: no import does
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"tab": "seeds", "s_first_seed": "777", "s_n_seeds": "3", "s_epochs": "20"})
    at.run()  # st.navigation registers the pages (and their url paths) on a first run
    at.switch_page("app_pages/xor_lab.py")
    at.run()
    assert guard.run_guard().__name__ == "_trainer_guard"
    assert not at.exception and seen and q.granted_total >= 1 and q.running() == 0


def test_every_pages_defaults_fit_the_hosted_caps():
    """A visitor to a hosted server can run every page at its defaults (the depth study's 10 layers once could not)."""
    from core import digits, explorer

    configs = [PlaygroundConfig(), SeedStudyConfig(), XorCompareConfig(), SearchSpace(),
               explorer.CompareConfig(), explorer.DepthConfig(),
               digits.default_config("digits"), digits.default_config("mnist")]
    for cfg in configs:
        assert caps.check_request(cfg, CAPS) is None, cfg
        if hasattr(cfg, "train_configs"):  # what the training guard sees
            assert caps.check_request(cfg.train_configs(), CAPS) is None, cfg


def test_the_queue_seen_from_a_page(monkeypatch):
    """ui.common.training_slot: the waiting line is shown, a rerun's request supersedes the waiting run,
    which stops cleanly (st.stop), the rerun trains, and every slot is released."""
    from types import SimpleNamespace

    from ui import common

    class Stopped(Exception):
        pass

    shown: list[str] = []

    class Box:
        def info(self, msg, **kw):
            shown.append(msg)

        def empty(self):
            pass

    q = FairQueue(1, poll=0.01)
    monkeypatch.setattr(squeue, "_QUEUE", q)
    monkeypatch.setattr(common, "_script_ctx", lambda: SimpleNamespace(session_id="page", yield_check=lambda: None))
    monkeypatch.setattr(common.st, "empty", Box)
    monkeypatch.setattr(common.st, "stop", lambda: (_ for _ in ()).throw(Stopped()))
    hold, ran, outcome = threading.Event(), [], {}

    def holder():
        with q.slot("someone else"):
            hold.wait(5)

    def page_run(name):
        try:
            with common.training_slot():
                ran.append(name)
            outcome[name] = "trained"
        except Stopped:
            outcome[name] = "stopped"

    t0 = threading.Thread(target=holder)
    t0.start()
    wait_until(lambda: q.running() >= 1)
    first = threading.Thread(target=page_run, args=("first",))
    first.start()
    wait_until(lambda: "page" in q.waiting() and shown)
    assert shown[0].startswith("waiting: 0 runs ahead of yours (1 training now, 1 at a time on this server)")
    rerun = threading.Thread(target=page_run, args=("rerun",))
    rerun.start()
    joined(first)  # superseded: stops cleanly, no traceback, no slot
    assert outcome == {"first": "stopped"} and q.waiting() == ["page"]
    hold.set()
    joined(t0)
    joined(rerun)
    assert outcome["rerun"] == "trained" and ran == ["rerun"] and q.running() == 0 and q.waiting() == []


def test_hosted_app_hides_error_details_and_secrets_stay_out_of_git(monkeypatch):
    import subprocess

    from streamlit import config
    from streamlit.testing.v1 import AppTest

    from core.engine import guard

    monkeypatch.setattr(guard, "_current", [None])
    before = config.get_option("client.showErrorDetails")
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        assert not at.exception and config.get_option("client.showErrorDetails") == "none"
    finally:
        config.set_option("client.showErrorDetails", before)
    r = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT, timeout=30)
    assert r.returncode == 0  # ignored


def test_tuning_workers_take_training_slots_while_they_live():
    """Hosted: a worker process holds one of the server's training slots until it exits; visitors in line
    come first, and a full server starts no worker."""

    class Proc:
        def __init__(self):
            self.done = False

        def poll(self):
            return 0 if self.done else None

    q = FairQueue(2, poll=0.01)
    a = q.hold_process("worker:a", Proc)
    b = q.hold_process("worker:b", Proc)
    assert a is not None and b is not None and q.running() == 2
    assert q.hold_process("worker:c", Proc) is None  # full: nothing started
    a.done = True  # the worker exits: its slot is free again
    held = []

    def visitor():
        cm = q.slot("visitor")
        cm.__enter__()
        held.append(cm)  # keeps the slot: the context manager stays open

    t = threading.Thread(target=visitor, daemon=True)
    t.start()
    t.join(5)
    assert len(held) == 1 and q.running() == 2  # the visitor took the freed slot
    b.done = True
    assert q.hold_process("worker:d", Proc) is not None


# ---- the background MNIST reader is a training like any other: priced, and in the queue -----------------
def one_slot_queue(monkeypatch, capacity: int = 1) -> FairQueue:
    """This server's training queue, replaced by a fresh one of ``capacity`` slots for the test."""
    q = FairQueue(capacity, poll=0.01)
    monkeypatch.setattr(squeue, "_QUEUE", q)
    return q


def tiny_mnist(tmp_path, monkeypatch, n_train: int = 12):
    """A tiny fake MNIST folder, named by NNLAB_MNIST_DIR (so a server's reader trains on it)."""
    from tests.test_mnist import tiny_set, write_set

    folder = write_set(tmp_path / "mnist", tiny_set(n_train=n_train))
    monkeypatch.setenv("NNLAB_MNIST_DIR", str(folder))
    return folder


def reader_training(monkeypatch):
    """core.digits.train replaced by a stand-in that holds until released: (started, release, calls)."""
    from types import SimpleNamespace

    from core import digits

    started, release, calls = threading.Event(), threading.Event(), []

    def train(cfg, progress=None, folder=None, cache=None):
        calls.append(cfg)
        started.set()
        assert release.wait(5), "the test never released the reader's training"
        return SimpleNamespace(config=cfg)

    monkeypatch.setattr(digits, "train", train)
    from core.digits import reader  # the stand-in's result is no network: nothing to measure on held-out digits
    monkeypatch.setattr(reader, "record_held_out", lambda result, folder: None)
    return started, release, calls


def ready(reader) -> bool:
    return reader.status(start=False).state == "ready"


def test_the_mnist_reader_trains_in_a_training_slot_and_a_visitor_waits(monkeypatch, tmp_path):
    """One slot: while the reader trains, a visitor's run waits (told there is 1 run training), then runs."""
    from core.digits.reader import BackgroundReader

    q = one_slot_queue(monkeypatch)
    started, release, _ = reader_training(monkeypatch)
    tiny_mnist(tmp_path, monkeypatch)
    reader = BackgroundReader()
    assert reader.status().state == "training"
    assert started.wait(5), "the reader never started training"
    assert q.running() == 1 and q.waiting() == []  # the reader holds the one slot
    seen: list[tuple[int, int]] = []
    order: list[str] = []

    def visitor():
        with q.slot("visitor", lambda ahead, running: seen.append((ahead, running))):
            order.append("visitor")

    tv = threading.Thread(target=visitor, daemon=True)
    tv.start()
    wait_until(lambda: "visitor" in q.waiting() and seen)
    time.sleep(0.05)
    assert order == [] and seen[0] == (0, 1)  # the visitor waits: nothing ahead in line, the reader training
    assert squeue.wait_message(*seen[0], q.capacity).startswith("waiting: 0 runs ahead of yours (1 training now")
    release.set()
    joined(tv)
    wait_until(lambda: ready(reader))
    assert order == ["visitor"] and q.running() == 0 and q.waiting() == []


def test_a_visitors_run_makes_the_mnist_reader_wait_its_turn(monkeypatch, tmp_path):
    """One slot, the other way round: a visitor trains, so the reader waits in line (and says so), then trains."""
    from core.digits.reader import READER_SESSION, BackgroundReader

    q = one_slot_queue(monkeypatch)
    started, release, calls = reader_training(monkeypatch)
    tiny_mnist(tmp_path, monkeypatch)
    hold = threading.Event()

    def visitor():
        with q.slot("visitor"):
            hold.wait(5)

    tv = threading.Thread(target=visitor, daemon=True)
    tv.start()
    wait_until(lambda: q.running() == 1)
    reader = BackgroundReader()
    reader.status()
    wait_until(lambda: any(s.startswith(READER_SESSION) for s in q.waiting())
               and reader.status(start=False).ahead is not None)
    time.sleep(0.05)
    state = reader.status(start=False)
    assert state.state == "training" and state.ahead == (0, 1) and not calls and not started.is_set()
    hold.set()
    joined(tv)
    assert started.wait(5), "the reader never got the slot the visitor freed"
    assert q.running() == 1 and reader.status(start=False).ahead is None
    release.set()
    wait_until(lambda: ready(reader))
    assert q.running() == 0 and len(calls) == 1


def test_with_two_slots_the_reader_and_one_visitor_train_and_the_next_visitor_waits(monkeypatch, tmp_path):
    from core.digits.reader import BackgroundReader

    q = one_slot_queue(monkeypatch, capacity=2)
    started, release, _ = reader_training(monkeypatch)
    tiny_mnist(tmp_path, monkeypatch)
    reader = BackgroundReader()
    reader.status()
    assert started.wait(5)
    first_in, hold = threading.Event(), threading.Event()
    seen: list[tuple[int, int]] = []

    def first():
        with q.slot("first"):
            first_in.set()
            hold.wait(5)

    def second():
        with q.slot("second", lambda ahead, running: seen.append((ahead, running))):
            pass

    t1 = threading.Thread(target=first, daemon=True)
    t1.start()
    assert first_in.wait(5), "a second slot should be free beside the reader"
    t2 = threading.Thread(target=second, daemon=True)
    t2.start()
    wait_until(lambda: "second" in q.waiting() and seen)
    assert q.running() == 2 and seen[0] == (0, 2)
    assert squeue.wait_message(*seen[0], q.capacity).startswith(
        "waiting: 0 runs ahead of yours (2 training now, 2 at a time on this server)")
    release.set()
    hold.set()
    for t in (t1, t2):
        joined(t)
    wait_until(lambda: ready(reader))
    assert q.running() == 0 and q.peak_running == 2


def over_budget_reader(monkeypatch):
    """The reader's config swapped for one within every hosted cap whose price is over the budget (and the
    8x8 reader for a small one, so a page that trains it stays fast)."""
    from core import digits

    big = digits.default_config("mnist").replace(hidden=(256,) * 12, epochs=2000, batch_size=1, augment_copies=20)
    assert caps.check_request(big, CAPS) is None  # the caps alone would let it through
    small = digits.DigitsConfig(hidden=(32,), epochs=20, patience=0, augment_copies=0, batch_size=128, lr=0.01)
    monkeypatch.setattr(digits, "default_config", lambda dataset="digits": big if dataset == "mnist" else small)
    return big


def test_an_mnist_reader_over_the_budget_fails_saying_why_and_takes_no_slot(monkeypatch, tmp_path):
    from core.digits.reader import BackgroundReader

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    q = one_slot_queue(monkeypatch)
    _, release, calls = reader_training(monkeypatch)
    release.set()
    tiny_mnist(tmp_path, monkeypatch, n_train=60)
    over_budget_reader(monkeypatch)
    reader = BackgroundReader()
    reader.status()
    wait_until(lambda: reader.status(start=False).state != "training")
    state = reader.status(start=False)
    assert state.state == "failed" and state.over_budget
    assert state.error.startswith("its price is over this server's budget (about ")
    assert "this server allows 60 s per run" in state.error and "fewer epochs" not in state.error
    assert not calls and q.granted_total == 0 and q.running() == 0
    state.started -= 3600  # a failure by price is not retried: the same files cost the same
    assert reader.status() is state and not calls


def test_the_reader_is_priced_from_the_files_headers(tmp_path):
    import gzip

    from core.digits.reader import MnistHere, mnist_rows
    from tests.test_mnist import tiny_set, write_set

    gz = write_set(tmp_path / "gz", tiny_set(n_train=12, n_test=5))
    plain = write_set(tmp_path / "plain", tiny_set(n_train=7, n_test=3), gz=False)
    assert mnist_rows(MnistHere(str(gz), "here")) == (12, 5)
    assert mnist_rows(MnistHere(str(plain), "here")) == (7, 3)
    (gz / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\0\0"))  # a header cut short
    assert mnist_rows(MnistHere(str(gz), "here")) is None


def test_the_read_tab_says_why_the_mnist_reader_is_not_trained(monkeypatch, tmp_path):
    """Hosted, MNIST here, the reader over the budget: the Read tab says so (and the built-in reader answers)."""
    from streamlit.testing.v1 import AppTest

    from core.digits.reader import READER
    from core.engine import guard

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(guard, "_current", [None])  # app.py installs the guard; restored after the test
    one_slot_queue(monkeypatch, capacity=2)
    tiny_mnist(tmp_path, monkeypatch, n_train=60)
    over_budget_reader(monkeypatch)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["tab"] = "read"
    at.run()
    at.switch_page("app_pages/digit_recognizer.py")
    at.run()
    wait_until(lambda: READER.status(start=False).state != "training", timeout=10)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(str(w.value) for w in at.warning)
    assert "MNIST-format reader** is not trained on this server: its price is over this server's budget" in said
    assert "this server allows 60 s per run" in said and "The built-in reader answers" in said


def full_size_headers(folder: Path, train: int = 60_000, test: int = 10_000) -> Path:
    """MNIST's four files as headers alone (the reader is priced from them; nothing else is read)."""
    import struct

    folder.mkdir(parents=True, exist_ok=True)
    for stem, n in (("train-images-idx3-ubyte", train), ("t10k-images-idx3-ubyte", test)):
        (folder / stem).write_bytes(struct.pack(">IIII", 2051, n, 28, 28))
    for stem, n in (("train-labels-idx1-ubyte", train), ("t10k-labels-idx1-ubyte", test)):
        (folder / stem).write_bytes(struct.pack(">II", 2049, n))
    return folder


def test_a_hosted_reader_on_all_of_mnist_trains_on_as_many_digits_as_the_budget_allows(monkeypatch, tmp_path):
    """All of MNIST is over a hosted server's budget (about 10 min of CPU and 3 GB): the reader takes the
    largest training subset that fits, but none of the shipped sample's size or less (the built-in reader
    learned from as many): here none fits, so nothing trains; a laptop trains on all of it."""
    from core import digits
    from core.digits.reader import TRAIN_LIMITS, mnist_here, reader_config, reader_over_budget

    monkeypatch.setenv("NNLAB_MNIST_DIR", str(full_size_headers(tmp_path / "mnist")))
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    here = mnist_here()
    assert reader_over_budget(digits.default_config("mnist"), here)
    cfg, why = reader_config(here)
    assert min(n for n in TRAIN_LIMITS if n) > 4_000  # the built-in reader's training digits
    assert why is not None and all(reader_over_budget(cfg.replace(train_limit=n), here) for n in TRAIN_LIMITS)
    monkeypatch.delenv("NNLAB_HOSTED")
    assert reader_config(here) == (cfg.replace(train_limit=0), None)


def test_a_hosted_read_tab_never_names_the_servers_mnist_folder(monkeypatch, tmp_path):
    """The reader's status line says where MNIST came from on a laptop; hosted, not the server's paths."""
    from streamlit.testing.v1 import AppTest

    from core.digits import reader
    from core.digits.reader import ReaderState

    secret = "NNLAB_MNIST_DIR (/srv/secret/mnist)"
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(reader.READER, "status", lambda start=True: ReaderState("training", where=secret,
                                                                                  train_limit=2000))

    def page() -> None:
        from ui import digits as ud

        ud.best_reader()

    for hosted_on, shown in (("1", False), ("", True)):
        monkeypatch.setenv("NNLAB_HOSTED", hosted_on)
        at = AppTest.from_function(page, default_timeout=120).run()
        assert not at.exception, [e.value for e in at.exception]
        said = " ".join(str(i.value) for i in at.info)
        assert "first 2,000 training digits of MNIST" in said and (secret in said) == shown


def test_the_server_freezes_its_start_up_heap_once_and_only_with_torch_loaded(monkeypatch):
    """app.py calls freeze_startup_heap() after each run: the first with torch loaded moves the objects alive
    out of the cyclic collector's walks; later calls do nothing."""
    import gc
    import sys

    import torch  # noqa: F401  (loaded, as after any training page)

    from core.serve import memory

    monkeypatch.setattr(memory, "_frozen", False)
    monkeypatch.delitem(sys.modules, "torch")
    assert memory.freeze_startup_heap() is False and not memory._frozen
    monkeypatch.undo()
    monkeypatch.setattr(memory, "_frozen", False)
    try:
        assert memory.freeze_startup_heap() is True
        assert gc.get_freeze_count() > 10_000
        assert memory.freeze_startup_heap() is False
    finally:
        gc.unfreeze()
