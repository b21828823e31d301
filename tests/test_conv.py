"""The engine's CNN (core.engine.conv): seeded, stacked as grouped convolutions, equal to training alone."""


import numpy as np
import pytest
import torch

from core.config import ConfigError
from core.datasets import digits_arrays, make_dataset
from core.digits.jobs import DigitsCnn
from core.engine import TrainConfig, Trainer, fit
from core.engine.config import check_stack
from core.engine.conv import CnnConfig, ConvStack, build_cnn, cnn_cost, cnn_macs, initial_weights, n_params
from core.serve.cache import DiskCache, batch_key, cached


def small_digits(n_train: int = 300, n_test: int = 100, val: float = 0.0):
    Xtr, ytr, Xte, yte = digits_arrays()
    return make_dataset(Xtr[:n_train], ytr[:n_train], Xte[:n_test], yte[:n_test], task="multiclass",
                        n_classes=10, val_fraction=val)


BASE = CnnConfig(channels=(4, 8), kernel=3, hidden=(16,), epochs=3, batch_size=32, lr=0.01)


# ---- config and the reference model ---------------------------------------------------------------

def test_config_checks_kernel_and_stack_kind():
    with pytest.raises(ConfigError) as e:
        CnnConfig(kernel=4)
    assert e.value.field == "kernel"
    with pytest.raises(ConfigError):
        CnnConfig(channels=(6, 16, 32, 64))
    with pytest.raises(ValueError, match="channels"):
        check_stack([BASE, BASE.replace(channels=(4, 9))])
    with pytest.raises(ValueError, match="kernel"):
        check_stack([BASE, BASE.replace(kernel=5)])
    with pytest.raises(ValueError, match="one kind"):
        check_stack([BASE, TrainConfig(hidden=(16,), epochs=3, batch_size=32, lr=0.01)])
    check_stack([BASE, BASE.replace(seed=3, lr=0.1, activation="tanh")])  # per-model fields may differ
    with pytest.raises(ValueError, match="square"):
        Trainer([BASE], make_dataset(np.zeros((4, 10), np.float32), np.zeros(4), task="multiclass", n_classes=10))


def test_every_field_changes_the_key():
    for name, value in {"channels": (4, 9), "kernel": 5, "hidden": (17,)}.items():
        assert BASE.replace(**{name: value}).key() != BASE.key()


def test_build_is_seeded_and_sized():
    a, b, c = (build_cnn(8, (6, 16), 5, (32,), 10, seed=s) for s in (1, 1, 2))
    for (name, p), q, r in zip(a.state_dict().items(), b.state_dict().values(), c.state_dict().values()):
        assert torch.equal(p, q), name
        if name.endswith("weight"):
            assert not torch.equal(p, r), name
    assert a(torch.rand(3, 64)).shape == (3, 10)
    assert build_cnn(28, (6, 16), 5, (32,), 10)(torch.rand(2, 784)).shape == (2, 10)
    cfg = CnnConfig(channels=(6, 16), kernel=5, hidden=(32,))
    for side in (8, 28):
        net = build_cnn(side, (6, 16), 5, (32,), 10)
        assert n_params(cfg, side, 10) == sum(p.numel() for p in net.parameters())
    # 28x28: 6 maps of 28x28 from 1x5x5 kernels, 16 maps of 14x14 from 6x5x5, then 16*7*7 -> 32 -> 10
    assert cnn_macs(cfg, 28, 10) == 6 * 25 * 784 + 16 * 150 * 196 + 784 * 32 + 32 * 10


def test_cnn_cost_scales_with_epochs_and_models():
    cfg = CnnConfig(channels=(6, 16), kernel=5, hidden=(128,), epochs=10, batch_size=128)
    one = cnn_cost(cfg, 28, 10, n_train=4000, n_eval=1000)
    assert one["flops"] == pytest.approx(2 * 10 * (3 * 4000 + 1000) * cnn_macs(cfg, 28, 10))
    assert one["params"] == n_params(cfg, 28, 10)
    eight = cnn_cost(cfg.replace(epochs=20), 28, 10, n_train=4000, n_eval=1000, models=8)
    assert eight["flops"] == pytest.approx(16 * one["flops"])
    assert eight["weight_bytes"] == pytest.approx(8 * one["weight_bytes"])


