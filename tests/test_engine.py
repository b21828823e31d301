"""The core engine: configs, the batched trainer, the disk cache."""

import contextlib
import math
import threading

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from core.config import ConfigError
from core.datasets import digits_arrays, gate, make_dataset, toy_2d
from core.engine import TrainConfig, Trainer, activations, fit, shard_plan
from core.engine.models import build_mlp
from core.serve.cache import DiskCache, batch_key, cached


def xor_data():
    X, y = gate("XOR")
    return make_dataset(X, y, task="binary")


# ---- configs -------------------------------------------------------------------------------

def test_config_validation_names_field_and_range():
    with pytest.raises(ConfigError) as e:
        TrainConfig(lr=-0.1)
    assert e.value.field == "lr" and "1e-06" in str(e.value) and "10" in str(e.value)
    with pytest.raises(ConfigError) as e:
        TrainConfig(epochs=10**9)
    assert e.value.field == "epochs"
    with pytest.raises(ConfigError) as e:
        TrainConfig(hidden=(4,) * 100)
    assert e.value.field == "hidden"
    with pytest.raises(ConfigError) as e:
        TrainConfig(activation="nope")
    assert "relu" in e.value.message


def test_config_hashable_stable_key():
    a, b = TrainConfig(lr=0.1, seed=3), TrainConfig(lr=0.1, seed=3)
    assert hash(a) == hash(b) and a.key() == b.key()
    assert a.key() != a.replace(seed=4).key()
    assert len({a, b, a.replace(seed=4)}) == 2


def test_config_query_round_trip():
    cfg = TrainConfig(hidden=(8, 3), activation="tanh", lr=0.003, epochs=50, l2=1e-4, seed=7)
    q = cfg.to_query("t_")
    assert all(isinstance(v, str) for v in q.values()) and "t_seed" in q and "t_momentum" not in q
    back, notices = TrainConfig.from_query(q, "t_")
    assert back == cfg and notices == []


def test_config_query_garbage_falls_back_with_notice():
    back, notices = TrainConfig.from_query({"lr": "abc", "epochs": "1000000000", "hidden": "4,x",
                                            "activation": "relu", "unrelated": "1"})
    assert back.lr == TrainConfig().lr and back.epochs == TrainConfig().epochs
    assert back.hidden == TrainConfig().hidden and back.activation == "relu"
    assert len(notices) == 3 and any("epochs" in n for n in notices)


# ---- training ------------------------------------------------------------------------------

def plain_xornet(seed: int, epochs: int = 300):
    """The tutorial's XORNet loop, verbatim in spirit: nn.Sequential, BCELoss, torch.optim.Adam."""
    X, y = gate("XOR")
    X, y = torch.tensor(X), torch.tensor(y).view(-1, 1)
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    for _ in range(epochs):
        opt.zero_grad()
        loss = nn.BCELoss()(net(X), y)
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float(nn.BCELoss()(net(X), y))


def test_batched_matches_plain_torch_loop():
    cfgs = [TrainConfig(hidden=(4,), activation="sigmoid", lr=0.1, epochs=300, seed=s) for s in range(5)]
    res = fit(cfgs, xor_data())
    for s, r in enumerate(res):
        assert r.metrics["final_train_loss"] == pytest.approx(plain_xornet(s), abs=1e-5)


