"""The Activation Explorer's wiring: Seeds starts at 1, an over-budget link is refused at the door (priced once),
the depth tab shows its computed init sentence, and the XOR Lab shows its computed lesson sentences."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import explorer as ex
from core.engine import guard
from core.serve import price

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
OVER_BUDGET = {"tab": "learn", "c_n_seeds": "20", "c_hidden": "256,256,256", "c_epochs": "200"}  # within every cap


def page(path: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(path)
    return at.run()


def test_seeds_input_starts_at_one():
    at = page("app_pages/activation_explorer.py", tab="learn", c_functions="relu,tanh", c_hidden="8",
              c_epochs="2", c_n_seeds="1")
    assert not at.exception
    seeds = at.number_input(key="c_seeds")
    assert seeds.min == 1 and seeds.value == 1


def test_an_over_budget_link_is_refused_at_the_door_with_one_line(monkeypatch):
    """Priced once, where it would train: one line naming the budget and what to lower, nothing trained; the
    widgets hold the link's settings, so lowering one is all it takes."""
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(guard, "_current", [None])  # app.py installs the guard; restored after the test
    cfg = ex.CompareConfig.from_query(OVER_BUDGET, "c_")[0]
    assert cfg.n_seeds == 20 and price.check(cfg)  # the link passes the caps but not the budget
    at = page("app_pages/activation_explorer.py", **OVER_BUDGET)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "this server allows 60 s per run" in errors[0], errors
    assert not at.get("vega_lite_chart")  # refused before anything trained or was drawn
    assert at.number_input(key="c_seeds").value == 20


def test_depth_tab_says_which_init_each_activation_starts_from():
    at = page("app_pages/activation_explorer.py", tab="depth", d_functions="relu,tanh", d_depth="3",
              d_width="8", d_epochs="1")
    assert not at.exception
    said = " ".join(c.value for c in at.caption)
    assert "Each activation starts from the init designed for it" in said
    assert at.segmented_control(key="d_init").value == "matched"


def test_xor_lab_shows_the_lessons_computed_sentences():
    at = page("app_pages/xor_lab.py", tab="compare")
    assert not at.exception
    said = " ".join(c.value for c in at.caption)
    assert "the NumPy network solves XOR 95 times out of 100" in said  # numpy_solve_share at the defaults
    assert "through its own sigmoid" in said  # the hidden-units caption names the output's sigmoid
