"""The NumPy network from scratch: its gradients against autograd, its twin in the engine, the script it
downloads, its price and the Backprop page's tab that shows it."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.scratch import jobs as J
from core.scratch import net
from core.scratch.maths import BLOCKS
from core.serve import price
from core.serve.workload import Net
from tests.pages import open_page, qp

ROOT = Path(__file__).resolve().parents[1]
SMALL = J.ScratchConfig(epochs=3)


# ---- the gradients against autograd ------------------------------------------------------------------
@pytest.mark.parametrize("depth,width,act,seed", [(1, 16, "relu", 0), (2, 64, "relu", 1), (3, 8, "tanh", 2),
                                                  (4, 12, "sigmoid", 3), (6, 5, "relu", 4)])
def test_every_gradient_matches_autograd_in_float64(depth, width, act, seed):
    cfg = J.ScratchConfig(depth=depth, width=width, activation=act, seed=seed, epochs=2)
    check = J.gradient_check(cfg)
    assert len(check) == 1 + 2 * (depth + 1)  # the loss, then dW and db of every layer
    assert check["relative error"].max() < 1e-6
    assert (check["largest |value|"].iloc[1:] > 0).all()  # no array checked as all zeros against all zeros
    trained = J.run_numpy(cfg).params
    assert J.gradient_check(cfg, trained)["relative error"].max() < 1e-6


def test_the_check_catches_a_wrong_backward(monkeypatch):
    """A deliberate break (sigmoid's slope without its (1 - s)) is caught by far."""
    monkeypatch.setattr(net, "slope", lambda name, z: 1.0 / (1.0 + np.exp(-z)))
    assert J.gradient_check(J.ScratchConfig(activation="sigmoid"))["relative error"].max() > 1e-2


def test_autograd_reference_is_torch_own_network():
    """The reference is independent of the NumPy code: nn.Linear layers with the same weights give the same."""
    cfg = J.ScratchConfig(depth=2, width=8)
    params = net.init(cfg.sizes, 0)
    X, y = J.data64()[0][:20], J.data64()[1][:20]
    layers = []
    for i, (W, b) in enumerate(params):
        lin = torch.nn.Linear(*W.shape).double()
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W.T))
            lin.bias.copy_(torch.tensor(b))
        layers += [lin] + ([torch.nn.ReLU()] if i < len(params) - 1 else [])
    model = torch.nn.Sequential(*layers)
    loss = torch.nn.functional.cross_entropy(model(torch.tensor(X)), torch.tensor(y))
    loss.backward()
    ref_loss, ref = J.autograd_grads(params, X, y, "relu")
    assert abs(float(loss.detach()) - ref_loss) < 1e-12
    for lin, (dW, db) in zip([m for m in model if isinstance(m, torch.nn.Linear)], ref):
        np.testing.assert_allclose(lin.weight.grad.numpy().T, dW, atol=1e-14)
        np.testing.assert_allclose(lin.bias.grad.numpy(), db, atol=1e-14)


def test_softmax_and_loss_are_stable_and_right():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    p = net.softmax(z)
    assert np.isfinite(p).all() and np.allclose(p.sum(1), 1)
    ref = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor([1, 2]))
    assert abs(net.cross_entropy(z, np.array([1, 2])) - float(ref)) < 1e-12


def test_init_is_he_normal_and_the_engine_twin_has_the_same_recipe():
    params = net.init([64, 256, 256, 10], 0)
    assert abs(params[1][0].std() - np.sqrt(2 / 256)) < 0.01 and not params[0][1].any()
    cfg = J.ScratchConfig(depth=3, width=32, activation="tanh", lr=0.05, epochs=7, batch_size=16, seed=5)
    t = J.engine_config(cfg)
    assert (t.hidden, t.activation, t.init, t.loss, t.optimizer, t.lr, t.batch_size, t.epochs, t.seed) == (
        (32, 32, 32), "tanh", "he", "ce", "sgd", 0.05, 16, 7, 5)
    assert t.dropout == 0 and t.l1 == t.l2 == 0 and t.patience == 0


def test_both_networks_learn_and_agree_within_two_points():
    c = J.compare(J.ScratchConfig(epochs=10))
    assert c.numpy.test_acc > 0.93 and c.torch.test_acc > 0.93
    assert abs(c.numpy.test_acc - c.torch.test_acc) <= 0.02
    assert len(c.numpy.losses) == len(c.torch.losses) == 10 and c.numpy.losses[-1] < c.numpy.losses[0]
    assert c.max_rel_error < 1e-6


def test_the_config_key_changes_with_every_field():
    base = J.ScratchConfig()
    other = {"depth": 3, "width": 32, "activation": "tanh", "lr": 0.05, "epochs": 21, "batch_size": 16, "seed": 1}
    assert set(other) == {f.name for f in dataclasses.fields(J.ScratchConfig)}
    for k, v in other.items():
        assert base.replace(**{k: v}).key() != base.key(), k
    assert J.ScratchConfig.from_query(base.replace(**other).to_query("fs_"), "fs_")[0] == base.replace(**other)