def test_batched_equals_one_by_one_with_minibatches_and_mixed_settings():
    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr[:300], ytr[:300], Xte[:100], yte[:100], task="multiclass", n_classes=10)
    base = TrainConfig(hidden=(16, 8), epochs=3, batch_size=32, lr=0.01)
    cfgs = [base.replace(seed=0), base.replace(seed=1, activation="tanh"), base.replace(seed=2, lr=0.003),
            base.replace(seed=3, activation="gelu", l2=1e-3), base.replace(seed=4, dropout=0.3)]
    together = fit(cfgs, data)
    for c, r in zip(cfgs, together):
        alone = fit([c], data)[0]
        assert r.metrics["final_test_acc"] == pytest.approx(alone.metrics["final_test_acc"], abs=1e-6)
        for k in r.state:
            torch.testing.assert_close(r.state[k], alone.state[k], atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("act", [a for a in activations.HIDDEN])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_manual_backprop_equals_autograd(act, task):
    torch.manual_seed(0)
    if task == "multiclass":
        data = make_dataset(np.random.rand(20, 5), np.random.randint(0, 3, 20), task=task, n_classes=3)
    else:
        X, y = toy_2d("circle" if task == "binary" else "plane", 20, 0.1, 0)
        data = make_dataset(X, y, task=task)
    cfgs = [TrainConfig(hidden=(6, 5), activation=act, seed=s, l1=1e-3 * s, l2=2e-3, batch_size=8) for s in range(3)]
    tr = Trainer(cfgs, data)
    assert tr.fast  # every hidden activation has its kernels
    idx = torch.stack([torch.randperm(20)[:8] for _ in range(3)])
    xb, yb = data.X_train[idx], data.y_train[idx]
    with torch.enable_grad():
        loss_a, grad_a = tr.backprop.autograd(xb, yb)
    loss_m = tr.backprop.manual(xb, yb)
    torch.testing.assert_close(loss_m, loss_a, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(tr.stack.grad, grad_a, atol=1e-6, rtol=1e-4)


def test_a_one_unit_layers_backward_multiply_has_the_bits_of_bmm():
    """backprop.Backprop._backward multiplies dz [K, B, 1] by W [K, 1, H] instead of a bmm of inner size 1:
    the same numbers (one rounded product each), checked over wide exponents and tiny values."""
    g = torch.Generator().manual_seed(0)
    for K, B, H in ((1, 4, 4), (100, 4, 4), (561, 32, 17), (3000, 4, 2)):
        dz = torch.randn(K, B, 1, generator=g) * torch.rand(K, B, 1, generator=g) ** 8
        W = torch.randn(K, 1, H, generator=g) * 10.0 ** torch.randint(-20, 20, (K, 1, H), generator=g)
        assert torch.equal(torch.mul(dz, W), torch.bmm(dz, W))


def test_manual_backprop_equals_autograd_for_a_mixed_stack_with_dropout():
    """Activation groups work on fixed views of reused buffers; dropout masks come from each model's generator."""
    torch.manual_seed(1)
    data = make_dataset(np.random.rand(40, 6), np.random.randint(0, 4, 40), task="multiclass", n_classes=4)
    acts = ["relu", "relu", "tanh", "gelu", "softplus", "sigmoid", "relu"]
    cfgs = [TrainConfig(hidden=(7, 5), activation=a, seed=s, dropout=0.3 * (s % 2), batch_size=10)
            for s, a in enumerate(acts)]
    tr = Trainer(cfgs, data)
    assert tr.fast and len(tr.act_groups) == 6
    for _ in range(2):  # the second step reuses the first step's buffers
        idx = torch.stack([torch.randperm(40)[:10] for _ in cfgs])
        xb, yb = data.X_train[idx], data.y_train[idx]
        states = [g.get_state() for g in tr.dropout.gens]
        with torch.enable_grad():
            loss_a, grad_a = tr.backprop.autograd(xb, yb)
        for g, st in zip(tr.dropout.gens, states):
            g.set_state(st)  # the same dropout masks again
        loss_m = tr.backprop.manual(xb, yb)
        torch.testing.assert_close(loss_m, loss_a, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(tr.stack.grad, grad_a, atol=1e-6, rtol=1e-4)
        tr.optim.step(tr.stack.grad, tr.stopping.active)


def test_per_epoch_train_metrics_use_a_fixed_sample_of_big_training_sets(monkeypatch):
    import core.engine.evaluation as evaluation_mod

    monkeypatch.setattr(evaluation_mod, "EVAL_ROWS", 50)
    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr[:200], ytr[:200], Xte[:50], yte[:50], task="multiclass", n_classes=10)
    tr = Trainer([TrainConfig(hidden=(16,), epochs=2, batch_size=32)], data)
    assert tr.evaluator.train_rows == 50 and len(tr.evaluator.train_sample[0]) == 50
    tr.run()
    r = tr.results()[0]
    with torch.no_grad():
        logits = tr.forward(tr.evaluator.train_sample[0])
    sample_acc = float(tr.accuracy(logits, tr.evaluator.train_sample[1])[0])
    full_acc = float(tr.accuracy(tr.forward(data.X_train), data.y_train)[0])
    assert r.history.train_acc.iloc[-1] == pytest.approx(sample_acc)
    assert r.metrics["final_train_acc"] == pytest.approx(full_acc)  # the final number uses every row


def test_shard_plan_splits_big_stacks_by_activation_runs_and_keeps_small_ones_whole():
    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr, ytr, Xte, yte, task="multiclass", n_classes=10)
    acts = ["sigmoid", "tanh", "relu", "gelu"]
    big = [TrainConfig(hidden=(128, 64), activation=a, batch_size=64, seed=s) for a in acts for s in range(3)]
    plan = shard_plan(big, data, cores=2)
    assert len(plan) == 2 and plan[0][0] == 0
    assert sorted(k for p in plan for k in p) == list(range(12))
    for p in plan:  # each activation's run of seeds stays in one part
        assert all(sum(big[k].activation == a for k in p) in (0, 3) for a in acts)
    assert shard_plan(big, data, cores=1) == [list(range(12))]
    small = [TrainConfig(hidden=(4,), seed=s) for s in range(12)]  # tiny steps: threads would not pay
    assert shard_plan(small, xor_data(), cores=2) == [list(range(12))]
    one_act = [TrainConfig(hidden=(128, 64), batch_size=64, seed=s) for s in range(12)]
    assert [len(p) for p in shard_plan(one_act, data, cores=2)] == [6, 6]  # one run, halved


def test_sharded_fit_equals_one_stack_and_is_guarded_once(monkeypatch):
    import core.engine.fitting as fit_mod
    import core.engine.guard as guard_mod

    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr[:300], ytr[:300], Xte[:100], yte[:100], task="multiclass", n_classes=10,
                        val_fraction=0.1)
    base = TrainConfig(hidden=(16, 8), epochs=6, batch_size=32, lr=0.01)
    cfgs = [base.replace(seed=0), base.replace(seed=1, activation="tanh"), base.replace(seed=2, patience=2),
            base.replace(seed=3, activation="gelu", dropout=0.2)]
    whole = fit(cfgs, data)
    seen = []

    @contextlib.contextmanager
    def guard(configs, data=None):
        seen.append(len(configs))
        yield

    monkeypatch.setattr(fit_mod, "shard_plan", lambda c, d: [[0, 2], [1, 3]])
    monkeypatch.setattr(guard_mod, "_current", [guard])
    calls = []
    parts = fit(cfgs, data, progress=lambda e, t, tr: calls.append(threading.current_thread()))
    assert seen == [4]  # hosted caps and the queue see every model, once
    assert calls and all(t is threading.main_thread() for t in calls)  # Streamlit needs its own thread
    assert all(r.extra["stacks"] == 2 for r in parts) and "stacks" not in whole[0].extra
    for c, a, b in zip(cfgs, whole, parts):
        assert b.config == c
        assert b.stopped_epoch == a.stopped_epoch and b.best_epoch == a.best_epoch
        for k in a.state:
            torch.testing.assert_close(b.state[k], a.state[k], atol=2e-5, rtol=1e-4)
        assert list(b.history.columns) == list(a.history.columns) and len(b.history) == len(a.history)


