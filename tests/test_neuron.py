"""Home's neuron: its maths against hand-written numbers, the perceptron's truth table, the diagram's sign
colours, the claim on both sides, and the sliders kept in the URL."""

import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.config import ConfigError
from core.engine import activations as acts
from core.neuron import CHOICES, NeuronConfig
from core.neuron import charts as nc
from core.neuron import jobs as nj
from core.neuron.claims import perceptron_gate
from core.plotting import NEGATIVE, POSITIVE
from tests.claimcheck import both_sides

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_every_choice_is_a_registered_elementwise_activation_and_step_is_one():
    assert "step" in CHOICES
    for n in CHOICES:
        assert n in acts.REGISTRY and acts.REGISTRY[n].elementwise


def test_weighted_sum_and_activation_match_the_formula_by_hand():
    cfg = NeuronConfig(inputs=3, x1=1.0, x2=-2.0, x3=0.5, w1=0.5, w2=0.25, w3=-2.0, b=0.3)
    z = 1.0 * 0.5 + -2.0 * 0.25 + 0.5 * -2.0 + 0.3  # -0.7
    n = nj.evaluate(cfg)
    assert n.z == pytest.approx(z) and n.a == pytest.approx(1 / (1 + math.exp(-z)))
    assert nj.evaluate(cfg, "relu").a == 0.0 and nj.evaluate(cfg, "tanh").a == pytest.approx(math.tanh(z))
    assert nj.evaluate(cfg, "step").a == 0.0 and nj.evaluate(cfg.replace(b=1.5), "step").a == 1.0
    assert nj.evaluate(cfg.replace(inputs=2)).z == pytest.approx(1.0 * 0.5 + -2.0 * 0.25 + 0.3)
    assert nj.formula(n) == "sigmoid(0.5·1 + 0.25·(-2) + (-2)·0.5 + 0.3) = sigmoid(-0.7) = 0.3318"


def test_config_ranges_and_url_round_trip():
    with pytest.raises(ConfigError):
        NeuronConfig(inputs=4)
    with pytest.raises(ConfigError):
        NeuronConfig(w1=9.0)
    cfg = NeuronConfig(inputs=3, w2=-1.5, activation="tanh")
    q = cfg.to_query("n_")
    assert q == {"n_inputs": "3", "n_w2": "-1.5", "n_activation": "tanh"}
    assert NeuronConfig.from_query(q, "n_")[0] == cfg


def test_the_perceptron_truth_table_and_its_claim_both_sides():
    t = nj.truth_table(NeuronConfig())  # 0.6, 0.4, bias -0.7: only (1, 1) reaches z > 0
    assert list(t["output"]) == [0, 0, 0, 1] and list(t["AND"]) == [0, 0, 0, 1] and list(t["OR"]) == [0, 1, 1, 1]
    with both_sides("neuron.perceptron_gate"):
        assert perceptron_gate(NeuronConfig()).startswith("As a perceptron (Step), these weights and bias compute AND")
        assert "compute OR" in perceptron_gate(NeuronConfig(b=-0.2))
        s = perceptron_gate(NeuronConfig(b=0.5))  # fires on every row: neither gate
        assert not s.holds and "AND 1 of 4, OR 3 of 4" in s
    assert len(nj.truth_table(NeuronConfig(inputs=3))) == 8


def test_gradient_descent_gets_nothing_from_step_and_learns_with_sigmoid():
    step, sig = nj.descend("step"), nj.descend("sigmoid")
    assert (step["grad_norm"] == 0).all() and step["loss"].nunique() == 1
    assert sig["grad_norm"].iloc[0] > 0 and sig["loss"].iloc[-1] < 0.5 * sig["loss"].iloc[0]
    assert sig["errors"].iloc[-1] == 0


def test_the_diagram_colours_weights_by_sign_and_shows_the_sum_and_output():
    n = nj.evaluate(NeuronConfig(w1=-1.0, w2=2.0, b=0.5))
    nodes, edges = nc.diagram_frames(n)
    assert list(edges["weight"].dropna()) == [-1.0, 2.0, 0.5]
    assert "z = 0.5" in set(nodes["sub"]) and f"{n.a:.3g}" in set(nodes["sub"])
    spec = nc.diagram(n).to_dict()
    colours = [lay["encoding"]["color"] for lay in spec["layer"] if "color" in lay.get("encoding", {})]
    assert colours and all(c["condition"]["value"] == POSITIVE and c["value"] == NEGATIVE for c in colours)
    assert all("datum.weight >= 0" in c["condition"]["test"] for c in colours)
    widths = [lay["encoding"]["strokeWidth"]["scale"]["domain"] for lay in spec["layer"]
              if "strokeWidth" in lay.get("encoding", {})]
    assert widths == [[0, 3.0]]  # the sliders' range: a weight keeps its width as the others move
    fast = nc.diagram_spec(n)  # the page's spec: the same drawing, the data filled into a cached template
    assert [lay["mark"] for lay in fast["layer"]] == [lay["mark"] for lay in spec["layer"]]
    assert [e["weight"] for e in fast["datasets"]["weighted"]] == [-1.0, 2.0, 0.5]
    assert any(d["sub"] == "z = 0.5" for d in fast["datasets"]["nodes"]) and len(fast["datasets"]["plain"]) == 2


def test_home_neuron_sliders_live_in_the_url_and_a_link_restores_them():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"n_w1": "-1", "n_activation": "tanh"})
    at.run()
    assert not at.exception
    assert at.slider(key="n_w1").value == -1.0 and at.selectbox(key="n_activation").value == "tanh"
    codes = [c.value for c in at.code]
    assert codes[0].startswith("tanh((-1)·1 + 0.4·0.5 + (-0.7))") and codes[1].startswith("step(")
    at.slider(key="n_b").set_value(1.0).run()
    assert at.query_params["n_b"] == ["1.0"] or at.query_params["n_b"] == "1.0"
    assert any("XOR Lab ① Perceptron" in p.proto.label for p in at.get("page_link"))


def test_home_reads_the_neuron_link_without_importing_torch():
    """Home imports the neuron's config (and the widgets) at the top: torch waits until after the first chart."""
    import subprocess
    import sys
    code = ("import sys, core.neuron, core.neuron.config, ui.widgets\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n"
            "import core.neuron.jobs\n"
            "assert 'torch' in sys.modules\n")
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
