"""Home's neuron: its maths against hand-written numbers, the perceptron's truth table, the diagram's sign
colours, the claim on both sides, and the sliders kept in the URL."""

import math
import xml.etree.ElementTree as ET
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
    svg = ET.fromstring(nc.diagram_svg(n))  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    weighted = [ln for ln in svg.iter(ns + "line") if ln.find(ns + "title") is not None]
    assert [ln.find(ns + "title").text for ln in weighted] == ["w1 = -1", "w2 = 2", "b = 0.5"]
    assert [ln.get("stroke") for ln in weighted] == [NEGATIVE, POSITIVE, POSITIVE]  # the sign colours
    # as wide as the weight is large, on the sliders' fixed range: 1 px at 0, 8 px at the limit
    widths = [float(ln.get("stroke-width")) for ln in weighted]
    assert widths == pytest.approx([1 + 7 / 3, 1 + 14 / 3, 1 + 3.5 / 3], abs=0.01)
    assert nc.stroke_width(0.0) == 1.0 and nc.stroke_width(-3.0) == nc.stroke_width(9.0) == 8.0
    texts = [t.text for t in svg.iter(ns + "text")]
    assert {"x1", "x2", "bias", "Σ", "z = 0.5", "Sigmoid", "output", f"{n.a:.3g}"} <= set(texts)
    labels = {t.text: t.get("fill") for t in svg.iter(ns + "text") if t.text and "=" in t.text and "z" not in t.text}
    assert labels == {"w1 = -1": NEGATIVE, "w2 = 2": POSITIVE, "b = 0.5": POSITIVE}
    leaky = ET.fromstring(nc.diagram_svg(nj.evaluate(NeuronConfig(activation="leaky_relu"))))
    assert any(t.text == "Leaky" and t.find(ns + "tspan").text == "ReLU" for t in leaky.iter(ns + "text"))
    alt = nc.diagram_alt(n)  # the image's alt text says what it shows
    assert alt.startswith("One neuron: x1 = 1 times w1 = -1") and "sum z = 0.5" in alt and "Sigmoid" in alt


def test_the_truth_table_as_markdown():
    md = nc.truth_table_markdown(nj.truth_table(NeuronConfig()))
    lines = md.splitlines()
    assert lines[0] == "| x1 | x2 | z | output | AND | OR |" and len(lines) == 2 + 4
    assert lines[-1] == "| 1 | 1 | 0.30 | 1 | 1 | 1 |"


def test_home_neuron_sliders_live_in_the_url_and_a_link_restores_them():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"n_w1": "-1", "n_activation": "tanh"})
    at.run()
    assert not at.exception
    assert at.slider(key="n_w1").value == -1.0 and at.button_group(key="n_activation").value == "tanh"
    text = "\n".join(m.value for m in at.markdown)
    assert "In numbers: **tanh((-1)·1 + 0.4·0.5 + (-0.7)) = tanh(-1.5) = -0.9051**" in text
    assert "Here: **step((-1)·1 + 0.4·0.5 + (-0.7)) = step(-1.5) = 0**" in text
    assert "output **Tanh(z) = -0.9051**" in text
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