def test_a_sharded_fit_stops_every_stack_when_the_caller_stops(monkeypatch):
    import core.engine.fitting as fit_mod

    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr[:300], ytr[:300], Xte[:100], yte[:100], task="multiclass", n_classes=10)
    cfgs = [TrainConfig(hidden=(16,), epochs=5000, batch_size=32, seed=s) for s in range(2)]
    monkeypatch.setattr(fit_mod, "shard_plan", lambda c, d: [[0], [1]])
    made = []
    real = fit_mod.Trainer
    monkeypatch.setattr(fit_mod, "Trainer", lambda c, d, *a: made.append(real(c, d, *a)) or made[-1])

    class Stop(Exception):
        pass

    def progress(epoch, total, tr):
        if epoch >= 3:
            raise Stop  # what Streamlit does when the visitor changes a setting mid-run

    with pytest.raises(Stop):
        fit(cfgs, data, progress=progress)
    other = made[1]
    assert other.cancelled and other.epoch < 5000  # the second stack did not train on to the end


def test_helper_threads_change_no_number(monkeypatch):
    """Dropout masks drawn ahead and epochs evaluated on a copy while the next trains: same results."""
    import os

    import core.engine.cores as cores_mod
    import core.engine.trainer as trainer_mod

    if (os.cpu_count() or 1) < 2:
        pytest.skip("helper threads need a second core")
    monkeypatch.setattr(cores_mod, "machine_busy", lambda: False)
    monkeypatch.setattr(trainer_mod, "HELPER_FLOPS", 0)
    monkeypatch.setattr(trainer_mod, "HELPER_DRAWS", 0)
    started = []
    real_ahead = trainer_mod.DrawAhead
    monkeypatch.setattr(trainer_mod, "DrawAhead", lambda *a: started.append("ahead") or real_ahead(*a))
    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr[:400], ytr[:400], Xte[:100], yte[:100], task="multiclass", n_classes=10,
                        val_fraction=0.2)
    cfg = TrainConfig(hidden=(24, 12), epochs=60, batch_size=32, lr=0.02, dropout=0.3, patience=3, seed=5)
    runs = []
    for helpers in (False, True):
        tr = Trainer([cfg], data)
        tr.helpers = helpers
        tr.run()
        runs.append(tr.results()[0])
    assert started == ["ahead"]  # the helpers did run (once, in the second run)
    plain, helped = runs
    assert helped.stopped_epoch == plain.stopped_epoch < 60 and helped.best_epoch == plain.best_epoch
    pd.testing.assert_frame_equal(helped.history, plain.history)
    assert helped.metrics == plain.metrics
    for k in plain.state:
        assert torch.equal(helped.state[k], plain.state[k])


