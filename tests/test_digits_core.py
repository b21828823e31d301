"""Digit Recognizer core: configs, data, training through the one loop, evaluation, model files."""

import io
import json

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import save

from core import digits
from core.config import ConfigError
from core.digits import DigitsConfig, ModelFileError, augment
from core.engine import TrainResult
from core.serve.cache import DiskCache
from tests.conftest import MNIST_SAMPLE

SAMPLE = MNIST_SAMPLE
needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason="MNIST sample folder not available")

FAST = DigitsConfig(hidden=(32,), epochs=8, patience=0, augment_copies=0, batch_size=128, lr=0.01)


@pytest.fixture(scope="module")
def fast_result():
    return digits.compute(FAST)[0]


def test_defaults_are_the_tutorials_model_and_validate():
    d = digits.default_config("digits")
    assert d.hidden == (100, 50) and d.activation == "relu" and d.patience == 10 and d.val_fraction == 0.1
    assert d.kind == "digits" and d.dataset == "digits"
    m = digits.default_config("mnist")
    assert m.dataset == "mnist" and m.augment > 0 and m.augment_copies > 0
    with pytest.raises(ValueError, match="unknown dataset"):
        digits.default_config("cifar")
    with pytest.raises(ConfigError) as e:
        DigitsConfig(val_fraction=0.0, patience=10)
    assert e.value.field == "val_fraction"
    with pytest.raises(ConfigError):
        DigitsConfig(dataset="emnist")
    again, notices = DigitsConfig.from_query(m.to_query())
    assert again == m and not notices


def test_load_data_splits_validation_before_augmenting():
    cfg = DigitsConfig(augment=0.5, augment_copies=2)
    data = digits.load_data(cfg)
    assert data.X_val.shape == (144, 64) and data.X_test.shape == (360, 64)
    assert data.X_train.shape == ((1437 - 144) * 3, 64)
    # no validation image (nor a copy of one) is trained on: originals are the first third
    originals = data.X_train[: 1437 - 144]
    assert not (torch.cdist(data.X_val, originals).min(1).values < 1e-6).any()
    # augmented copies are seeded: the same config gives the same data
    again = digits.load_data(cfg)
    assert torch.equal(again.X_train, data.X_train)
    assert not torch.equal(digits.load_data(cfg.replace(seed=1)).X_train[-10:], data.X_train[-10:])


def test_augment_images_keeps_shape_range_and_changes_the_image():
    rng = np.random.default_rng(0)
    X = np.zeros((5, 784), np.float32)
    X[:, 28 * 10 + 8:28 * 10 + 20] = 1.0  # a horizontal bar
    out = digits.augment_images(X + rng.uniform(0, 0.01, X.shape).astype(np.float32), 1.0, 3, seed=0)
    assert out.shape == (15, 784) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    assert np.abs(out[:5] - X).mean() > 0.01
    assert digits.augment_images(X, 0.0, 3).shape == (0, 784)


def test_early_stopping_stops_and_keeps_the_best_weights():
    cfg = DigitsConfig(hidden=(64,), lr=0.05, batch_size=64, epochs=400, patience=3, augment_copies=0)
    r = digits.compute(cfg)[0]
    assert r.stopped_epoch < 400
    assert r.best_epoch <= r.stopped_epoch - 3
    val = r.history.set_index("epoch")["val_loss"]
    assert val.loc[r.best_epoch] == pytest.approx(val.min())
    # the kept weights are the best epoch's: on the validation rows they give its recorded loss (dropout is
    # on in this config, and off in the model, as when the loss was recorded), not the last epoch's
    data = digits.load_data(cfg)
    with torch.no_grad():
        kept = float(torch.nn.functional.cross_entropy(r.model()(data.X_val), data.y_val))
    assert kept == pytest.approx(val.loc[r.best_epoch], rel=1e-5)
    assert val.loc[r.stopped_epoch] > val.loc[r.best_epoch] + 1e-3
    assert kept != pytest.approx(val.loc[r.stopped_epoch], rel=1e-5)


def test_dropout_is_off_in_eval():
    r = digits.compute(FAST.replace(dropout=0.5, epochs=3))[0]
    net = r.model()
    assert not net.training and any(isinstance(m, torch.nn.Dropout) for m in net)
    X = digits.load_data(FAST).X_test[:50].numpy()
    p1, p2 = digits.predict(r, X), digits.predict(r, X)
    np.testing.assert_array_equal(p1, p2)  # deterministic: no dropout at inference
    np.testing.assert_allclose(p1.sum(1), 1, atol=1e-5)
    net.train()
    torch.manual_seed(0)
    noisy = torch.softmax(net(torch.as_tensor(X)), -1).detach().numpy()
    assert np.abs(noisy - p1).max() > 1e-3  # dropout really is in the network, just off for predict


