"""Shared links keep working: real links from each page open with their settings in the widgets, and
the page keeps them in its URL (the query-param names and meanings are a contract)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

TIMEOUT = 300
APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NNLAB_HOSTED", raising=False)


def open_link(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("ignored" in w.value for w in at.warning), [w.value for w in at.warning]
    return at


def kept(at: AppTest, query: dict[str, str]) -> None:
    """The page still holds every setting of the link in its URL."""
    for k, v in query.items():
        got = at.query_params[k]
        assert (got[-1] if isinstance(got, list) else got) == v, k


def test_xor_lab_links():
    q = {"p_gate": "OR", "p_lr": "0.05", "p_epochs": "50", "p_seed": "3"}
    at = open_link("app_pages/xor_lab.py", q)
    assert at.session_state["p_gate"] == "OR"
    assert at.number_input(key="p_lr").value == 0.05 and at.number_input(key="p_epochs").value == 50
    assert at.number_input(key="p_seed").value == 3
    kept(at, q)
    q = {"tab": "seeds", "s_hidden": "3", "s_activation": "tanh", "s_optimizer": "sgd", "s_lr": "0.5",
         "s_epochs": "30", "s_init": "xavier", "s_n_seeds": "5"}
    at = open_link("app_pages/xor_lab.py", q)
    assert at.number_input(key="s_width").value == 3 and at.selectbox(key="s_act").value == "tanh"
    assert at.selectbox(key="s_opt").value == "sgd" and at.selectbox(key="s_init").value == "xavier"
    assert at.number_input(key="s_epochs").value == 30 and at.number_input(key="s_n").value == 5
    assert at.metric[0].value.endswith("/5")
    kept(at, q)
    q = {"tab": "playground", "g_dataset": "circle", "g_hidden": "3,2,2", "g_activation": "relu", "g_lr": "0.1",
         "g_l2": "0.01", "g_epochs": "20", "g_features": "x1,x2,x1x2", "cmp": "1", "h_activation": "sigmoid"}
    at = open_link("app_pages/xor_lab.py", q)
    assert at.selectbox(key="g_dataset").value == "circle" and at.slider(key="g_layers").value == 3
    assert [at.selectbox(key=f"g_w{i}").value for i in range(3)] == [3, 2, 2]
    assert at.selectbox(key="g_reg").value == "L2" and at.number_input(key="g_rate").value == 0.01
    assert at.session_state["g_features"] == ["x1", "x2", "x1x2"]
    assert at.selectbox(key="h_act").value == "sigmoid"
    assert any("epoch 0/20" in m.value for m in at.markdown)
    kept(at, q)


def test_activation_explorer_links():
    q = {"f_functions": "elu,softplus", "f_x_min": "-3.0", "f_elu_alpha": "0.5", "f_softplus_beta": "2.0"}
    at = open_link("app_pages/activation_explorer.py", q)
    assert at.multiselect(key="f_functions").value == ["elu", "softplus"]
    assert at.number_input(key="f_xmin").value == -3.0
    assert at.slider(key="f_elu").value == 0.5 and at.slider(key="f_beta").value == 2.0
    kept(at, q)
    q = {"tab": "depth", "d_functions": "tanh,relu", "d_depth": "3", "d_width": "8", "d_epochs": "1",
         "d_init": "he", "d_lr": "0.002"}
    at = open_link("app_pages/activation_explorer.py", q)
    assert at.slider(key="d_depth").value == 3 and at.number_input(key="d_width").value == 8
    assert at.session_state["d_init"] == "he" and at.number_input(key="d_lr").value == 0.002
    kept(at, q)


def test_digit_recognizer_links():
    q = {"hidden": "24", "lr": "0.01", "epochs": "4", "patience": "0", "dropout": "0.1", "optimizer": "sgd",
         "train_limit": "300", "cmp_epochs": "3"}
    at = open_link("app_pages/digit_recognizer.py", q)
    assert at.text_input(key="d_hidden").value == "24" and at.number_input(key="d_lr").value == 0.01
    assert at.number_input(key="d_epochs").value == 4 and at.toggle(key="d_es").value is False
    assert at.slider(key="d_dropout").value == 0.1 and at.selectbox(key="d_opt").value == "sgd"
    labels = {m.label: m.value for m in at.metric}
    assert labels["Epochs run"] == "4"
    kept(at, q)
    at = open_link("app_pages/digit_recognizer.py", {**q, "tab": "compare"})
    assert at.number_input(key="d_cmp_epochs").value == 3
    kept(at, {**q, "tab": "compare"})


def test_tuner_links():
    q = {"s_lr_low": "0.001", "s_width_max": "64", "s_activations": "relu,tanh", "t_sampler": "random",
         "t_n_trials": "12", "t_epochs": "3", "t_seed": "5"}
    at = open_link("app_pages/hyperparameter_tuner.py", q)
    num = {w.label: w.value for w in at.number_input}
    assert num["lr low"] == 0.001 and num["width max"] == 64 and num["Trials"] == 12
    assert num["Epochs per trial"] == 3 and num["Seed"] == 5
    assert [w for w in at.multiselect if w.label == "Activations"][0].value == ["relu", "tanh"]
    assert [w for w in at.selectbox if w.label == "Sampler"][0].value == "random"


def test_a_hosted_link_over_a_cap_opens_with_the_default_there_and_says_so(monkeypatch):
    from core import settings
    from core.xor import SeedStudyConfig

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in {"tab": "seeds", "s_epochs": str(settings.HOSTED.max_epochs + 1), "s_n_seeds": "4"}.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("app_pages/xor_lab.py")
    at.run()
    assert not at.exception
    assert any("caps what one visitor may train" in w.value for w in at.warning)
    assert at.number_input(key="s_epochs").value == SeedStudyConfig().epochs
    assert at.number_input(key="s_epochs").max == settings.HOSTED.max_epochs
    assert at.number_input(key="s_n").value == 4  # the rest of the link is kept


def test_the_tuners_link_to_the_digit_recognizer_is_the_same_address():
    from core import tuning
    from ui import links

    best = {"lr": 0.01, "layers": 2, "width": 32, "activation": "tanh", "dropout": 0.1, "optimizer": "adam",
            "batch_size": 64}
    sts = tuning.StudySettings(epochs=7)
    q = tuning.digits_query(best, sts)
    assert links.url("digits", q) == tuning.digits_link(best, sts)
    assert links.PAGES["digits"] == "app_pages/digit_recognizer.py" and links.exists("digits")
