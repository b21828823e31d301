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


# ---- constraints between fields, and what a link may set on a hosted server ---------------------------
def test_a_link_that_breaks_a_constraint_opens_the_defaults_for_its_fields_with_one_notice():
    cfg, notices, capped = widgets.link_config(PlaygroundConfig, {"g_loss": "ce", "g_dataset": "plane",
                                                                  "g_lr": "0.5"}, "g_")
    assert (cfg.loss, cfg.dataset, cfg.lr) == ("auto", "xor", 0.5)  # the rest of the link is kept
    assert len(notices) == 1 and "g_loss" in notices[0] and "g_dataset" in notices[0]
    assert "cross-entropy needs classes" in notices[0] and capped == []
    cfg, notices, _ = widgets.link_config(SeedStudyConfig, {"s_first_seed": str(2**31 - 1), "s_n_seeds": "5"}, "s_")
    assert (cfg.first_seed, cfg.n_seeds) == (0, SeedStudyConfig().n_seeds)
    assert len(notices) == 1 and "s_first_seed" in notices[0] and "s_n_seeds" in notices[0]
    assert len(cfg.train_configs()) == cfg.n_seeds  # every model's seed is within the seed range
    # values that fit together are kept together
    cfg, notices, _ = widgets.link_config(SeedStudyConfig, {"s_first_seed": str(2**31 - 5), "s_n_seeds": "5"}, "s_")
    assert (cfg.first_seed, cfg.n_seeds, notices) == (2**31 - 5, 5, [])


def test_a_constraint_is_checked_at_construction_and_read_by_the_widgets_choices():
    from core.config import ConstraintError

    with pytest.raises(ConstraintError) as e:
        PlaygroundConfig(loss="ce", dataset="plane")
    assert e.value.fields == ("loss", "dataset")
    assert PlaygroundConfig.choices_given("loss", {"dataset": "plane"}) == ("auto", "mse")
    assert PlaygroundConfig.choices_given("loss", PlaygroundConfig()) == ("auto", "mse", "ce")
    assert PlaygroundConfig.choices_given("dataset", {"loss": "ce"}) == tuple(
        d for d in PlaygroundConfig.limits("dataset")["choices"] if not __import__("core").datasets.is_regression(d))


GIVEN = '''
import streamlit as st
from core.xor.playground import PlaygroundConfig
from ui.widgets import field_widget

ds = st.selectbox("data", ["xor", "plane"], key="ds")
field_widget(PlaygroundConfig, "loss", label="Loss", key="loss", value="ce", given={"dataset": ds})
'''


def test_field_widget_offers_only_the_choices_that_fit_the_other_fields(tmp_path: Path):
    f = tmp_path / "g.py"
    f.write_text(GIVEN)
    at = AppTest.from_file(str(f), default_timeout=60).run()
    assert at.selectbox(key="loss").options == ["auto", "mse", "ce"] and at.selectbox(key="loss").value == "ce"
    at.selectbox(key="ds").set_value("plane").run()
    assert not at.exception
    assert at.selectbox(key="loss").options == ["auto", "mse"] and at.selectbox(key="loss").value == "auto"


def test_a_hosted_link_cannot_name_a_server_folder(monkeypatch):
    from ui.links import DigitsLink

    link = {"mnist_dir": "/etc", "tab": "read"}
    monkeypatch.delenv("NNLAB_HOSTED", raising=False)
    cfg, notices, _ = widgets.link_config(DigitsLink, link)
    assert cfg.mnist_dir == "/etc" and notices == []  # a laptop: the visitor is the owner
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    cfg, notices, _ = widgets.link_config(DigitsLink, link)
    assert cfg.mnist_dir == "" and cfg.tab == "read"
    assert notices == ["`mnist_dir` ignored: on a shared server the data folder is the server owner's setting, "
                       "not a link's"]  # the same words whatever the path: nothing said about it


@pytest.mark.parametrize("value", ["²", "٣x", "-3", "nan", "1e309", "x" * 10_000, "", "~x", "../.."])
def test_page_params_refuse_hostile_values_with_a_notice(value):
    from ui.links import ArchitecturesLink, DigitsLink

    cfg, notices, _ = widgets.link_config(ArchitecturesLink, {"u_show": value, "tab": value})
    assert cfg == ArchitecturesLink() and len(notices) == 2  # "²".isdigit() is True, int("²") refuses it
    cfg, notices, _ = widgets.link_config(DigitsLink, {"cmp_epochs": [value, value]})  # a repeated key
    assert cfg == DigitsLink() and len(notices) == 1


def test_page_params_match_the_pages():
    from core.backprop import jobs as bj
    from core.digits import lessons
    from ui import links

    assert links.DIGIT_CMP_EPOCHS == lessons.CMP_EPOCHS and list(links.BACKPROP_WEIGHTS) == bj.weight_names()
    for step in links.PATH:
        if step.tab:
            cls = links.PAGE_PARAMS[step.page]
            assert step.tab in cls.limits(links.TAB_PARAM.get(step.page, "tab"))["choices"], step.id
    import ast

    for page, cls in links.PAGE_PARAMS.items():  # a page's TABS keys are the declared choices of its tab param
        tree = ast.parse((links.ROOT / links.PAGES[page]).read_text(encoding="utf-8"))
        tabs = [[ast.literal_eval(k) for k in n.value.keys] for n in tree.body if isinstance(n, ast.Assign)
                and any(getattr(t, "id", "") == "TABS" for t in n.targets) and isinstance(n.value, ast.Dict)]
        if tabs:
            assert tuple(tabs[0]) == cls.limits(links.TAB_PARAM.get(page, "tab"))["choices"], page