def test_the_workload_prices_both_networks():
    cfg = J.ScratchConfig(depth=3, width=100, epochs=40, batch_size=8)
    w = cfg.workload()
    assert [s.models for s in w.stacks] == [(Net((100, 100, 100), 40, 8),)] * 2
    bigger = price.workload_price(cfg.replace(epochs=80).workload())
    assert bigger.seconds > price.workload_price(w).seconds


# ---- the maths and the script -------------------------------------------------------------------------
def test_every_function_of_the_network_is_shown_beside_its_maths():
    shown = {f.__name__ for b in BLOCKS for f in b.functions}
    public = {n for n, v in vars(net).items() if callable(v) and v.__module__ == net.__name__}
    assert public - {"accuracy"} <= shown
    assert "dz /= n" in next(b for b in BLOCKS if net.backward in b.functions).source()


def test_the_downloaded_script_runs_alone_and_prints_the_pages_accuracy(tmp_path):
    cfg = J.ScratchConfig(depth=1, width=32, epochs=5, lr=0.2)
    text = J.script(cfg)
    assert "import torch" not in text and "from core" not in text and "import streamlit" not in text
    path = tmp_path / "nnlab_numpy_digits.py"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    acc = float(re.search(r"test accuracy: ([0-9.]+)", out.stdout).group(1))
    assert acc > 0.9
    assert abs(acc - J.run_numpy(cfg).test_acc) < 1e-4  # the same code, the same seed: the page's number


# ---- the page's tab -----------------------------------------------------------------------------------
def page(**params) -> AppTest:
    """The Backprop page opened by a link."""
    return open_page("app_pages/backprop.py", **params)


def test_the_tab_opens_from_its_link_and_keeps_its_settings_in_the_url():
    at = page(tab="scratch", fs_depth="1", fs_width="32", fs_epochs="5", fs_lr="0.2")
    assert not at.exception
    cfg = J.ScratchConfig(depth=1, width=32, epochs=5, lr=0.2)
    mine = J.run_numpy(cfg)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["NumPy: test accuracy"] == f"{mine.test_acc:.1%}"
    assert float(metrics["Max relative error"]) < 1e-6
    assert "Autograd agrees" in at.success[0].value
    code = [c.value for c in at.code if c.language == "python"]
    assert len(code) == len(BLOCKS) and "def backward" in "".join(code)
    assert at.get("download_button")
    (loss,) = [c.proto for c in at.get("vega_lite_chart")]
    at.selectbox(key="fs_activation").set_value("tanh").run()
    assert not at.exception and qp(at, "fs_activation") == "tanh" and qp(at, "tab") == "scratch"
    assert [c.proto for c in at.get("vega_lite_chart")] != [loss]  # the loss chart is kept per setting
    assert qp(at, "fs_depth") == "1" and qp(at, "fs_epochs") == "5"


def test_the_step_tab_is_the_default_and_a_bad_tab_falls_back_to_it():
    at = page(tab="nonsense")
    assert not at.exception
    assert at.number_input(key="bp_step").value == 0 and not [c for c in at.code if c.language == "python"]
    assert any("tab" in w.value for w in at.warning)  # the link's bad value is said once


HOSTILE = ["", "9" * 400, "٣", "-1", "nan", "inf", "../..", "x" * 5_000, "1e309", "\x00", "0", "1,2"]


def test_hostile_links_give_defaults_and_a_notice_never_a_traceback():
    from ui.widgets import link_config

    for f in dataclasses.fields(J.ScratchConfig):
        for raw in HOSTILE:
            cfg, notices, capped = link_config(J.ScratchConfig, {f"fs_{f.name}": raw}, "fs_")
            assert isinstance(cfg, J.ScratchConfig)
            price.workload_price(cfg.workload())  # every config a link can make is priced
    at = page(tab="scratch", fs_depth="-1", fs_lr="nan", fs_activation="../..", fs_epochs="2")
    assert not at.exception and at.warning  # the ignored settings are named
    assert qp(at, "fs_epochs") == "2" and qp(at, "fs_depth") is None


def test_hosted_caps_bound_the_widgets_and_the_price_refuses_a_huge_request(monkeypatch):
    from core import settings

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(settings, "HOSTED", dataclasses.replace(settings.HOSTED, max_epochs=30, max_width=128))
    at = page(tab="scratch", fs_epochs="3")
    assert not at.exception
    assert at.number_input(key="fs_epochs").max == 30 and at.number_input(key="fs_width").max == 128
    assert at.get("download_button")  # a generated text file: offered hosted too (no server download)
    huge = J.ScratchConfig(depth=6, width=512, epochs=300, batch_size=1)
    assert price.check(huge) is not None
