"""Images and Convolutions through AppTest: renders at its defaults, a hosted cap lowers a widget's max,
each tab shows its claims."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.convolutions import claims as cl

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "app_pages/convolutions.py"


def page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(PAGE)
    return at.run()


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_renders_at_defaults_with_both_models():
    at = page()
    assert not at.exception, [e.value for e in at.exception]
    labels = [m.label for m in at.metric]
    assert labels == ["MLP: test accuracy", "CNN: test accuracy"]
    assert "With about as many parameters" in texts(at)


def test_the_shift_claim_shows_on_its_tab():
    at = page(tab="move")
    assert not at.exception, [e.value for e in at.exception]
    said = cl.shift(cl._default_tables()[0])
    # the claim's sentence (its point counts may differ by one in a long suite: a CNN's last bits follow torch's
    # thread count, which an earlier test can leave changed)
    assert said.holds and str(said).split(" points")[0].rsplit(" ", 1)[0] in texts(at)
    assert "Move every test digit by one pixel and the MLP loses" in texts(at)


def test_inside_tab_draws_the_cnn_insides():
    at = page(tab="inside")
    assert not at.exception, [e.value for e in at.exception]
    t = texts(at)
    assert "Occlusion map" in t and "Receptive field" in t and "one unit of conv layer 2 sees" in t


def test_hosted_cap_lowers_the_epochs_max(monkeypatch):
    at = page()
    laptop = at.number_input(key="c_epochs").max
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    hosted = page()
    assert not hosted.exception, [e.value for e in hosted.exception]
    assert hosted.number_input(key="c_epochs").max < laptop


def test_the_mnist_sample_opens_every_tab_at_a_few_epochs():
    for tab in ("compare", "move", "inside"):
        at = page(dataset="mnist", epochs="2", tab=tab)
        assert not at.exception, (tab, [e.value for e in at.exception])
        assert at.query_params.get("dataset") == ["mnist"] or at.query_params.get("dataset") == "mnist"
    assert "28x28 input" in texts(at)  # the receptive field on the 28x28 image


def test_hosted_a_request_over_budget_is_refused_with_one_line(monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    at = page(dataset="mnist", epochs="2000")
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and "this server allows" in at.error[0].value and not at.metric


def test_every_tab_tips_each_glossary_term_at_first_sight():
    from tests.test_glossary_coverage import reading_order, untipped

    for tab in ("compare", "move", "inside"):
        at = page(tab=tab)
        assert not untipped(reading_order(at.main)), tab


def charts(node) -> list:
    """The protos of every chart in the page's tree (in tabs and columns too), in order."""
    out = []
    for c in node.children.values() if isinstance(getattr(node, "children", None), dict) else []:
        if getattr(c, "type", None) == "vega_lite_chart":
            out.append(c.proto)
        out += charts(c)
    return out


def test_the_inside_tab_draws_the_unit_chosen():
    """The kept charts (ui/vega.py) follow the settings: another unit, another receptive field, the rest the same."""
    at = page(tab="inside")
    before = charts(at.main)
    at.slider(key="c_unit_row").set_value(0).run()
    after = charts(at.main)
    assert not at.exception and len(before) == len(after) == 5  # occlusion, filters, two map layers, field
    assert before[:4] == after[:4] and before[4] != after[4]
