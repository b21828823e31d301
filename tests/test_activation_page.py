"""AppTest (and one browser run) of the Activation Explorer page, as a visitor uses it."""

import hashlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.explorer import DEFAULT_CURVES
from tests.conftest import exceptions, screenshot, wait_for_app

TIMEOUT = 300
APP = str(Path(__file__).resolve().parents[1] / "app.py")
# small networks so the training tabs stay quick
SMALL_LEARN = {"tab": "learn", "c_functions": "relu,sigmoid", "c_n_seeds": "2", "c_hidden": "16",
               "c_epochs": "3", "c_dataset": "gauss"}
SMALL_DEPTH = {"tab": "depth", "d_functions": "sigmoid,relu", "d_depth": "3", "d_width": "8", "d_epochs": "1"}


def page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()  # st.navigation registers the pages (and their url paths) on a first run
    at.switch_page("app_pages/activation_explorer.py")
    return at.run()


def charts_digest(at) -> str:
    """A hash of every chart's spec and data on the page."""
    h = hashlib.sha256()
    for c in at.get("vega_lite_chart"):
        h.update(c.proto.spec.encode())
        for d in c.proto.datasets:
            h.update(d.SerializeToString())
    return h.hexdigest()


def texts(at, kind) -> str:
    return "\n".join(str(e.value) for e in getattr(at, kind))


def test_renders_at_defaults_and_choosing_functions_changes_the_charts():
    at = page()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 2
    table = at.table[0].value
    assert list(table["function"])[:3] == ["Sigmoid", "Tanh", "ReLU"]
    # static tables that wrap to fit 1024 px: the six measured columns, then what each function is for
    assert list(table.columns) == ["function", "output range", "largest slope", "saturates (|slope| < 0.01)",
                                   "zero-centred", "mean output, N(0,1) input"]
    assert list(at.table[1].value.columns) == ["function", "use", "gotcha"]
    assert "0.25" in texts(at, "caption")  # sigmoid's largest slope, measured
    before = charts_digest(at)
    at.multiselect(key="f_functions").set_value(["gelu", "mish"]).run()
    assert not at.exception
    assert charts_digest(at) != before
    assert list(at.table[0].value["function"]) == ["GELU", "Mish"]
    assert at.query_params["f_functions"] == "gelu,mish"


def test_bad_parameters_show_a_message_and_keep_the_last_good_settings():
    at = page()
    at.number_input(key="f_xmin").set_value(8.0).run()
    assert not at.exception
    assert "min < max" in texts(at, "error")
    assert at.table[0].value.shape[0] == len(DEFAULT_CURVES)  # the previous valid choice is still drawn
    assert "f_x_min" not in at.query_params
    at.number_input(key="f_xmin").set_value(-6.0).run()
    at.multiselect(key="f_functions").set_value([]).run()
    assert "Choose at least one function" in texts(at, "warning")
    assert len(at.get("vega_lite_chart")) == 2 and not at.exception


def test_the_url_restores_the_choice_and_reports_bad_values():
    at = page(f_functions="elu,softplus", f_x_min="-3", f_softplus_beta="4", f_elu_alpha="99")
    assert not at.exception
    assert at.multiselect(key="f_functions").value == ["elu", "softplus"]
    assert at.number_input(key="f_xmin").value == -3.0
    assert at.slider(key="f_beta").value == 4.0
    assert "f_elu_alpha" in texts(at, "warning")  # out of range: a notice, default used
    assert at.slider(key="f_elu").value == 1.0
    assert "Softplus (beta=4)" in list(at.table[0].value["function"])
    bad_range = page(f_x_min="5", f_x_max="1")
    assert not bad_range.exception and "ignored" in texts(bad_range, "warning")