# ---- the stack ----------------------------------------------------------------------------------

def test_stack_forward_equals_each_reference_model():
    data = small_digits(64, 20)
    cfgs = [BASE.replace(seed=s, activation=a) for s, a in ((0, "relu"), (1, "tanh"), (2, "tanh"), (3, "gelu"))]
    stack = ConvStack(cfgs, data)
    X = data.X_train[:40]
    with torch.no_grad():
        shared = stack.forward(X)  # first layer: one convolution over every model's filters
        own = stack.forward(X.expand(4, -1, -1))  # each model its own rows: grouped convolutions throughout
        for k, c in enumerate(cfgs):
            ref = build_cnn(8, c.channels, c.kernel, c.hidden, 10, c.activation, seed=c.seed)(X)
            torch.testing.assert_close(shared[k], ref, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(own[k], ref, atol=1e-5, rtol=1e-5)
            assert torch.equal(stack.layout.to_rows(stack.flat)[k], initial_weights(c, 64, 10))


def test_relu_stack_pools_first_and_matches_reference_gradients():
    """With ReLU the stack pools before the activation; logits and gradients are the reference's all the same."""
    data = small_digits(64, 20)
    cfgs = [BASE.replace(seed=s) for s in (3, 4)]
    stack = ConvStack(cfgs, data)
    assert stack.pool_first
    X, y = data.X_train[:32], data.y_train[:32]
    flat = stack.flat.detach().requires_grad_(True)
    losses = stack.loss_per_model(stack.forward(X.expand(2, -1, -1), flat), y)
    (grad,) = torch.autograd.grad(losses.sum(), flat)
    rows = stack.layout.to_rows(grad)
    for k, c in enumerate(cfgs):
        net = build_cnn(8, c.channels, c.kernel, c.hidden, 10, seed=c.seed)
        torch.nn.functional.cross_entropy(net(X), y).backward()
        ref = torch.cat([p.grad.reshape(-1) for p in net.parameters()])
        torch.testing.assert_close(rows[k], ref, atol=1e-6, rtol=1e-5)
    capture: list = []
    with torch.no_grad():
        torch.testing.assert_close(stack.forward(X, capture=capture), stack.forward(X), atol=1e-6, rtol=0)
    assert [t[1].shape for t in capture] == [(2, 32, 4, 8, 8), (2, 32, 8, 4, 4), (2, 32, 16)]


def test_chunked_evaluation_equals_one_pass(monkeypatch):
    from core.engine import conv

    data = small_digits(200, 20)
    stack = ConvStack([BASE.replace(seed=s) for s in range(3)], data)
    with torch.no_grad():
        whole = stack.forward(data.X_train)
        monkeypatch.setattr(conv, "EVAL_CHUNK_BYTES", 4 * 3 * 4 * 64 * 7)  # 7 rows per chunk
        torch.testing.assert_close(stack.forward(data.X_train), whole, atol=1e-6, rtol=0)


def test_same_config_gives_bit_identical_weights():
    data = small_digits()
    cfg = BASE.replace(dropout=0.3, seed=5)
    a, b = fit([cfg], data)[0], fit([cfg], data)[0]
    assert a.state.keys() == b.state.keys()
    for k in a.state:
        assert torch.equal(a.state[k], b.state[k]), k
    c = fit([cfg.replace(seed=6)], data)[0]
    assert not torch.equal(a.state["1.weight"], c.state["1.weight"])


def test_first_step_gradients_stacked_equal_alone():
    data = small_digits(64, 20)
    cfgs = [BASE.replace(seed=s, l2=1e-3 * s) for s in range(3)]
    together = Trainer(cfgs, data)
    xb, yb = data.X_train[:32], data.y_train[:32]
    _, g = together.backprop.autograd(xb.expand(3, -1, -1), yb.expand(3, -1))
    rows = together.stack.layout.to_rows(g)
    for k, c in enumerate(cfgs):
        alone = Trainer([c], data)
        _, g1 = alone.backprop.autograd(xb.unsqueeze(0), yb.unsqueeze(0))
        torch.testing.assert_close(rows[k], alone.stack.layout.to_rows(g1)[0], atol=1e-6, rtol=1e-5)


def test_stacked_equals_one_by_one_sgd():
    """Plain SGD adds each step's float difference once: weights agree within 1e-5 after 3 epochs."""
    data = small_digits()
    base = BASE.replace(optimizer="sgd", lr=0.1)
    cfgs = [base.replace(seed=0), base.replace(seed=1, activation="tanh"), base.replace(seed=2, lr=0.03),
            base.replace(seed=3, l2=1e-3), base.replace(seed=4, dropout=0.3)]
    together = fit(cfgs, data)
    for c, r in zip(cfgs, together):
        alone = fit([c], data)[0]
        assert r.metrics["final_test_acc"] == pytest.approx(alone.metrics["final_test_acc"], abs=1e-6)
        for k in r.state:
            torch.testing.assert_close(r.state[k], alone.state[k], atol=1e-5, rtol=1e-4)


def test_stacked_equals_one_by_one_adam():
    """Adam divides by the root of a gradient's running square, so a weight whose gradient is almost zero
    moves about lr per step on float noise alone: the stack and the lone model agree on every weight
    within 2 lr (nearly all within 1e-4) and on test accuracy within 2 of 360 digits."""
    data = small_digits(600, 360, val=0.1)
    base = BASE.replace(epochs=4, lr=0.005, patience=2)
    cfgs = [base.replace(seed=s) for s in range(3)] + [base.replace(seed=3, dropout=0.2)]
    together = fit(cfgs, data)
    for c, r in zip(cfgs, together):
        alone = fit([c], data)[0]
        assert r.metrics["final_test_acc"] == pytest.approx(alone.metrics["final_test_acc"], abs=2 / 360 + 1e-6)
        diffs = torch.cat([(r.state[k] - alone.state[k]).abs().reshape(-1) for k in r.state])
        assert float(diffs.max()) <= 2 * c.lr
        assert float((diffs > 1e-4).float().mean()) < 0.01


def test_model_and_cache_round_trip(tmp_path):
    cfg = DigitsCnn(hidden=(32,), epochs=2, augment_copies=0, patience=0, val_fraction=0.1)
    from core.digits.jobs import compute, load_data

    cache = DiskCache(tmp_path)
    key = batch_key([cfg], "sklearn-digits-tutorial-split")
    (r,), hit = cached(key, lambda: compute([cfg]), cache, config_types=(DigitsCnn,))
    assert not hit and r.state["1.weight"].shape == (cfg.channels[0], 1, 5, 5)
    (again,), hit = cached(key, lambda: compute([cfg]), cache, config_types=(DigitsCnn,))
    assert hit and again.config == cfg
    data = load_data(cfg)
    with torch.no_grad():
        acc = float((again.model()(data.X_test).argmax(1) == data.y_test).float().mean())
    assert acc == pytest.approx(r.metrics["final_test_acc"], abs=1e-6)


def test_trains_on_mnist_sized_images_with_early_stopping():
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (120,), generator=g)
    X = torch.rand(120, 28, 28, generator=g) * 0.1
    for i in range(120):  # a 4x4 blot of ink in the top half (class 0) or the bottom half (class 1)
        r = int(torch.randint(0, 10, (1,), generator=g)) + 14 * int(y[i])
        c = int(torch.randint(0, 24, (1,), generator=g))
        X[i, r:r + 4, c:c + 4] = 1.0
    X = X.reshape(120, 784)
    data = make_dataset(X[:100].numpy(), y[:100].numpy(), X[100:].numpy(), y[100:].numpy(), task="multiclass",
                        n_classes=2, val_fraction=0.2)
    cfgs = [CnnConfig(channels=(4, 8), kernel=5, hidden=(8,), epochs=30, batch_size=16, lr=0.01, patience=3,
                      seed=s) for s in range(2)]
    res = fit(cfgs, data)
    for r in res:
        assert r.state["4.weight"].shape == (8, 4, 5, 5) and r.state["8.weight"].shape == (8, 8 * 7 * 7)
        assert r.best_epoch <= r.stopped_epoch <= 30 and r.metrics["final_test_acc"] >= 0.9