def test_train_uses_the_disk_cache(tmp_path):
    cache = DiskCache(tmp_path / "c")
    calls = []
    r1 = digits.train(FAST, progress=lambda e, t, tr: calls.append(e), cache=cache)
    assert calls and len(cache.entries()) == 1
    calls.clear()
    r2 = digits.train(FAST, progress=lambda e, t, tr: calls.append(e), cache=cache)
    assert not calls  # nothing trained
    assert isinstance(r2.config, DigitsConfig) and r2.config == FAST
    for k in r1.state:
        assert torch.equal(r1.state[k], r2.state[k])


def test_two_runs_side_by_side_train_together(monkeypatch):
    from core.digits import jobs

    on, off = FAST.replace(dropout=0.3, epochs=4), FAST.replace(dropout=0.0, epochs=4)
    stacks = []
    real_fit = jobs.fit
    monkeypatch.setattr(jobs, "fit", lambda cfgs, *a, **k: stacks.append(len(cfgs)) or real_fit(cfgs, *a, **k))
    r_on, r_off = digits.train_many([on, off])
    assert stacks == [2]  # one fit, one stack of both
    assert r_on.config.dropout == 0.3 and r_off.config.dropout == 0.0
    for together, cfg in ((r_on, on), (r_off, off)):  # and each ends where it ends trained alone
        alone = digits.compute(cfg)[0]
        for k in alone.state:
            torch.testing.assert_close(together.state[k], alone.state[k], atol=2e-5, rtol=1e-4)
    with pytest.raises(ValueError, match="share"):
        digits.train_many([on, off.replace(val_fraction=0.2)])


def test_evaluation_helpers_agree(fast_result):
    data = digits.load_data(FAST)
    probs = digits.test_predictions(fast_result, data)
    cm = digits.confusion(fast_result, data, probs)
    assert len(cm) == 100 and cm["count"].sum() == 360
    acc = cm.loc[cm.true == cm.predicted, "count"].sum() / 360
    assert acc == pytest.approx(fast_result.metrics["final_test_acc"], abs=1e-6)
    pc = digits.per_class(fast_result, data, probs)
    assert list(pc.digit) == list(range(10)) and pc.support.sum() == 360
    wrong = digits.misclassified(fast_result, data, probs)
    assert (wrong.true != wrong.predicted).all() and len(wrong) == min(40, 360 - round(acc * 360))
    assert wrong.p_predicted.is_monotonic_decreasing
    cell = cm[(cm.true != cm.predicted) & (cm["count"] > 0)].iloc[0]
    one = digits.misclassified(fast_result, data, probs, true=int(cell.true), predicted=int(cell.predicted))
    assert len(one) == cell["count"]
    assert digits.test_image(data, 0).shape == (8, 8)


def test_default_digits_model_is_accurate():
    r = digits.compute(digits.default_config("digits"))[0]
    assert r.metrics["final_test_acc"] >= 0.975  # the bench's goal is 0.98 at the default seed
    assert r.stopped_epoch < 200  # early stopping did stop it


def test_sklearn_baseline_on_the_same_split():
    b = digits.sklearn_baseline(max_iter=8)
    assert 0.7 < b["acc"] <= 1 and b["seconds"] > 0 and b["n_iter"] == 8


# ---- model files ---------------------------------------------------------------------------

def test_export_import_round_trip(fast_result):
    blob = digits.export_model(fast_result)
    back = digits.import_model(blob)
    assert back.config == fast_result.config
    X = np.random.default_rng(0).uniform(0, 1, (7, 64)).astype(np.float32)
    np.testing.assert_allclose(digits.predict(back, X), digits.predict(fast_result, X), atol=1e-6)
    assert list(back.history.columns) == list(fast_result.history.columns)
    assert digits.model_digest(back) == digits.model_digest(fast_result)


def _tamper(blob: bytes, change) -> bytes:
    from safetensors.torch import load

    tensors = load(blob)
    n = int.from_bytes(blob[:8], "little")
    meta = json.loads(json.loads(blob[8:8 + n])["__metadata__"]["nnlab"])
    tensors, meta = change(tensors, meta)
    return save(tensors, metadata={"nnlab": json.dumps(meta)})