def test_state_loads_into_built_mlp_and_predicts_the_same():
    data = xor_data()
    r = fit([TrainConfig(hidden=(4,), activation="sigmoid", lr=0.1, epochs=200, seed=1)], data)[0]
    net = r.model()
    with torch.no_grad():
        p = torch.sigmoid(net(data.X_train)).squeeze(-1)
    acc = float(((p > 0.5).float() == data.y_train).float().mean())
    assert acc == r.metrics["final_train_acc"]
    assert set(r.state) == set(build_mlp(2, (4,), 1, "sigmoid").state_dict())


def test_a_result_keeps_its_history_as_columns_until_a_frame_is_read():
    from core.serve.memory import approx_bytes

    cfgs = [TrainConfig(hidden=(4,), activation="sigmoid", lr=0.1, epochs=30, seed=s) for s in range(3)]
    r = fit(cfgs, xor_data(), eval_every=7)[1]
    assert isinstance(r.__dict__["_history"], dict)  # no frame made by the run ...
    approx_bytes(r)
    cols = r.history_columns()
    assert isinstance(r.__dict__["_history"], dict)  # ... nor by sizing it or reading its columns
    assert list(cols) == ["epoch", "test_acc", "test_loss", "train_acc", "train_eval_loss", "train_loss"]
    h = r.history  # the frame, made once
    assert r.history is h and list(h.columns) == list(cols) and h["epoch"].dtype == np.int64
    assert h["epoch"].tolist() == list(range(1, 31)) and h["train_loss"].dtype == np.float32
    assert h["test_loss"].notna().tolist() == [e % 7 == 0 or e == 30 for e in range(1, 31)]
    assert r.metrics["test_loss"] == h["test_loss"].dropna().iloc[-1]
    # each model's state is a copy of its own weights, never a view of the whole stack's
    storages = {t.untyped_storage().data_ptr() for t in r.state.values()}
    assert len(storages) == 1 and next(iter(r.state.values())).untyped_storage().nbytes() == 17 * 4


def test_small_initial_rows_are_made_once_and_never_changed_by_training():
    from core.engine.models import linear_layers
    from core.engine.stack import _small_row, initial_weights

    cfg = TrainConfig(hidden=(4,), activation="tanh", lr=0.5, epochs=20, seed=123)
    _small_row.cache_clear()
    first = initial_weights(cfg, 2, 1)
    fit([cfg, cfg.replace(lr=0.1)], xor_data())  # both models start from the one cached row
    assert initial_weights(cfg, 2, 1) is first and _small_row.cache_info().misses == 1
    net = build_mlp(2, (4,), 1, "tanh", seed=123)
    want = torch.cat([t.detach().reshape(-1) for lin in linear_layers(net) for t in (lin.weight, lin.bias)])
    assert torch.equal(first, want)  # still the weights build_mlp makes: training moved a copy


def test_early_stopping_stops_and_restores_best():
    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr, ytr, Xte, yte, task="multiclass", n_classes=10, val_fraction=0.1)
    cfg = TrainConfig(hidden=(32,), epochs=400, batch_size=64, lr=0.05, patience=5, seed=0)
    r = fit([cfg], data)[0]
    assert r.stopped_epoch < 400
    assert r.best_epoch == r.stopped_epoch - 5
    val = r.history.set_index("epoch").val_loss
    assert r.metrics["best_val_loss"] == pytest.approx(val.min()) == val.loc[r.best_epoch]
    # the weights returned are the best epoch's: on the validation rows they give its recorded loss ...
    with torch.no_grad():
        kept = float(nn.functional.cross_entropy(r.model()(data.X_val), data.y_val))
    assert kept == pytest.approx(val.loc[r.best_epoch], rel=1e-5)
    # ... and not the last epoch's, which is clearly worse (so the check above can tell them apart)
    assert val.loc[r.stopped_epoch] > val.loc[r.best_epoch] + 1e-3
    assert kept != pytest.approx(val.loc[r.stopped_epoch], rel=1e-5)


def test_divergence_is_detected_and_reported():
    X, y = toy_2d("plane", 100, 0.0, 0)
    data = make_dataset(X, y, task="regression")
    cfgs = [TrainConfig(hidden=(8,), lr=10.0, epochs=50, optimizer="sgd"),
            TrainConfig(hidden=(8,), lr=1e-3, epochs=50, optimizer="sgd")]
    bad, good = fit(cfgs, data)
    assert bad.diverged and bad.stopped_epoch < 50
    assert not good.diverged and good.stopped_epoch == 50
    assert math.isfinite(good.metrics["final_train_loss"])


