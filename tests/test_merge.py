"""Runs of one shape train together (core.serve.merge): each visitor gets exactly its result alone."""

import dataclasses
import hashlib
import threading
import time
import types

import pytest
import torch

from core import settings
from core.datasets import gate, make_dataset
from core.digits.jobs import default_config, load_data
from core.engine import TrainConfig, fit
from core.serve import merge
from core.serve.queue import FairQueue


def digest(results) -> str:
    """Every number a visitor gets: weights, history, metrics, stop and best epochs (bit for bit)."""
    h = hashlib.sha256()
    for r in results:
        for k in sorted(r.state):
            h.update(k.encode())
            h.update(r.state[k].numpy().tobytes())
        h.update(r.history.to_numpy(dtype="float64").tobytes())
        h.update(repr(sorted(r.metrics.items())).encode())
        h.update(f"{r.stopped_epoch},{r.best_epoch},{r.diverged}".encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def digits_data():
    return load_data(default_config("digits"))


def visitors():
    """A class on the Digit Recognizer: each its own lr, dropout, epochs or early stopping; one asks for two models."""
    base = default_config("digits").replace(epochs=30, patience=3)
    return [[base.replace(lr=0.002)], [base.replace(lr=0.02)], [base.replace(dropout=0.0, patience=0, epochs=12)],
            [base.replace(lr=0.01, dropout=0.3), base.replace(lr=0.004, dropout=0.1)], [base.replace(lr=0.002)]]


def test_a_merged_run_gives_each_request_the_digests_it_has_alone(digits_data):
    reqs = visitors()
    alone = [digest(fit(r, digits_data)) for r in reqs]
    flat = [c for r in reqs for c in r]
    owners, lo = [], 0
    for r in reqs:
        owners.append((lo, lo + len(r)))
        lo += len(r)
    merged = fit(flat, digits_data, owners=owners)
    got = [digest(merged[a:b]) for a, b in owners]
    assert got == alone


def test_tanh_nets_with_their_own_lr_epochs_and_seeds_merge_bit_for_bit():
    X, y = gate("XOR")
    data = make_dataset(X, y.astype("float32"), task="regression")
    reqs = [[TrainConfig(hidden=(4,), activation=a, lr=lr, epochs=ep, seed=s, loss="mse") for s in range(5)]
            for a, lr, ep in (("tanh", 0.1, 300), ("tanh", 0.05, 200), ("gelu", 0.1, 300))]
    alone = [digest(fit(r, data)) for r in reqs]
    merged = fit([c for r in reqs for c in r], data, owners=[(0, 5), (5, 10), (10, 15)])
    assert [digest(merged[i:i + 5]) for i in (0, 5, 10)] == alone


def test_mlp_requests_of_every_activation_and_task_are_mergeable(digits_data):
    X, y = gate("XOR")  # each model's numbers are its own at any place (tests/test_merge_exact.py)
    assert merge.mergeable([TrainConfig(activation="tanh")], make_dataset(X, y, task="binary"))
    assert merge.mergeable([TrainConfig(activation="sigmoid")], digits_data)
    assert merge.mergeable([default_config("digits")], digits_data)


def test_the_queue_merges_waiting_visitors_into_one_run_and_one_who_leaves_stops_nobody(digits_data):
    reqs = visitors()
    alone = [digest(fit(r, digits_data)) for r in reqs]
    q = FairQueue(1)
    m = merge.Merger(q, window=0.5)
    out: dict[int, tuple] = {}
    errors: list = []

    class Left(Exception):
        pass

    def leaver(ahead, running):
        raise Left  # this visitor closes its tab while the batch waits

    def visitor(i, on_wait=None, r=None):
        try:
            seen = []
            res, others = m.join(f"s{i}", reqs[i if r is None else r], digits_data,
                                 progress=lambda e, t, v: seen.append((e, t, v.K)), on_wait=on_wait)
            out[i] = (digest(res), others, seen)
        except Left:
            out[i] = ("left",)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(len(reqs))]
    threads.append(threading.Thread(target=visitor, args=(len(reqs), leaver, 0)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert m.batches_run == 1 and q.granted_total == 1  # one stacked run, one place in the line
    for i in range(len(reqs)):
        d, others, seen = out[i]
        assert d == alone[i]  # exactly the result alone
        assert others == len(reqs) - 1  # the one who left is not counted
        assert seen and all(k == len(reqs[i]) for _, _, k in seen)  # its own progress, its own models
    assert out[len(reqs)] == ("left",)


def test_a_request_that_would_take_a_batch_over_its_budget_starts_another(digits_data, monkeypatch):
    monkeypatch.setattr(merge.Merger, "_fits", lambda self, requests, data: len(requests) <= 2)
    reqs = [[default_config("digits").replace(epochs=3, lr=lr)] for lr in (0.001, 0.002, 0.003)]
    m = merge.Merger(FairQueue(1), window=0.3)
    done = []
    threads = [threading.Thread(target=lambda r=r, i=i: done.append(m.join(f"v{i}", r, digits_data)[1]))
               for i, r in enumerate(reqs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert m.batches_run == 2 and sorted(done) == [0, 1, 1]


def test_a_class_of_thirty_digits_runs_is_one_batch_each_part_within_the_budget(digits_data, monkeypatch):
    """A batch is priced by the parts it trains on cores of their own: 30 Digit Recognizer runs are over one run's
    CPU budget as one stack, within it as the two parts two cores train; on one core (a worker) they are two batches."""
    from core.engine import cores
    from core.serve import price

    monkeypatch.setattr(settings, "limits", lambda: settings.HOSTED)
    base = default_config("digits")
    reqs = [[base.replace(lr=0.005 + 0.0002 * k)] for k in range(30)]
    assert price.request_price([r[0] for r in reqs], digits_data).seconds > settings.HOSTED.run_seconds
    m = merge.Merger(FairQueue(2))
    monkeypatch.setattr(cores, "MERGED_CORES", 2)
    assert m._fits(reqs, digits_data)
    assert m._fits(reqs[:3], digits_data)
    monkeypatch.setattr(cores, "MERGED_CORES", 1)
    assert not m._fits(reqs, digits_data)
    assert m._fits(reqs[:20], digits_data)
    # in a worker: over its pool's share of the cores (core.serve.workers.Pool.cores)
    assert merge.Merger(FairQueue(2), pool=types.SimpleNamespace(cores=2))._fits(reqs, digits_data)
    assert not merge.Merger(FairQueue(2), pool=types.SimpleNamespace(cores=1))._fits(reqs, digits_data)
    monkeypatch.setattr(settings, "limits", lambda: dataclasses.replace(settings.HOSTED, run_mb=1.0))
    assert not m._fits(reqs[:2], digits_data)  # memory: all its models at once, whatever the parts


def test_the_merge_key_holds_shape_and_data_not_the_per_model_fields(digits_data):
    base = default_config("digits")
    key = merge.merge_key([base], digits_data, None)
    assert key == merge.merge_key([base.replace(lr=0.1, dropout=0.0, seed=base.seed, epochs=5)], digits_data, None)
    assert key != merge.merge_key([base.replace(hidden=(64,))], digits_data, None)
    assert key != merge.merge_key([base.replace(batch_size=128)], digits_data, None)
    assert key != merge.merge_key([base], digits_data, 5)
    other = load_data(base.replace(seed=1))  # another split: other data
    assert key != merge.merge_key([base], other, None)


def test_merging_is_on_when_hosted_unless_nnlab_merge_says_otherwise(monkeypatch):
    monkeypatch.delenv("NNLAB_MERGE", raising=False)
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    assert settings.merge_on()
    monkeypatch.setenv("NNLAB_MERGE", "0")
    assert not settings.merge_on()
    monkeypatch.delenv("NNLAB_HOSTED")
    monkeypatch.setenv("NNLAB_MERGE", "1")
    assert settings.merge_on()
    monkeypatch.delenv("NNLAB_MERGE")
    assert not settings.merge_on()
    assert torch.get_num_threads() >= 1


def test_the_digit_recognizers_default_run_merges_when_hosted(monkeypatch):
    """A hosted page's request waits to merge when its loaded data is small: the 8x8 digits' loader work
    space (sklearn's parse, an augmentation chunk) is gone by then and does not count (it once kept the
    Digit Recognizer, the class's own page, from ever merging)."""
    from ui.common import _mergeable

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.delenv("NNLAB_MERGE", raising=False)
    cfg = default_config("digits")
    assert _mergeable([cfg]) and _mergeable([cfg.replace(lr=0.02), cfg.replace(lr=0.001)])
    assert not _mergeable([default_config("mnist")])  # 60,000 MNIST rows per visitor: each takes its slot
    monkeypatch.setenv("NNLAB_MERGE", "0")
    assert not _mergeable([cfg])


def test_a_visitors_live_view_of_a_merged_run_is_drawn_at_a_rate_its_cost_allows(digits_data):
    """Every visitor of a batch redraws its live view on the server's one Python lock: a view that takes
    d seconds to draw is drawn again no sooner than d x visitors / DRAW_SHARE later."""
    base = default_config("digits").replace(epochs=60, patience=0)
    reqs = [[base.replace(lr=lr)] for lr in (0.002, 0.004, 0.008)]
    m = merge.Merger(FairQueue(1), window=0.5)
    calls: dict[int, list[tuple[float, float]]] = {i: [] for i in range(len(reqs))}

    def visitor(i):
        def slow_view(epoch, total, view):
            t0 = time.monotonic()
            time.sleep(0.05)  # a chart built and sent
            calls[i].append((t0, time.monotonic()))
        m.join(f"v{i}", reqs[i], digits_data, progress=slow_view)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(len(reqs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert m.batches_run == 1 and max(len(seen) for seen in calls.values()) >= 2, calls
    assert merge.DRAW_SHARE <= 0.5  # 3 visitors x 0.05 s / 0.5: at least 0.3 s apart (the engine reports every 0.25 s)
    for seen in calls.values():
        for (s0, e0), (s1, _) in zip(seen, seen[1:]):
            assert s1 - e0 >= (e0 - s0) * len(reqs) / merge.DRAW_SHARE - 0.01


def test_a_model_that_leaves_a_merged_run_early_gets_its_share_of_the_training_time(digits_data, monkeypatch):
    """The page shows a result's training time: a visitor whose model stopped first once read "0.0 s"
    (its results were made mid-run, before the run's seconds were counted)."""
    from core.engine import fitting

    monkeypatch.setattr(fitting, "merged_plan", lambda c, d, o: [list(range(len(c)))])  # one stack
    base = default_config("digits").replace(epochs=25, patience=0)
    cfgs = [base.replace(epochs=3), *(base.replace(lr=lr) for lr in (0.002, 0.003, 0.004, 0.006))]
    t0 = time.perf_counter()
    res = fit(cfgs, digits_data, owners=[(0, 1), (1, 5)])  # two visitors, one stack; the first leaves at epoch 3
    wall = time.perf_counter() - t0
    assert 0 < res[0].seconds < min(r.seconds for r in res[1:])
    assert sum(r.seconds for r in res) <= wall  # the shares add up to the run's time, not more


def test_one_requests_stack_is_not_run_as_a_merged_one(monkeypatch):
    """A plain fit() of one stack once counted each model as its own visitor: every epoch asked which
    visitors' models were due (the XOR Lab's 100 seeds 17% slower). Only several owners make a merged run."""
    from core.engine.trainer import Trainer

    calls = []
    real = Trainer._due
    monkeypatch.setattr(Trainer, "_due", lambda self, e, t: calls.append(e) or real(self, e, t))
    X, y = gate("XOR")
    data = make_dataset(X, y, task="binary")
    cfgs = [TrainConfig(hidden=(2,), activation="sigmoid", lr=0.5, epochs=30, seed=s) for s in range(5)]
    fit(cfgs, data)
    assert calls == []
    fit(cfgs, data, owners=[(0, 2), (2, 5)])
    assert len(calls) == 30


def test_a_lone_visitor_does_not_wait_the_window_but_one_of_a_class_does(monkeypatch):
    """The server's merger (lone_start) starts a batch at once when no other visitor's run is waiting or
    training and none asked for one lately; else a new batch waits the window for the rest of a class."""
    waits = []
    real = merge.Merger._run
    monkeypatch.setattr(merge.Merger, "_run", lambda self, batch: (waits.append(batch.wait), real(self, batch))[1])
    X, y = gate("XOR")
    data = make_dataset(X, y, task="binary")
    req = [TrainConfig(hidden=(2,), activation="tanh", epochs=5, seed=1)]
    m = merge.Merger(FairQueue(1), window=0.4, lone_start=True)
    m.join("a", req, data)
    m.join("a", req, data)  # the same visitor again, nobody else: at once
    m.join("b", req, data)  # "a" asked a moment ago: a class may be at work
    assert waits == [0.0, 0.0, 0.4] and not m._asking
    monkeypatch.setattr(merge, "RECENT_SECONDS", 0.0)  # now only runs in flight count
    long = [TrainConfig(hidden=(2,), activation="tanh", epochs=20_000, seed=2)]
    first = threading.Thread(target=lambda: m.join("c", long, data))
    first.start()
    deadline = time.monotonic() + 30
    while "c" not in m._asking and time.monotonic() < deadline:
        time.sleep(0.01)
    other = [TrainConfig(hidden=(3,), activation="tanh", epochs=5, seed=1)]  # its own batch, whatever c's state
    m.join("d", other, data)  # "c" is in flight: wait for the rest of a class
    first.join(60)
    assert waits == [0.0, 0.0, 0.4, 0.0, 0.4] and not m._asking
    plain = merge.Merger(FairQueue(1), window=0.4)  # a merger of its own (tests, benchmarks) always waits
    plain.join("a", req, data)
    assert waits[-1] == 0.4
    assert merge.merger().lone_start  # the server's


def test_a_big_merged_run_splits_over_cores_by_whole_requests_and_stays_exact(digits_data, monkeypatch):
    """A class's Digit Recognizer runs train as two stacks on two cores, one thread each: each request
    whole in one, every visitor's digest still that of its run alone; XOR nets never split."""
    from core.engine import fitting
    from core.engine.cores import merged_plan

    reqs = visitors()
    flat = [c for r in reqs for c in r]
    owners, lo = [], 0
    for r in reqs:
        owners.append((lo, lo + len(r)))
        lo += len(r)
    plan = merged_plan(flat, digits_data, owners, cores=2)
    assert len(plan) == 2 and sorted(k for p in plan for k in p) == list(range(len(flat)))
    for a, b in owners:  # a request is never cut in two
        assert sum(1 for p in plan if set(range(a, b)) & set(p)) == 1
    assert merged_plan(flat, digits_data, owners, cores=1) == [list(range(len(flat)))]
    assert merged_plan(flat, digits_data, [(0, len(flat))], cores=2) == [list(range(len(flat)))]
    X, y = gate("XOR")
    xor = [TrainConfig(hidden=(4,), activation="sigmoid", lr=0.1, seed=s) for s in range(300)]
    assert len(merged_plan(xor, make_dataset(X, y, task="binary"), [(0, 100), (100, 200), (200, 300)], 2)) == 1

    seen_plans = []
    monkeypatch.setattr(fitting, "merged_plan",
                        lambda c, d, o: seen_plans.append(merged_plan(c, d, o, cores=2)) or seen_plans[-1])
    alone = [digest(fit(r, digits_data)) for r in reqs]
    merged = fit(flat, digits_data, owners=owners)
    assert len(seen_plans[-1]) == 2
    assert [digest(merged[a:b]) for a, b in owners] == alone


def test_a_visitor_in_the_quicker_part_of_a_split_run_gets_its_results_when_its_part_ends(digits_data, monkeypatch):
    from core.engine import fitting
    from core.engine.cores import merged_plan

    monkeypatch.setattr(fitting, "merged_plan", lambda c, d, o: merged_plan(c, d, o, cores=2))
    base = default_config("digits").replace(patience=0)
    quick, slow = [base.replace(epochs=2)], [base.replace(epochs=60, lr=0.002 * (i + 1)) for i in range(3)]
    m = merge.Merger(FairQueue(1), window=0.3)
    got: dict[str, tuple] = {}

    def visitor(name, req):
        views = []
        res, _ = m.join(name, req, digits_data, progress=lambda e, t, v: views.append((e, v.K)))
        got[name] = (time.monotonic(), digest(res), views)

    threads = [threading.Thread(target=visitor, args=a) for a in (("quick", quick), ("slow", slow))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert got["quick"][0] < got["slow"][0] - 0.2  # not held until the slower part ended
    assert got["quick"][1] == digest(fit(quick, digits_data)) and got["slow"][1] == digest(fit(slow, digits_data))
    assert all(e <= 2 and k == 1 for e, k in got["quick"][2])  # its own part's epochs, its own model
    assert got["slow"][2] and all(k == 3 for _, k in got["slow"][2])


def _xor_data():
    X, y = gate("XOR")
    return make_dataset(X, y, task="binary")


def test_a_batch_waits_on_while_a_class_keeps_arriving_but_not_past_its_longest_window(monkeypatch):
    """A class reaches its fit() calls over most of a second (their pages' work shares one Python lock): the
    batch's window stretches while requests keep joining (QUIET), up to MAX_WINDOW."""
    data = _xor_data()

    def class_of_three(max_window: float) -> int:
        monkeypatch.setattr(merge, "QUIET", 1.5)
        monkeypatch.setattr(merge, "MAX_WINDOW", max_window)
        m = merge.Merger(FairQueue(2), window=0.2)
        threads = []
        for i in range(3):
            req = [TrainConfig(hidden=(2,), activation="tanh", epochs=5, seed=i)]
            threads.append(threading.Thread(target=m.join, args=(f"v{i}", req, data)))
            threads[-1].start()
            time.sleep(0.5)
        for t in threads:
            t.join(60)
        return m.batches_run

    assert class_of_three(max_window=10.0) == 1  # each arrival 0.5 s after the last: one batch
    assert class_of_three(max_window=0.7) >= 2  # the longest window closed before the third came (at 1.0 s)


def test_interpreter_bound_batches_train_one_at_a_time_and_gather_the_requests_that_wait(monkeypatch):
    """Tiny nets' runs are Python's per-call overhead on one lock: two side by side each ran several times
    slower. A batch of them waits for the one training, still open: requests arriving meanwhile join it."""
    from core.engine.cores import gil_bound

    data = _xor_data()
    spans = []
    real = merge.Merger._train

    def timed(self, batch, members):
        t0 = time.monotonic()
        real(self, batch, members)
        spans.append((t0, time.monotonic(), len(members)))
    monkeypatch.setattr(merge.Merger, "_train", timed)
    long = [TrainConfig(hidden=(2,), activation="tanh", epochs=60_000, seed=0)]  # seconds: the others come meanwhile
    assert gil_bound(long, data)
    m = merge.Merger(FairQueue(2), window=0.1)
    first = threading.Thread(target=m.join, args=("a", long, data))
    first.start()
    time.sleep(0.5)
    later = []
    for i in range(3):  # same shape, each its own seed, while the first trains (a free slot in the queue)
        req = [TrainConfig(hidden=(2,), activation="tanh", epochs=50, seed=10 + i)]
        later.append(threading.Thread(target=m.join, args=(f"v{i}", req, data)))
        later[-1].start()
        time.sleep(0.3)
    for t in [first, *later]:
        t.join(120)
    spans.sort()
    assert [n for _, _, n in spans] == [1, 3]  # the three waited together for the first to end
    assert spans[1][0] >= spans[0][1]  # never side by side


def test_a_merged_run_keeps_each_activation_together_and_each_visitor_exact(digits_data):
    """Explorer-like requests (one model per activation each): merged, the stack holds one run per activation
    (it applied one per model before), and every visitor still gets its digests alone."""
    base = default_config("digits").replace(epochs=4, patience=0, dropout=0.0)
    acts = ("relu", "tanh", "sigmoid")
    reqs = [[base.replace(activation=a, seed=v) for a in acts] for v in range(4)]
    alone = [digest(fit(r, digits_data)) for r in reqs]
    groups = []
    owners = [(3 * v, 3 * v + 3) for v in range(4)]
    res = fit([c for r in reqs for c in r], digits_data, owners=owners,
              progress=lambda e, t, tr: groups.extend(len(p.stack.act_groups) for p in tr.trainers))
    assert groups and max(groups) <= len(acts)  # not one per model
    assert [digest(res[a:b]) for a, b in owners] == alone


def test_a_visitor_asking_again_just_after_its_batch_ends_joins_the_batch_that_waited_for_it(monkeypatch):
    """The XOR page asks for its retry a moment after its study's result: the retry batch that waited for the
    study's batch (interpreter-bound, one at a time) waits QUIET more, so that visitor joins it."""
    data = _xor_data()
    sizes = []
    real = merge.Merger._train
    monkeypatch.setattr(merge.Merger, "_train", lambda self, b, ms: (sizes.append(len(ms)), real(self, b, ms))[1])
    monkeypatch.setattr(merge, "QUIET", 0.6)  # 6x the page's 0.1 s: the suite's other process may slow its thread
    m = merge.Merger(FairQueue(2), window=0.1)
    study = [TrainConfig(hidden=(2,), activation="tanh", epochs=40_000, seed=0)]

    def first() -> None:
        m.join("a", study, data)
        time.sleep(0.1)  # its page draws the result, then asks for the next run
        m.join("a", [TrainConfig(hidden=(2,), activation="tanh", epochs=50, seed=5)], data)
    a = threading.Thread(target=first)
    a.start()
    time.sleep(1.0)  # the study's window (0.1 s, then QUIET) has closed: it trains
    b = threading.Thread(target=m.join, args=("b", [TrainConfig(hidden=(2,), activation="tanh", epochs=50, seed=6)],
                                             data))
    b.start()
    for t in (a, b):
        t.join(120)
    assert sizes == [1, 2]  # the study, then both next runs in one batch