def test_files_that_are_not_ours_are_refused(fast_result):
    blob = digits.export_model(fast_result)
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buf)  # a pickle-based .pt file: never opened
    bad = {
        "empty": (b"", "empty"),
        "pickle": (buf.getvalue(), "pickle"),
        "raw pickle": (b"\x80\x04\x95" + bytes(50), "pickle"),
        "text": (b"hello world, not a model", "not a safetensors"),
        "other safetensors": (save({"x": torch.zeros(3)}), "not an NN Lab"),
        "truncated": (blob[: len(blob) // 2], "damaged"),
        "wrong shapes": (_tamper(blob, lambda t, m: ({**t, "0/state/0.weight": torch.zeros(5, 64)}, m)),
                         "do not match"),
        "nan": (_tamper(blob, lambda t, m: ({**t, "0/state/0.bias": torch.full((32,), float("nan"))}, m)),
                "NaN"),
        "bad config": (_tamper(blob, lambda t, m: (t, {**m, "results": [
            {**m["results"][0], "config": {**m["results"][0]["config"], "lr": -1}}]})), "invalid"),
        "other kind": (_tamper(blob, lambda t, m: (t, {**m, "results": [
            {**m["results"][0], "config_class": "TrainConfig"}]})), "another kind"),
        "version": (_tamper(blob, lambda t, m: (t, {**m, "version": 99})), "version"),
    }
    for name, (data, words) in bad.items():
        with pytest.raises(ModelFileError) as e:
            digits.import_model(data)
        assert words.lower() in str(e.value).lower(), (name, str(e.value))
        assert "\n" not in str(e.value)


@needs_sample
def test_mnist_from_the_sample_folder_trains_and_reads():
    cfg = DigitsConfig(dataset="mnist", hidden=(32,), epochs=2, patience=0, augment=1.0, augment_copies=1,
                       train_limit=500, batch_size=128, lr=0.01)
    data = digits.load_data(cfg, SAMPLE)
    assert data.X_train.shape == (900, 784) and data.X_val.shape == (50, 784) and data.X_test.shape == (1000, 784)
    r = digits.train(cfg, folder=SAMPLE)
    assert r.n_in == 784 and r.metrics["final_test_acc"] > 0.3
    assert digits.data_identity(cfg, SAMPLE).startswith("mnist-")
    assert digits.test_image(data, 0).shape == (28, 28)



def test_reading_a_28x28_digit_averages_it_and_its_one_pixel_shifts():
    cfg = DigitsConfig(dataset="mnist", hidden=(), epochs=1, patience=0, augment_copies=0)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(784, 10))
    r = TrainResult(cfg, pd.DataFrame(), {}, {f"0.{k}": v for k, v in net[0].state_dict().items()}, 784, 10, 1, 1)
    X = np.random.default_rng(0).random((3, 784)).astype(np.float32)
    imgs = X.reshape(3, 28, 28)
    views = [imgs, np.roll(imgs, 1, 1), np.roll(imgs, -1, 1), np.roll(imgs, 1, 2), np.roll(imgs, -1, 2)]
    with torch.no_grad():
        each = [torch.softmax(net(torch.as_tensor(v.reshape(3, -1))), -1).numpy() for v in views]
    np.testing.assert_allclose(digits.predict(r, X), np.mean(each, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(digits.predict(r, X, shifts=False), each[0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(each[0], each[1])  # the shifts do change what the model sees


def test_mnist_augmentation_includes_a_smooth_elastic_warp(monkeypatch):
    X = np.zeros((1, 784), np.float32)
    X[0, 14 * 28 + 4:14 * 28 + 24] = 1  # a horizontal stroke
    monkeypatch.setattr(augment, "ELASTIC_PX", 0.0)
    plain = digits.augment_images(X, 1.0, 1, seed=3)
    monkeypatch.setattr(augment, "ELASTIC_PX", 1.0)
    warped = digits.augment_images(X, 1.0, 1, seed=3)
    monkeypatch.undo()
    assert warped.shape == (1, 784) and warped.min() >= 0 and warped.max() <= 1
    assert np.abs(warped - plain).sum() > 1.0  # the warp moved ink
    again = digits.augment_images(X, 1.0, 1, seed=3)
    assert np.array_equal(again, warped)  # seeded


def test_small_data_loaded_lately_is_handed_out_again_not_augmented_again(monkeypatch):
    """A class on the Digit Recognizer asks for the same augmented images thirty times: loaded once."""
    from core.digits import jobs

    calls = []
    real = jobs.augment_images
    monkeypatch.setattr(jobs, "augment_images", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(jobs, "_LOADED", {})
    cfg = jobs.default_config("digits")
    a = jobs.load_data(cfg)
    assert jobs.load_data(cfg.replace(lr=0.02, dropout=0.0)) is a and len(calls) == 1  # only the data's fields count
    b = jobs.load_data(cfg.replace(seed=1))  # another split and other copies
    assert b is not a and len(calls) == 2 and not torch.equal(b.X_val, a.X_val)
    for s in range(2, 2 + jobs.LOADED_KEEP):
        jobs.load_data(cfg.replace(seed=s))
    assert len(jobs._LOADED) == jobs.LOADED_KEEP and jobs.load_data(cfg) is not a  # the oldest was let go