def test_log_every_keeps_fewer_rows_and_changes_no_number():
    X, y = toy_2d("plane", 100, 0.0, 0)
    data = make_dataset(X, y, task="regression")
    cfgs = [TrainConfig(hidden=(8,), lr=10.0, epochs=23, optimizer="sgd"),
            TrainConfig(hidden=(8,), lr=1e-3, epochs=23, optimizer="sgd")]
    full, thin = fit(cfgs, data, eval_every=10), fit(cfgs, data, eval_every=10, log_every=3)
    d = full[0].stopped_epoch
    assert full[0].diverged and d % 3 != 0  # so the row of its divergence is one log_every alone would drop
    for f, t in zip(full, thin):
        assert f.metrics == t.metrics and all(torch.equal(f.state[k], t.state[k]) for k in f.state)
        h = f.history  # kept: multiples of 3, evaluated epochs (10, 20, the last), the epoch a model diverged
        want = h[(h.epoch % 3 == 0) | h.test_loss.notna() | (h.epoch == d)].reset_index(drop=True)
        assert t.history.equals(want) and len(t.history) < len(h)


def test_progress_callback_reports_epochs():
    seen = []
    tr = Trainer([TrainConfig(hidden=(4,), epochs=30, seed=0)], xor_data())
    tr.run(progress=lambda e, total, t: seen.append((e, total)), report_seconds=0)
    assert seen[-1] == (30, 30) and len(seen) >= 30


def test_resumed_run_equals_one_long_run():
    cfg = TrainConfig(hidden=(4,), activation="tanh", lr=0.05, epochs=100, seed=2, batch_size=2)
    one = fit([cfg], xor_data())[0]
    tr = Trainer([cfg], xor_data())
    tr.run(epochs=37)
    tr.run(epochs=63)
    two = tr.results()[0]
    torch.testing.assert_close(one.state["0.weight"], two.state["0.weight"])


# ---- cache ---------------------------------------------------------------------------------

def test_cache_hit_miss_reload_from_disk(tmp_path):
    cfgs = [TrainConfig(hidden=(4,), activation="sigmoid", lr=0.1, epochs=50, seed=s) for s in range(3)]
    key = batch_key(cfgs, "xor")
    calls = []

    def compute():
        calls.append(1)
        return fit(cfgs, xor_data())

    first, hit1 = cached(key, compute, DiskCache(tmp_path))
    second, hit2 = cached(key, compute, DiskCache(tmp_path))  # a new cache object: as after a restart
    assert (hit1, hit2) == (False, True) and len(calls) == 1
    for a, b in zip(first, second):
        assert a.config == b.config and a.metrics == b.metrics
        torch.testing.assert_close(a.state["2.weight"], b.state["2.weight"])
        assert a.history.equals(b.history)
    assert list(tmp_path.glob("*.safetensors")) and not list(tmp_path.glob("*.pkl"))


def test_the_cache_packs_a_batch_into_a_few_tensors_and_still_reads_a_tensor_per_array(tmp_path):
    from core.serve.cache import decode_results, encode_results, load, pack_results

    cfgs = [TrainConfig(hidden=(4, 3), activation="tanh", lr=0.1, epochs=12, seed=s) for s in range(3)]
    res = fit(cfgs, xor_data(), eval_every=5)
    tensors, meta = pack_results(res)
    assert len(tensors) == 1 + len(res[0].history_columns())  # the weights, and one tensor per column
    for layout in ((tensors, meta), encode_results(res)):  # the cache's, and a model file's (older entries)
        back = decode_results(*layout)
        for a, b in zip(res, back):
            assert a.config == b.config and a.metrics == b.metrics and a.history.equals(b.history)
            assert list(a.state) == list(b.state) and all(torch.equal(a.state[k], b.state[k]) for k in a.state)
    cache = DiskCache(tmp_path)
    cache.put("short", {**tensors, "state": tensors["state"][:-1]}, meta)  # damaged: its weights cut short
    assert load("short", cache) is None  # a miss, never a wrong result


def test_cache_is_bounded_and_clearable(tmp_path):
    c = DiskCache(tmp_path, max_bytes=3000)
    for i in range(10):
        c.put(f"k{i}", {"w": torch.zeros(200)}, {"i": i})
    assert c.size() <= 3000 and c.get("k9") is not None and c.get("k0") is None
    assert c.clear() > 0 and c.size() == 0


def test_corrupt_cache_entry_is_a_miss(tmp_path):
    c = DiskCache(tmp_path)
    c.path("abc").write_bytes(b"garbage")
    assert c.get("abc") is None and not c.path("abc").exists()