def test_softmax_tab_temperature_and_bad_logits():
    at = page(tab="softmax", f_temperature="5")
    assert not at.exception
    assert "At T = 5" in texts(at, "caption") and "sum to 1.000000" in texts(at, "caption")
    at.text_input(key="f_logits").input("1, two, 3").run()
    assert "could not read" in texts(at, "error") and not at.exception
    at.text_input(key="f_logits").input("3, 0").run()
    assert not at.error and at.query_params["f_logits"] == "3.0,0.0"


def test_learning_tab_trains_ranks_and_rejects_zero_seeds():
    at = page(**SMALL_LEARN)
    assert not at.exception
    assert "Best:" in texts(at, "caption") and "4 models (2 activations x 2 seeds)" in texts(at, "caption")
    ranked = at.dataframe[0].value
    assert list(ranked["rank"]) == [1, 2] and set(ranked["activation"]) == {"ReLU", "Sigmoid"}
    assert at.number_input(key="c_seeds").min == 1  # the field's range: 0 seeds cannot be asked for
    at.text_input(key="c_hidden").set_value("16, x").run()
    assert "could not read" in texts(at, "error") and not at.exception
    assert "4 models" in texts(at, "caption")  # the last valid comparison stays on screen


def test_depth_tab_reports_gradients_dead_units_and_init():
    at = page(**SMALL_DEPTH)
    assert not at.exception
    caps = texts(at, "caption")
    assert "layer 1 gets" in caps and "Test accuracy after 1 epoch at depth 3" in caps
    assert len(at.get("vega_lite_chart")) == 5
    at.segmented_control(key="d_init").set_value("he").run()
    assert not at.exception and at.query_params["d_init"] == "he"


def test_hosted_server_offers_no_deeper_study_than_its_cap_and_a_link_over_it_gets_the_default(monkeypatch):
    from core import settings

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    at = page(**SMALL_DEPTH)
    assert not at.exception and not at.error
    assert at.slider(key="d_depth").max == settings.HOSTED.max_layers  # the widget ends at the cap
    at = page(**{**SMALL_DEPTH, "d_depth": str(settings.HOSTED.max_layers + 2)})
    assert not at.exception
    notice = texts(at, "warning")
    assert "caps what one visitor" in notice and f"cap of {settings.HOSTED.max_layers} hidden layers" in notice
    assert at.slider(key="d_depth").value == ex_default("depth")


def test_hosted_server_refuses_widths_over_its_cap_and_keeps_the_last(monkeypatch):
    from core import settings

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    at = page(**SMALL_LEARN)
    assert not at.exception and not at.error
    at.text_input(key="c_hidden").set_value(f"{settings.HOSTED.max_width + 1}").run()
    errors = texts(at, "error")
    assert "hidden" in errors and f"cap of {settings.HOSTED.max_width:,} neurons" in errors and ".." not in errors
    assert "4 models" in texts(at, "caption")  # the last valid comparison stays on screen


def ex_default(name: str):
    from core.explorer import DepthConfig

    return getattr(DepthConfig(), name)


@pytest.mark.browser
def test_in_a_browser_the_page_draws_its_charts(app_server, page):
    page.goto(app_server + "/activations?f_functions=relu,gelu,sigmoid")
    wait_for_app(page, timeout=90_000)
    page.wait_for_function("() => document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length >= 2",
                           timeout=90_000)
    assert not exceptions(page)
    assert page.locator(".vega-embed").count() == 2  # f(x) and f'(x)
    assert "f_functions=relu%2Cgelu%2Csigmoid" in page.url or "f_functions=relu,gelu,sigmoid" in page.url
    screenshot(page, "activation-explorer-shapes")
    page.get_by_role("tab", name="② Softmax").click()
    page.wait_for_function("() => location.search.includes('tab=softmax')", timeout=90_000)  # the URL follows
    page.get_by_text("Each class's probability as T changes").wait_for(timeout=90_000)
    wait_for_app(page)
    assert not exceptions(page)
    screenshot(page, "activation-explorer-softmax")
