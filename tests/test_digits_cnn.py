"""The Digit Recognizer's CNN in core: the model-kind field (its key, its link, its price), DigitsCnn trained
seeded, stacked and cached, and the insides, the not-a-digit flag and fine-tuning reading a CNN."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from core.digits import finetune as ft
from core.digits import inside, jobs, metrics
from core.digits import novelty as nv
from core.digits import workload as dw
from core.engine.conv import CnnConfig, cnn_cost
from core.serve.cache import DiskCache
from core.serve.price import workload_of, workload_price

QUICK = jobs.default_config("digits", "cnn").replace(epochs=3, augment_copies=0)


@pytest.fixture(scope="module")
def cnn():
    return jobs.compute(QUICK)[0]


# ---- the field: key, link, defaults ------------------------------------------------------------------

def test_an_mlps_identity_is_as_before_and_ignores_the_cnns_field():
    mlp = jobs.default_config()
    assert "model" not in mlp.to_dict() and "channels" not in mlp.to_dict()  # its cache key and file as before
    assert mlp.replace(channels=(3, 4)).key() == mlp.key()  # a CNN-only setting never splits an MLP's cache
    assert mlp.replace(model="cnn").key() != mlp.key()


def test_every_field_of_the_cnn_changes_its_key():
    base = jobs.net_config(jobs.default_config("digits", "cnn"))
    changed = dict(hidden=(64,), activation="tanh", init="he", optimizer="sgd", lr=0.01, momentum=0.5,
                   batch_size=64, epochs=9, l1=1e-4, l2=1e-4, dropout=0.1, patience=3, seed=4, channels=(4, 8),
                   kernel=3, dataset="mnist", val_fraction=0.2, augment=1.0, augment_copies=1, train_limit=500,
                   loss="ce")
    names = {f.name for f in dataclasses.fields(base)} - {"model"}  # "cnn" is DigitsCnn's only value
    assert names <= set(changed), sorted(names - set(changed))
    for name in names:
        assert base.replace(**{name: changed[name]}).key() != base.key(), name


def test_the_default_cnn_is_lenet_sized_near_the_mlps_parameter_count():
    for ds, mlp_n, cnn_n in (("digits", 12_060, 13_034), ("mnist", 235_146, 206_954)):
        mlp, cnn = jobs.default_config(ds), jobs.default_config(ds, "cnn")
        assert (metrics.n_params(mlp), metrics.n_params(cnn)) == (mlp_n, cnn_n)
        net = jobs.net_config(cnn)
        assert isinstance(net, CnnConfig) and net.kernel == 5 and net.channels == (8, 16) and jobs.is_cnn(net)
    with pytest.raises(ValueError):
        jobs.default_config("digits", "rnn")


def test_a_link_to_a_cnn_starts_from_the_cnns_defaults_and_round_trips():
    read = lambda q: jobs.DigitsConfig.from_query(q)[0]  # noqa: E731
    assert read({"model": "cnn"}) == jobs.default_config("digits", "cnn")
    assert read({}) == jobs.DigitsConfig() and read({"epochs": "8"}).model == "mlp"  # old links: the MLP
    assert read({"model": "cnn", "dataset": "mnist"}) == jobs.default_config("mnist", "cnn")
    cfg, notes = jobs.DigitsConfig.from_query({"model": "cnn", "hidden": "abc"})
    assert cfg.hidden == (128,) and notes  # a bad value: the CNN's default, with a notice
    for cfg in (jobs.default_config("digits", "cnn").replace(hidden=(100, 50), lr=0.01, channels=(4,)),
                jobs.default_config("mnist", "cnn").replace(epochs=60, augment_copies=4),
                jobs.default_config("mnist").replace(channels=(2, 3))):
        assert read(cfg.to_query()) == cfg, cfg.to_query()


# ---- training: seeded, stacked, cached ----------------------------------------------------------------

def test_a_cnn_trains_seeded_and_comes_back_from_the_disk_cache_as_a_cnn(cnn, tmp_path):
    assert isinstance(cnn.config, jobs.DigitsCnn) and cnn.extra["dataset"] == "digits"
    assert any(v.dim() == 4 for v in cnn.state.values())
    again = jobs.compute(QUICK)[0]
    assert all(torch.equal(cnn.state[k], again.state[k]) for k in cnn.state)
    cache = DiskCache(tmp_path)
    first = jobs.train(QUICK, cache=cache)
    back = jobs.train(QUICK, cache=cache)  # read back from disk
    assert isinstance(back.config, jobs.DigitsCnn) and back.config == first.config
    X = jobs.raw_arrays("digits")[2][:20]
    np.testing.assert_allclose(jobs.predict(back, X), jobs.predict(first, X), atol=1e-6)


def test_two_cnns_of_one_shape_train_as_one_grouped_stack_equal_to_each_alone():
    a, b = QUICK, QUICK.replace(dropout=0.0, patience=0)
    both = jobs.compute([a, b])
    assert "stacks" not in both[0].extra  # one stack: the engine split nothing
    alone = jobs.compute(b)[0]
    for k in alone.state:
        torch.testing.assert_close(both[1].state[k], alone.state[k], atol=2e-4, rtol=1e-3)


# ---- the price: the CNN's convolutions ------------------------------------------------------------------

def test_the_price_reads_cnn_cost_and_grows_with_the_models():
    cfg = jobs.default_config("digits", "cnn")
    one = workload_price(workload_of(cfg))
    shape = dw.digits_shape(cfg)
    c = cnn_cost(jobs.net_config(cfg), 8, 10, shape.n_train, shape.n_eval)
    assert one.macs == pytest.approx(c["flops"] / 2)
    assert one.seconds > workload_price(workload_of(jobs.default_config())).seconds  # convolutions cost more
    assert one.likely_seconds < one.seconds  # early stopping assumed to end it sooner
    two = workload_price(dw.models([cfg, cfg.replace(dropout=0.0)]))
    assert two.macs == pytest.approx(2 * one.macs)
    assert workload_price(workload_of(cfg.replace(channels=(32, 64)))).macs > one.macs


# ---- insides, the not-a-digit flag, fine-tuning ---------------------------------------------------------

def test_the_insides_read_a_cnns_dense_layers_and_refuse_its_first_layer_as_images(cnn):
    X = jobs.raw_arrays("digits")[2][:4]
    act = inside.hidden_activations(cnn, X, with_grad_for="top")
    assert [a.shape for a in act.layers] == [(4, 128)] and act.contrib[0].shape == (4, 128)
    np.testing.assert_allclose(act.probs, jobs.predict(cnn, X), atol=1e-5)
    assert inside.embed(cnn, X).shape == (4, 128)  # nearest images: the dense layer
    # the not-a-digit flag reads more of a CNN: its last pooled maps too
    assert nv.embed(cnn, X, "hidden").shape == (4, nv.dims(cnn, "hidden")) and nv.dims(cnn, "hidden") > 128
    with pytest.raises(ValueError, match="CNN"):
        inside.first_layer_weights(cnn)
    assert inside.is_conv(cnn)


def test_the_flag_and_fine_tuning_work_on_a_cnn(cnn):
    Xtr, ytr, Xte, yte = jobs.raw_arrays("digits")
    flag = nv.fit(cnn, Xtr)
    assert flag.flags(cnn, Xte[:50]).mean() < 0.5
    work = ft.workload(cnn, 2, len(Xte))
    assert workload_price(work).macs > 0 and not work.stacks  # priced as convolutions, not as an MLP stack
    tuned = ft.finetune(cnn, Xte[:2], yte[:2], Xtr, ytr, epochs=3, copies=1)
    assert isinstance(tuned.result.config, jobs.DigitsCnn)
    assert jobs.predict(tuned.result, Xte[:2]).shape == (2, 10)


def test_the_compare_pair_keeps_the_settings_and_swaps_the_layers():
    mlp_cfg = jobs.default_config().replace(lr=0.01, epochs=9)
    mlp, cnn = metrics.model_pair(mlp_cfg)
    assert mlp == mlp_cfg and cnn.model == "cnn" and cnn.hidden == (128,) and (cnn.lr, cnn.epochs) == (0.01, 9)
    mlp2, cnn2 = metrics.model_pair(cnn.replace(channels=(4, 8)))
    assert mlp2.model == "mlp" and mlp2.hidden == (100, 50) and cnn2.channels == (4, 8)