def test_dropout_masks_drawn_in_chunks_give_the_numbers_of_one_draw_per_step(monkeypatch):
    """A chunk's masks are one draw per model; with one step per chunk it is the old per-step draw."""
    import core.engine.dropout as dropout_mod

    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr[:230], ytr[:230], Xte[:50], yte[:50], task="multiclass", n_classes=10)
    cfgs = [TrainConfig(hidden=(12, 7), activation=a, dropout=p, batch_size=32, epochs=4, seed=s)
            for s, (a, p) in enumerate([("relu", 0.3), ("relu", 0.0), ("tanh", 0.5)])]
    runs = []
    for chunk in (1, 10 ** 9):  # one step per chunk (230 rows: 7 full batches and one of 6) / one per epoch
        monkeypatch.setattr(dropout_mod, "CHUNK_DRAWS", chunk)
        runs.append([*fit(cfgs, data), fit([cfgs[0].as_train(batch_size=0)], data)[0]])
    for a, b in zip(*runs):
        pd.testing.assert_frame_equal(a.history, b.history)
        for k in a.state:
            assert torch.equal(a.state[k], b.state[k])


@pytest.mark.parametrize("batch_size", [32, 0])
def test_dropout_on_a_network_without_hidden_layers_is_a_no_op(batch_size):
    """Dropout acts on hidden layers; a linear model (hidden=()) with dropout set trains as without it."""
    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr[:300], ytr[:300], Xte[:50], yte[:50], task="multiclass", n_classes=10)
    runs = [fit([TrainConfig(hidden=(), dropout=p, batch_size=batch_size, epochs=3)], data)[0] for p in (0.2, 0.0)]
    for k in runs[0].state:
        assert torch.equal(runs[0].state[k], runs[1].state[k])


@pytest.mark.parametrize("act, loss", [(a, "auto") for a in activations.HIDDEN] + [("relu", "mse")])
def test_every_activation_and_the_autograd_path_train_on_minibatches(act, loss):
    """Softsign once crashed minibatch training (no kernels); MSE on classes trains through autograd."""
    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr[:300], ytr[:300], Xte[:100], yte[:100], task="multiclass", n_classes=10)
    cfg = TrainConfig(hidden=(32,), activation=act, loss=loss, dropout=0.2, batch_size=32, epochs=15, lr=0.01)
    tr = Trainer([cfg], data)
    assert tr.fast == (loss == "auto")
    tr.run()
    assert tr.results()[0].metrics["final_test_acc"] > (0.6 if act != "identity" else 0.5)


@pytest.mark.parametrize("helpers", [False, True])
def test_any_valid_mix_of_settings_trains(helpers, monkeypatch):
    """Seeded random stacks (tasks, depths incl. none, batch sizes incl. full and over N, dropout, losses,
    optimisers, penalties, early stopping, mixed activations) all train to results; with helper threads forced on."""
    import random

    import core.engine.cores as cores_mod
    import core.engine.trainer as trainer_mod

    if helpers:
        monkeypatch.setattr(trainer_mod, "HELPER_DRAWS", 0)
        monkeypatch.setattr(trainer_mod, "HELPER_FLOPS", 0)
        monkeypatch.setattr(cores_mod, "machine_busy", lambda: False)
    Xtr, ytr, Xte, yte = digits_arrays()
    rng = random.Random(7 + helpers)
    for i in range(25):
        task = rng.choice(["multiclass", "binary", "regression"])
        n, val = rng.choice([5, 37, 120]), rng.choice([0.0, 0.2])
        if task == "multiclass":
            data = make_dataset(Xtr[:n], ytr[:n], Xte[:30], yte[:30], task=task, n_classes=10, val_fraction=val)
        else:
            X, y = toy_2d("circle" if task == "binary" else "plane", n, 0.1, i)
            data = make_dataset(X, y, task=task, val_fraction=val)
        common = dict(hidden=tuple(rng.choice([1, 3, 8]) for _ in range(rng.choice([0, 1, 2, 3]))),
                      batch_size=rng.choice([0, 1, 4, 16, 500]), epochs=rng.choice([1, 3, 7]),
                      optimizer=rng.choice(["adam", "sgd", "momentum"]),
                      loss=rng.choice(["auto", "mse"] + (["ce"] if task != "regression" else [])))
        cfgs = [TrainConfig(**common, activation=rng.choice(activations.HIDDEN), seed=rng.randrange(100),
                            dropout=rng.choice([0.0, 0.3, 0.9]), lr=rng.choice([1e-3, 0.1, 10.0]),
                            l1=rng.choice([0.0, 1e-3]), l2=rng.choice([0.0, 1e-2]),
                            patience=rng.choice([0, 2]) if val else 0) for _ in range(rng.choice([1, 2, 5]))]
        results = fit(cfgs, data)
        assert len(results) == len(cfgs), (i, common)
        for r in results:
            assert 1 <= r.stopped_epoch <= r.config.epochs and len(r.history) >= 1, (i, common)


# ---- the run guard and the deadline ------------------------------------------------------------

