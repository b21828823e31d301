"""Activation Explorer lessons: inits matched to activations, old URLs, notes that say what the run shows."""

import pandas as pd

from core import explorer as ex
from core.explorer import charts as ac


def test_matched_init_gives_each_activation_its_own_and_old_urls_still_work():
    cfg = ex.DepthConfig(functions=("relu", "tanh", "selu", "sigmoid"))
    assert cfg.init == "matched"
    assert [c.init for c in cfg.train_configs()] == ["he", "xavier", "lecun", "xavier"]
    for old in ("default", "xavier", "he"):
        back, notices = ex.DepthConfig.from_query({"d_init": old}, "d_")
        assert back.init == old and not notices
        assert {c.init for c in back.train_configs()} == {old}
    assert ex.CompareConfig().init == "default"  # the comparison keeps PyTorch's default unless asked
    assert {c.init for c in ex.CompareConfig(init="matched", functions=("relu", "tanh")).train_configs()} == {
        "he", "xavier"}
    assert ex.CompareConfig.limits("n_seeds")["lo"] == 1


def test_flat_sides_tell_one_sided_from_two_sided():
    assert ex.flat_sides("relu", -6, 6) == {"left": "flat", "right": ""}
    assert ex.flat_sides("sigmoid", -6, 6) == {"left": "saturates", "right": "saturates"}
    assert ex.flat_sides("elu", -6, 6) == {"left": "saturates", "right": ""}
    assert ex.flat_sides("leaky_relu", -6, 6) == {"left": "", "right": ""}
    notes = ex.curve_notes(ex.CurvesConfig(functions=("relu", "elu"))).values()
    assert not any(n.startswith("Steepest") for n in notes)  # both reach slope 1: nothing to rank
    assert any("ELU (saturates on the left" in n and "dead unit" in n for n in notes)


def test_ratio_words_bands():
    assert ex.ratio_words(0.55) == "1/1.8" and ex.ratio_words(0.667) == "1/1.5"
    assert ex.ratio_words(0.7) == "about the same" and ex.ratio_words(1.5) == "about the same"
    assert ex.ratio_words(1 / 80.3) == "1/80" and ex.ratio_words(2.2) == "2.2x"


def test_curves_draw_the_first_listed_on_top_and_thinnest():
    df = ex.curves(ex.CurvesConfig())
    spec = ac.curves_chart(df).to_dict()
    line = spec["layer"][1]
    assert line["encoding"]["strokeWidth"]["scale"]["domain"] == ["Sigmoid", "Tanh", "ReLU", "Leaky ReLU", "Step"]
    widths = line["encoding"]["strokeWidth"]["scale"]["range"]
    assert widths == sorted(widths)  # ReLU narrower than Leaky ReLU beneath it
    data = pd.DataFrame(spec["datasets"][line["data"]["name"]])
    assert list(dict.fromkeys(data["function"])) == ["Step", "Leaky ReLU", "ReLU", "Tanh", "Sigmoid"]  # first to last
