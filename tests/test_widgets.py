"""ui.widgets: a widget's range, choices and help come from the config field (and the server's cap)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import settings
from core.digits import DigitsConfig
from core.explorer import CompareConfig, DepthConfig
from core.xor import PerceptronConfig, SeedStudyConfig
from core.xor.playground import PlaygroundConfig
from ui import widgets


def test_bounds_are_the_declared_range_on_a_laptop(monkeypatch):
    monkeypatch.delenv("NNLAB_HOSTED", raising=False)
    b = widgets.bounds(PerceptronConfig, "epochs")
    assert (b.lo, b.hi, b.kind) == (1, 10_000, int)
    lr = widgets.bounds(PerceptronConfig, "lr")
    assert (lr.lo, lr.hi) == (1e-4, 10.0) and isinstance(lr.lo, float)
    gate = widgets.bounds(PerceptronConfig, "gate")
    assert gate.choices == ("AND", "OR", "NAND", "XOR")


def test_hosted_bounds_end_at_the_fields_declared_cap(monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    lim = settings.HOSTED
    assert widgets.bounds(DigitsConfig, "epochs").hi == lim.max_epochs
    assert widgets.bounds(SeedStudyConfig, "n_seeds").hi == lim.max_seeds
    assert widgets.bounds(DepthConfig, "depth").hi == lim.max_layers  # an int "layers" cap bounds the value
    hidden = widgets.bounds(DigitsConfig, "hidden")  # a tuple: width bounds each entry, layers its length
    assert hidden.hi == lim.max_width and hidden.length == (0, lim.max_layers)
    assert widgets.bounds(PlaygroundConfig, "hidden").hi == 32  # a cap (256) never widens a declared range
    assert widgets.bounds(PerceptronConfig, "lr").hi == 10.0  # no cap declared: unchanged


def test_explicit_limits_apply_without_hosted_mode(monkeypatch):
    monkeypatch.delenv("NNLAB_HOSTED", raising=False)
    assert widgets.bounds(CompareConfig, "epochs", settings.HOSTED).hi == min(500, settings.HOSTED.max_epochs)


@pytest.mark.parametrize("text,kind,want,shown", [("2, 1, -0.5", float, (2.0, 1.0, -0.5), "2, 1, -0.5"),
                                                  ("100;50", int, (100, 50), "100, 50"), (" 7 ", int, (7,), "7")])
def test_parse_numbers_reads_commas_and_semicolons(text, kind, want, shown):
    assert widgets.parse_numbers(text, kind) == want
    assert widgets.numbers_text(want) == shown
    assert widgets.parse_numbers(shown, kind) == want


def test_a_list_of_many_digit_floats_survives_its_text_box():
    for values in [(0.1234567890123, -2.5), (1e-7, 3.0000000000000004), (0.30000000000000004, 12.345678901234567)]:
        assert widgets.parse_numbers(widgets.numbers_text(values)) == values


def test_parse_numbers_says_why_it_refuses():
    with pytest.raises(ValueError, match="whole numbers"):
        widgets.parse_numbers("10, x", int)
    with pytest.raises(ValueError, match="enter numbers"):
        widgets.parse_numbers(" , ")
    assert widgets.parse_numbers("", int, allow_empty=True) == ()


def test_within_caps_puts_fields_over_a_cap_back_to_their_defaults(monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    cfg = DigitsConfig(epochs=90_000, hidden=(300, 10), lr=0.02)
    capped, notes = widgets.within_caps(cfg)
    assert capped.epochs == DigitsConfig().epochs and capped.hidden == DigitsConfig().hidden
    assert capped.lr == 0.02  # what was within the caps is kept
    assert any("epochs" in n for n in notes) and any("hidden" in n for n in notes)
    monkeypatch.delenv("NNLAB_HOSTED")
    assert widgets.within_caps(cfg) == (cfg, [])


SCRIPT = '''
import streamlit as st
from core.explorer import DepthConfig
from core.xor import PerceptronConfig
from core.xor.playground import PlaygroundConfig
from ui.widgets import field_widget

field_widget(PerceptronConfig, "epochs", label="Epochs", key="ep", value=250)
field_widget(PerceptronConfig, "gate", label="Gate", key="gate", value="AND", widget="segmented_control")
field_widget(DepthConfig, "depth", label="Depth", key="depth", value=4, widget="slider")
field_widget(PlaygroundConfig, "hidden", label="Layers", key="layers", value=2, part="length")
field_widget(PlaygroundConfig, "hidden", label="Layer 1", key="w0", value=3, part="item", widget="selectbox")
field_widget(PlaygroundConfig, "features", label="Features", key="feat", value=("x1", "x2"))
field_widget(DepthConfig, "lr", label="lr", key="lr", value=0.01, format="%.4g", help=None)
field_widget(PerceptronConfig, "lr", label="form lr", value=0.5)  # no key: the value goes to the widget
'''


def test_field_widget_builds_each_kind_from_the_field(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("NNLAB_HOSTED", raising=False)
    f = tmp_path / "w.py"
    f.write_text(SCRIPT)
    at = AppTest.from_file(str(f), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    ep = at.number_input(key="ep")
    assert (ep.min, ep.max, ep.value) == (1, 10_000, 250)
    assert at.session_state["gate"] == "AND"
    depth = at.slider(key="depth")
    assert (depth.min, depth.max, depth.value) == (2, 20, 4) and depth.help == "hidden layers"  # declared help
    layers = at.slider(key="layers")
    assert (layers.min, layers.max, layers.value) == (0, 6, 2)
    assert at.selectbox(key="w0").options == [str(i) for i in range(1, 33)] and at.selectbox(key="w0").value == 3
    assert at.multiselect(key="feat").value == ["x1", "x2"]  # a tuple with choices: a multiselect
    assert DepthConfig.limits("lr")["help"] == "Adam" and at.number_input(key="lr").help == ""  # help=None: none
    assert at.number_input[-1].value == 0.5
    at.number_input(key="ep").set_value(900).run()  # a later user change wins over the first value
    assert at.number_input(key="ep").value == 900


def test_field_widget_ends_at_the_cap_in_hosted_mode(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    f = tmp_path / "w.py"
    f.write_text(SCRIPT)
    at = AppTest.from_file(str(f), default_timeout=60).run()
    assert not at.exception
    assert at.number_input(key="ep").max == settings.HOSTED.max_epochs
    assert at.slider(key="depth").max == settings.HOSTED.max_layers