@pytest.mark.parametrize("plan", [None, [[0], [1]]])
def test_a_refusing_guard_means_no_trainer_was_built(plan, monkeypatch):
    """Priced before allocated: fit() asks the guard before it builds any Trainer (and its weights)."""
    import core.engine.fitting as fit_mod
    import core.engine.guard as guard_mod
    import core.engine.trainer as trainer_mod

    class Refused(Exception):
        pass

    def refuse(configs, data=None):
        raise Refused(f"{len(configs)} models are over budget")

    built = []
    real_init = trainer_mod.Trainer.__init__
    monkeypatch.setattr(trainer_mod.Trainer, "__init__", lambda self, *a: built.append(1) or real_init(self, *a))
    if plan is not None:
        monkeypatch.setattr(fit_mod, "shard_plan", lambda c, d: plan)
    monkeypatch.setattr(guard_mod, "_current", [refuse])
    cfgs = [TrainConfig(hidden=(4,), epochs=5, seed=s) for s in range(2)]
    with pytest.raises(Refused, match="2 models"):
        fit(cfgs, xor_data())
    assert built == []
    monkeypatch.setattr(guard_mod, "_current", [None])
    assert len(fit(cfgs, xor_data())) == 2 and len(built) == (1 if plan is None else 2)  # the count does count


def test_fit_enters_the_guard_once_and_a_trainer_run_enters_it_itself(monkeypatch):
    import core.engine.guard as guard_mod

    seen = []

    @contextlib.contextmanager
    def guard(configs, data=None):
        seen.append(len(configs))
        yield

    monkeypatch.setattr(guard_mod, "_current", [guard])
    cfgs = [TrainConfig(hidden=(4,), epochs=5, seed=s) for s in range(3)]
    fit(cfgs, xor_data())
    assert seen == [3]  # one queue slot, not a second one for the stack inside
    Trainer(cfgs[:2], xor_data()).run()
    assert seen == [3, 2]


def test_a_passed_deadline_stops_at_the_epoch_boundary_and_marks_results_cut_short():
    import time

    data = xor_data()
    cfgs = [TrainConfig(hidden=(4,), epochs=1, seed=0), TrainConfig(hidden=(4,), epochs=50, seed=1)]
    tr = Trainer(cfgs, data)
    tr.run(deadline=time.monotonic() - 1.0, eval_every=10)  # already passed: stops after the first epoch
    assert tr.epoch == 1
    done, cut = tr.results()
    assert "cut_short" not in done.extra and done.stopped_epoch == 1  # it ended on its own epochs
    assert cut.extra == {"cut_short": True, "cut_short_epoch": 1} and cut.stopped_epoch == 1
    assert not math.isnan(cut.history.test_loss.iloc[-1])  # the epoch it stopped at is evaluated
    tr.run(deadline=time.monotonic() + 3600.0)  # resumable; a later deadline does not cut
    assert tr.epoch == 50 and "cut_short" not in tr.results()[1].extra
    far = fit(cfgs, data, deadline=time.monotonic() + 3600.0)
    assert all("cut_short" not in r.extra for r in far) and far[1].stopped_epoch == 50


def test_a_deadline_cuts_every_stack_of_a_sharded_fit(monkeypatch):
    import time

    import core.engine.fitting as fit_mod

    monkeypatch.setattr(fit_mod, "shard_plan", lambda c, d: [[0], [1]])
    cfgs = [TrainConfig(hidden=(4,), epochs=40, seed=s, activation=a) for s, a in enumerate(["relu", "tanh"])]
    res = fit(cfgs, xor_data(), deadline=time.monotonic() - 1.0)
    assert [r.stopped_epoch for r in res] == [1, 1] and all(r.extra["cut_short"] for r in res)
    assert all(len(r.history) == 1 for r in res)


def test_the_guard_sees_the_data_and_its_time_limit_cuts_the_run_short(monkeypatch):
    """The run guard gets the data it prices, and the wall-clock seconds it yields stop the run cleanly."""
    import core.engine.guard as guard_mod

    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr[:200], ytr[:200], Xte[:50], yte[:50], task="multiclass", n_classes=10)
    seen = []

    @contextlib.contextmanager
    def guard(configs, data=None):
        seen.append(data)
        yield 0.0  # no time at all: the run stops after its first epoch

    monkeypatch.setattr(guard_mod, "_current", [guard])
    res = fit([TrainConfig(hidden=(8,), epochs=50, batch_size=32)], data)
    assert seen == [data]
    assert res[0].extra["cut_short"] and res[0].stopped_epoch < 50


def test_a_cut_short_run_is_never_cached(tmp_path):
    from core.serve.cache import DiskCache, cached, cut_short

    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr[:100], ytr[:100], Xte[:20], yte[:20], task="multiclass", n_classes=10)
    cache = DiskCache(tmp_path)
    tr = Trainer([TrainConfig(hidden=(4,), epochs=20, batch_size=0)], data)
    tr.run(deadline=0.0)
    results = tr.results()
    out, hit = cached("k", lambda: results, cache)
    assert not hit and cache.entries() == [] and "cut short" in cut_short(out)


