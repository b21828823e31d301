"""'Predict, then run': each exercise's verdict both ways (synthetic numbers for the other side), its question
filled from the job's config, and the XOR Lab's exercise as a student uses it (no answer chosen at first)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import exercises as E
from core.exercises import claims as C
from core.exercises import defs as D
from core.explorer.depth import DepthConfig
from core.hyperparameters.jobs import LrSweep
from tests.claimcheck import both_sides

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_every_exercise_has_a_judge_a_place_and_choices():
    assert 4 <= len(E.EXERCISES) <= 6 and set(E.EXERCISES) == set(C.JUDGES)
    from ui.links import PAGES
    for ex in E.EXERCISES.values():
        assert ex.page in PAGES and len(ex.choices) >= 2 and "{" not in ex.question
    assert [e.id for e in E.on("xor", "perceptron")] == ["xor_perceptron"] and not E.on("xor", "seeds")


def test_questions_read_their_settings_from_the_jobs_configs():
    d, lr = DepthConfig(), LrSweep()
    assert E.EXERCISES["explorer_depth"].question.startswith(f"{d.depth} hidden layers of {d.width} units, "
                                                             f"{d.epochs} epochs")
    assert f"learning rate of {max(lr.values):g}" in E.EXERCISES["hp_lr"].question
    assert "1,000 epochs" in E.EXERCISES["xor_perceptron"].question


def test_xor_verdict_both_ways_from_the_real_run():
    n = D.xor_perceptron()  # the real 1,000-epoch run: never converges on XOR
    assert not n["converged"] and n["wrong"] >= 1
    with both_sides("exercises.xor_perceptron"):
        s = C.xor_perceptron("no", n)
        assert s.startswith("You were right (No") and f"{n['wrong']} of XOR's 4 rows wrong" in s
        assert C.xor_perceptron("yes", n).startswith('Not this time: you picked "Yes')
    learned = {**n, "converged": True, "epochs": 6}  # a gate it can learn (edited numbers): "yes" is right
    assert C.xor_perceptron("yes", learned).holds and "learned XOR in 6 epochs" in C.xor_perceptron("yes", learned)


def test_depth_verdict_both_ways():
    n = {"acc": {"sigmoid": 0.08, "tanh": 0.97, "relu": 0.955, "leaky_relu": 0.956}, "loss": {}, "layers": 10,
         "epochs": 10}
    with both_sides("exercises.explorer_depth"):
        assert C.explorer_depth("sigmoid", n).holds
        s = C.explorer_depth("relu", n)
        assert not s.holds and 'the answer is "Sigmoid"' in s and "Sigmoid 8.0%" in s
    # ReLU and Leaky ReLU within half a point of the lowest: both count as right
    assert D.EXERCISES["explorer_depth"].right({"acc": {"relu": 0.5, "leaky_relu": 0.503, "tanh": 0.9}}) == \
        {"relu", "leaky_relu"}


def test_lr_verdict_both_ways():
    n = {"acc": {0.001: 0.93, 0.01: 0.968, 1.0: 0.114}, "diverged": {0.001: 0, 0.01: 0, 1.0: 0}, "epochs": 15}
    with both_sides("exercises.hp_lr"):
        s = C.hp_lr("fails", n)
        assert s.holds and "learning rate 1 the test accuracy after 15 epochs was 11.4%" in s and "0.01" in s
        assert not C.hp_lr("best", n).holds
    right = D.EXERCISES["hp_lr"].right
    assert right({**n, "acc": {0.01: 0.96, 1.0: 0.962}}) == {"best"}
    assert right({**n, "acc": {0.01: 0.96, 1.0: 0.90}}) == {"fine"}
    assert right({**n, "acc": {0.01: 0.96, 1.0: 0.90}, "diverged": {1.0: 1}}) == {"fails"}


def test_shapes_and_duel_verdicts_both_ways():
    s = {"acc": {"Shallow": 0.968, "Deep": 0.962, "Wide": 0.977, "Deep and narrow": 0.88},
         "params": {"Shallow": 2410, "Deep": 13130, "Wide": 19210, "Deep and narrow": 2570}}
    with both_sides("exercises.shapes"):
        assert C.shapes("Wide", s).holds and "Wide 97.7% (19,210 parameters)" in C.shapes("Wide", s)
        assert not C.shapes("Deep", s).holds
    d = {"data": "breast cancer", "rows": 569, "tree": "Gradient boosting", "tree_score": 0.967,
         "net": "MLP (scikit-learn)", "net_score": 0.972, "folds": 3}
    with both_sides("exercises.wtu_duel"):
        assert C.wtu_duel("net", d).holds and "tendency, not a law" in C.wtu_duel("net", d)
        trees = {**d, "net_score": 0.95}
        t = C.wtu_duel("net", trees)
        assert not t.holds and 'the answer is "Tree ensembles win"' in t and "tendency" not in t
    assert D.EXERCISES["wtu_duel"].right({**d, "net_score": 0.969}) == {"tie"}


def test_xor_lab_asks_with_no_answer_chosen_then_runs_and_judges_the_pick():
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page("app_pages/xor_lab.py").run()
    assert not at.exception
    radio = at.radio(key="ex_xor_perceptron")
    assert radio.value is None  # no default: the student predicts first
    assert not any("You were right" in s.value or "Not this time" in s.value for s in [*at.success, *at.warning])
    radio.set_value("yes").run()
    assert not at.exception
    said = [w.value for w in at.warning if w.value.startswith("Not this time")]
    assert said and "of XOR's 4 rows wrong" in said[0]
    at.radio(key="ex_xor_perceptron").set_value("no").run()
    assert any(s.value.startswith("You were right") for s in at.success)