def test_models_that_stop_leave_the_stack_and_end_as_if_they_had_stayed():
    Xtr, ytr, Xte, yte = digits_arrays()
    data = make_dataset(Xtr[:300], ytr[:300], Xte[:100], yte[:100], task="multiclass", n_classes=10)
    base = TrainConfig(hidden=(16,), epochs=12, batch_size=32, lr=0.01, dropout=0.2)
    cfgs = [base.replace(epochs=e, lr=lr) for e in (3, 5, 12) for lr in (0.01, 0.003)]  # 6 models, 3 stop early
    stayed = Trainer(cfgs, data)
    stayed.run()
    left = Trainer(cfgs, data)
    left.compact = True
    left.run()
    assert len(cfgs) > left.K  # the stopped models left
    for a, b in zip(stayed.results(), left.results()):
        for k in a.state:
            assert torch.equal(a.state[k], b.state[k])
        pd.testing.assert_frame_equal(a.history, b.history, check_exact=True)
        assert (a.stopped_epoch, a.best_epoch, a.metrics) == (b.stopped_epoch, b.best_epoch, b.metrics)


def _log_reference(rows: list[dict], K: int) -> dict[str, np.ndarray]:
    """Each column [E, K] of a list of epoch rows, NaN where a row lacks it (what EpochLog.arrays must give)."""
    names = sorted({c for r in rows for c in r} - {"epoch"})
    return {c: np.stack([r[c].numpy() if c in r else np.full(K, np.nan, np.float32) for r in rows]) for c in names}


def test_epoch_log_reads_rows_added_after_a_read_and_after_models_leave():
    """The log keeps the columns it read last and a block of the epochs before models left: reading again
    after more rows, or after a subset, must give what stacking every row from scratch gives."""
    from core.engine.results import EpochLog

    g = torch.Generator().manual_seed(0)
    rows = [{"epoch": e, "train_loss": torch.rand(4, generator=g)} | (
        {"test_loss": torch.rand(4, generator=g)} if e % 3 == 0 else {}) for e in range(1, 11)]
    log = EpochLog(4)
    for r in rows[:5]:
        log.rows.append(r)
    stopped = torch.zeros(4, dtype=torch.long)
    ep, cols, _ = log.arrays(stopped)
    assert list(ep) == [1, 2, 3, 4, 5]
    for r in rows[5:]:
        log.rows.append(r)  # appended after the first read: the cache must not hide them
    ep, cols, n = log.arrays(stopped)
    want = _log_reference(rows, 4)
    assert list(ep) == list(range(1, 11)) and list(n) == [10] * 4
    for c in want:
        np.testing.assert_array_equal(cols[c], want[c])
    sub = log.subset([3, 1])
    sub.rows.append({"epoch": 11, "train_loss": torch.tensor([0.5, 0.25]), "val_loss": torch.tensor([1.0, 2.0])})
    ep, cols, _ = sub.arrays(torch.zeros(2, dtype=torch.long))
    assert list(ep) == list(range(1, 12))
    np.testing.assert_array_equal(cols["train_loss"][:10], want["train_loss"][:, [3, 1]])
    np.testing.assert_array_equal(cols["train_loss"][10], np.array([0.5, 0.25], np.float32))
    assert np.isnan(cols["val_loss"][:10]).all() and np.isnan(cols["test_loss"][10]).all()
    assert sub.frame(torch.tensor([4, 0]), 0)["epoch"].tolist() == [1, 2, 3, 4]  # stopped at 4: rows to 4


def test_the_steps_fixed_views_are_views_of_the_live_weights_and_gradients_in_every_stack():
    """The shared-input GEMM's weight and gradient matrices are made once per stack (core.engine.stack): they
    must stay views of the weights the optimiser updates in place, also in a stack made of some models."""
    X, y = gate("XOR")
    tr = Trainer([TrainConfig(hidden=(4,), activation="sigmoid", lr=0.3, epochs=50, seed=s) for s in range(6)],
                 make_dataset(X, y, task="binary"))
    tr.run(20)
    for s in (tr.stack, tr.stack.subset([1, 4])):
        s.flat.add_(0.5)  # the live weights move: the fixed views see it
        s.grad.fill_(0.25)
        for li, ((W, _), (gW, _)) in enumerate(zip(s.flat_layers, s.grad_layers)):
            assert torch.equal(s.flat_W2dT[li], W.reshape(-1, W.shape[2]).t())
            assert torch.equal(s.grad_W2d[li], gW.reshape(-1, gW.shape[2]))
            assert s.flat_W2dT[li].untyped_storage().data_ptr() == s.flat.untyped_storage().data_ptr()
    tr.run()  # and the run goes on from where it was
    assert tr.epoch == 50
