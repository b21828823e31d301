"""When to Use Neural Networks: tables and CSV validation, seeded cross-validation, verdicts (claims at the
page's defaults, and absent when untrue), and the page through AppTest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import core.when_to_use as wtu
from core.when_to_use.models import ModelRun

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 300


# ---- tables and CSVs ----------------------------------------------------------------------------------
def test_builtin_tables_have_the_shapes_sklearn_ships():
    shapes = {n: wtu.load_table(n).shape for n in wtu.BUILTIN}
    assert shapes == {"breast_cancer": (569, 30), "wine": (178, 13), "iris": (150, 4), "diabetes": (442, 10),
                      "digits": (1797, 64)}
    assert wtu.load_table("diabetes").task == "regression"
    assert wtu.load_table("wine").n_classes == 3


def csv_of(rows: int = 40, target: str = "label") -> bytes:
    rng = np.random.default_rng(0)
    lines = [f"a,b,{target}"] + [f"{rng.normal():.3f},{rng.normal():.3f},{'yes' if i % 2 else 'no'}"
                                 for i in range(rows)]
    return "\n".join(lines).encode()


def test_a_good_csv_becomes_a_table():
    t = wtu.table_from_csv(csv_of())
    assert t.shape == (40, 2) and t.task == "classification" and t.classes == ("no", "yes")
    reg = wtu.table_from_csv(b"x,y\n" + b"\n".join(f"{i},{i * 0.37:.2f}".encode() for i in range(30)))
    assert reg.task == "regression" and reg.shape == (30, 1)
    semi = wtu.table_from_csv(b"x;y;t\n" + b"\n".join(f"{i};{i % 7};{i % 3}".encode() for i in range(30)),
                              target="t")
    assert semi.task == "classification" and semi.n_classes == 3  # whole-number target, few values: classes


@pytest.mark.parametrize("raw, target, message", [
    (b"", "", "the file is empty"),
    (b"a,b\n" + b"1,2\n" * 10 + "é".encode("latin-1"), "", "not UTF-8"),
    (b"x" * (wtu.MAX_CSV_BYTES + 1), "", "the limit is 2 MB"),
    (b"a,b\n" + b"1,0\n" * (wtu.MAX_CSV_ROWS + 5), "", "rows; the limit is 5,000"),
    (b"name,label\n" + b"\n".join(f"n{i},{i % 2}".encode() for i in range(30)), "", "no numeric feature columns"),
    (csv_of(), "price", "no target column named 'price'"),
    (b"a,b\n" + b"\n".join(f"{i},1".encode() for i in range(30)), "", "one class only"),
    (b"a,b\n" + b"\n".join(f"{i},{1 if i < 2 else 0}".encode() for i in range(30)), "", "every class needs at least"),
    (b"a,b\n1,2\n3,4\n", "", "need at least 20"),
    (b"onlyone\n1\n2\n", "", "at least two columns"),
])
def test_a_bad_csv_gets_one_plain_line(raw, target, message):
    with pytest.raises(ValueError, match=message) as e:
        wtu.table_from_csv(raw, target)
    assert "\n" not in str(e.value)


def test_noise_columns_and_rotation():
    t = wtu.load_table("wine")
    noisy = wtu.with_uninformative(t, 7, seed=3)
    assert noisy.shape == (178, 20) and np.array_equal(noisy.X[:, :13], t.X)
    rot = wtu.with_uninformative(t, 0, rotate=True, seed=3)
    Z = (t.X - t.X.mean(0)) / t.X.std(0)
    assert np.allclose(np.linalg.norm(rot.X, axis=1), np.linalg.norm(Z, axis=1))  # orthogonal: lengths kept
    assert not np.allclose(np.abs(rot.X), np.abs(Z))
    assert np.array_equal(wtu.with_uninformative(t, 5, True, 1).X, wtu.with_uninformative(t, 5, True, 1).X)


# ---- the comparison --------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", wtu.MODELS)
def test_cross_validation_is_seeded_and_repeatable(model):
    t = wtu.load_table("iris")
    a, b = (wtu.cross_validate(t, model, folds=2, seed=5) for _ in range(2))
    assert a.scores == b.scores and len(a.scores) == 2
    assert all(0.5 < s <= 1.0 for s in a.scores)
    assert a.scaled == (model in wtu.NETS)
    c = wtu.cross_validate(t, model, folds=2, seed=6)
    assert (a.importances is not None) == (model == "forest")
    assert len(c.scores) == 2


def test_effort_is_counted_from_the_libraries_defaults():
    assert wtu.settings_effort("forest")[0] == 0 and wtu.settings_effort("boosting")[0] == 0
    assert wtu.settings_effort("sk_mlp")[0] == 2  # hidden_layer_sizes, max_iter (the tutorial's)
    assert wtu.settings_effort("mlp")[0] == 4  # hidden, lr, batch size, epochs


def test_regression_scores_are_r2():
    run = wtu.cross_validate(wtu.load_table("diabetes"), "forest", folds=2, seed=0)
    assert run.task == "regression" and 0.2 < run.mean < 0.6


def test_configs_round_trip_through_the_url():
    cfg = wtu.NoiseConfig(ks=(0, 5), rotate=True, models=("forest", "mlp"))
    back, notices = wtu.NoiseConfig.from_query(cfg.to_query("n_"), "n_")
    assert back == cfg and not notices
    with pytest.raises(ValueError):
        wtu.DuelConfig(models=("forest", "forest"))


def run(model: str, scores: list[float], seconds: float = 1.0, scaled: bool | None = None) -> ModelRun:
    return ModelRun(model, scores, seconds, model in wtu.NETS if scaled is None else scaled,
                    *wtu.settings_effort(model))


# ---- the page ------------------------------------------------------------------------------------------------
SMALL = {"d_dataset": "iris", "d_models": "forest,mlp", "d_folds": "2"}


def page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("app_pages/when_to_use.py")
    return at.run()


def captions(at) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def test_page_head_to_head_shows_charts_table_and_its_verdicts():
    at = page(**SMALL)
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 3  # score, time, importances
    t = wtu.load_table("iris")
    runs = [wtu.cross_validate(t, m, 2, 0) for m in ("forest", "mlp")]
    notes = wtu.duel_notes(runs, "iris", 150)
    for key, note in notes.items():  # the same seeded scores give the same sentences (timings vary)
        assert (note if key != "speed" else "Fastest to train in this run: ") in captions(at)
    table = at.table[0].value  # static, so it wraps at 1024 px: every column shown
    assert list(table.index) == ["Random forest", "MLP (NN Lab engine)"]
    assert list(table.columns) == ["score", "± std", "train s", "settings changed", "settings in all", "inputs"]
    assert table["settings changed"].tolist() == [0, 4] and table["score"].str.endswith("%").all()


def test_page_widgets_drive_the_url_and_bad_input_gets_a_message():
    at = page(**SMALL)
    at.number_input(key="d_folds").set_value(4).run()
    assert not at.exception and at.query_params["d_folds"] == "4"
    at2 = page(tab="noise", n_dataset="iris", n_ks="0,2", n_models="forest", n_folds="2")
    assert not at2.exception and len(at2.get("vega_lite_chart")) == 1
    at2.text_input(key="n_ks").set_value("0, lots").run()
    assert not at2.exception
    assert any("could not read" in str(e.value) for e in at2.error)


def test_page_charts_follow_the_settings():
    """Each kept chart (ui/vega.py) is another one under another seed: score, time and importances."""
    at = page(**SMALL)
    first = [c.proto for c in at.get("vega_lite_chart")]
    at.number_input(key="d_seed").set_value(1).run()
    again = [c.proto for c in at.get("vega_lite_chart")]
    assert not at.exception and len(first) == len(again) == 3
    assert all(a != b for a, b in zip(first, again))


def test_page_other_tabs_open_by_link():
    at = page(tab="scaling", s_dataset="iris", s_models="forest,sk_mlp", s_folds="2")
    assert not at.exception and len(at.get("vega_lite_chart")) == 1
    at = page(tab="curve", c_dataset="iris", c_fractions="0.3,1", c_models="forest,mlp")
    assert not at.exception and len(at.get("vega_lite_chart")) == 1
    assert "With " in captions(at)


def test_page_csv_without_an_upload_falls_back_with_a_note():
    at = page(d_dataset="csv", d_models="forest", d_folds="2")
    assert not at.exception
    assert any("Upload a valid CSV" in str(i.value) for i in at.info)
    assert len(at.get("vega_lite_chart")) >= 2


def test_chart_builders_give_valid_specs():
    from core.when_to_use import charts as wc

    runs = [run("forest", [0.9, 0.95]), run("mlp", [0.92, 0.97])]
    runs[0].importances = [0.5, 0.3, 0.2]
    f = wc.duel_frame(runs)
    for chart in (wc.score_chart(f, "classification"), wc.time_chart(f), wc.score_chart(f, "regression"),
                  wc.importance_chart(wc.importance_frame(runs[0], ("a", "b", "c"))),
                  wc.scaling_chart(wc.scaling_frame({("mlp", True): runs[1], ("mlp", False): runs[1]}),
                                   "classification"),
                  wc.noise_chart(wc.noise_frame([(0, False, runs[0]), (5, True, runs[0])]), "classification"),
                  wc.curve_chart(wc.curve_frame([wtu.CurvePoint("mlp", 0.5, 10, 0.8, 0.1)]), "classification")):
        spec = chart.to_dict()
        assert "$schema" in spec
    assert list(wc.importance_frame(runs[0], ("a", "b", "c"), top=2)["feature"]) == ["a", "b"]
    assert list(wc.duel_table(runs)["settings changed"]) == [0, 4]


# ---- what a request fits, for its price (core.serve.cost) -------------------------------------------------
def test_builtin_shapes_are_known_without_loading_the_tables():
    for name, shape in wtu.BUILTIN_SHAPES.items():
        t = wtu.load_table(name).table_shape
        assert (t.rows, t.features, t.classes) == (shape.rows, shape.features, shape.classes), name
        assert t.levels == pytest.approx(shape.levels, abs=0.1), name


def test_the_fits_priced_are_the_fits_run():
    from core.when_to_use import jobs

    for name, folds in (("iris", 3), ("breast_cancer", 5), ("diabetes", 4)):
        t = wtu.load_table(name)
        run = sorted((len(tr), len(te)) for tr, te in wtu.folds_of(t, folds, 0))
        priced = sorted((f.n_train, f.n_test) for f in jobs.cv_fits("forest", *t.shape, folds))
        assert run == priced, name
    t = wtu.load_table("iris")
    cfg = wtu.CurveConfig(dataset="iris", fractions=(0.1, 0.5, 1.0), models=("forest",))
    priced = [f.n_train for f in cfg.fits(t.table_shape)]
    assert priced == [wtu.curve_point(t, f, "forest", 0).n_train for f in cfg.fractions]
    noisy = wtu.NoiseConfig(dataset="iris", ks=(0, 7), rotate=True, models=("mlp",), folds=2).fits(t.table_shape)
    assert [f.n_features for f in noisy] == [4] * 4 + [11] * 4
    assert noisy[-1].levels == 256 and noisy[0].levels == pytest.approx(t.levels)
    (mlp,) = jobs.cv_fits("mlp", 150, 4, 1 + 1)[:1]
    assert mlp.rounds == wtu.engine_epochs(mlp.n_train) and mlp.hidden == wtu.ENGINE_MLP.hidden


def test_the_model_sizes_priced_are_the_models_fitted():
    from core.serve import cost
    from core.when_to_use import models

    forest, boosting, sk = (models.estimator(m, "classification", 0) for m in ("forest", "boosting", "sk_mlp"))
    assert forest.n_estimators == models.FOREST_TREES and forest.max_features == "sqrt"
    assert models.estimator("forest", "regression", 0).max_features == 1.0  # every feature per split: priced so
    assert boosting.max_iter == models.BOOSTING_ROUNDS and boosting.early_stopping == "auto"  # off under 10,000 rows
    assert (boosting.max_leaf_nodes, boosting.min_samples_leaf) == (cost.BOOSTING_LEAVES, cost.BOOSTING_MIN_LEAF)
    assert sk.hidden_layer_sizes == models.SK_MLP_HIDDEN and sk.max_iter == models.SK_MLP_MAX_ITER
    assert sk.batch_size == "auto"  # min(200, rows): models.SK_MLP_BATCH
    assert wtu.MAX_CSV_ROWS <= 10_000  # boosting's early stopping ("auto") never acts: priced as every round


# ---- hosted: a request is priced before any fit, and refused with one line over the budget ----------------
def hosted_page(monkeypatch, **params) -> tuple[AppTest, list[str]]:
    """The page on a hosted server, every model fit recorded (and faked: constant predictions at once)."""
    from core.engine import guard
    from core.serve import queue as squeue
    from core.serve.queue import FairQueue
    from core.when_to_use import models

    fitted: list[str] = []

    def fake_fit(model, task, n_classes, Xtr, ytr, Xte, seed):
        fitted.append(model)
        return np.zeros(len(Xte)), 0.0, None

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(guard, "_current", [None])  # app.py installs the guard; restored after the test
    monkeypatch.setattr(squeue, "_QUEUE", FairQueue(2, poll=0.01))
    monkeypatch.setattr(models, "_fit_predict", fake_fit)
    return page(**params), fitted


def refusals(at) -> list[str]:
    return [str(e.value) for e in at.error if "this server allows" in str(e.value)]


def test_hosted_page_refuses_an_over_budget_link_before_any_fit(monkeypatch):
    at, fitted = hosted_page(monkeypatch, tab="noise", n_dataset="digits", n_ks="0,500", n_rotate="true",
                             n_folds="5", n_models="forest,boosting,mlp,sk_mlp")
    assert not at.exception, [e.value for e in at.exception]
    (msg,) = refusals(at)
    assert msg.startswith("about ") and "of CPU; this server allows 60 s per run: " in msg and "\n" not in msg
    assert "fewer models (gradient boosting costs the most here)" in msg and "fewer noise columns" in msg
    assert fitted == [] and not at.get("vega_lite_chart")


def test_hosted_page_refuses_the_largest_upload_on_the_default_models(monkeypatch):
    """5,000 rows x 198 single-digit columns (under 2 MB) with 20 classes: about 60 s of CPU measured."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 10, size=(5000, 198))
    y = np.digitize(X @ rng.normal(size=198), np.quantile(X @ rng.normal(size=198), np.linspace(0, 1, 21)[1:-1]))
    rows = [",".join(map(str, r)) + f",c{t}" for r, t in zip(X.tolist(), y.tolist())]
    raw = "\n".join([",".join([f"f{i}" for i in range(198)] + ["t"]), *rows]).encode()
    assert len(raw) < wtu.MAX_CSV_BYTES and wtu.table_from_csv(raw).n_classes == 20
    at, fitted = hosted_page(monkeypatch, d_dataset="csv")  # no upload yet: breast cancer meanwhile (fits;
    assert not at.exception and not refusals(at)  # an earlier test may have cached its fits, so none may run)
    fitted.clear()
    at.file_uploader(key="csv_file").set_value([("big.csv", raw, "text/csv")]).run()
    assert not at.exception, [e.value for e in at.exception]
    (msg,) = refusals(at)
    assert "this server allows 60 s per run: fewer models (gradient boosting costs the most here)" in msg
    assert "a smaller CSV" in msg and fitted == []


def test_hosted_page_runs_a_request_within_the_budget(monkeypatch):
    from core.engine import guard

    monkeypatch.setenv("NNLAB_HOSTED", "1")
    monkeypatch.setattr(guard, "_current", [None])
    at = page(**SMALL)  # real fits: iris, a forest and the engine's MLP, two folds
    assert not at.exception and not refusals(at)
    assert len(at.get("vega_lite_chart")) == 3


def test_no_model_chosen_keeps_the_previous_choice_with_a_warning():
    at = page(**SMALL)
    at.multiselect(key="d_models").set_value([]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Choose at least one model" in str(w.value) for w in at.warning)
    assert list(at.table[0].value.index) == ["Random forest", "MLP (NN Lab engine)"]  # the previous choice ran


def test_page_widgets_take_their_ranges_from_the_fields(monkeypatch):
    """A cap on a field lowers its widget's maximum (here each field capped at its default)."""
    from tests.widgetcheck import cap_every_field

    asked = cap_every_field(monkeypatch)
    at = page(**SMALL)
    assert not at.exception
    assert at.number_input(key="d_folds").max == wtu.DuelConfig().folds  # the declared end is 5
    assert at.number_input(key="d_seed").max == 0
    assert {(wtu.DuelConfig, f) for f in ("dataset", "models", "folds", "seed")} <= set(asked)
    at = page(tab="noise", n_dataset="iris", n_ks="0,5", n_models="forest", n_folds="2")
    assert not at.exception
    assert at.number_input(key="n_folds").max == wtu.NoiseConfig().folds
    assert {(wtu.NoiseConfig, f) for f in ("ks", "rotate", "models")} <= set(asked)


def test_the_rule_of_thumb_section_and_its_price():
    """Under the duel: the rule of thumb, the page's own MLP and both trees on the duel's folds; priced whole."""
    from core.serve import price
    from core.when_to_use.jobs import cv_fits

    cfg = wtu.RuleConfig()
    fits = cfg.fits(wtu.BUILTIN_SHAPES["breast_cancer"])
    assert [f.hidden for f in fits if f.model == "rule"] == [wtu.rule_hidden(30, 2)] * 3
    assert len(fits) == 4 * cfg.folds and fits[:3] == cv_fits("rule", 569, 30, 3, 256.0, 2)
    assert price.workload_price(cfg.workload()).seconds > 0
    from core.when_to_use.claims import default_rule
    from core.when_to_use.models import engine_config

    r = engine_config("rule", 30, 2, 379, 0)  # only the widths and the dropout differ from the page's own recipe
    assert (r.hidden, r.dropout) == ((21, 11), wtu.RULE_DROPOUT)
    assert r.replace(hidden=wtu.ENGINE_MLP.hidden, dropout=0.0) == engine_config("mlp", 30, 2, 379, 0)
    import streamlit as st

    st.cache_data.clear()  # earlier tests cache points made with a fake fit under the same keys
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page("app_pages/when_to_use.py")
    at.run()
    assert not at.exception
    rule = at.table[-1].value
    assert list(rule.index) == ["MLP (rule of thumb)", "MLP (NN Lab engine)", "Random forest", "Gradient boosting"]
    assert list(rule.loc["MLP (NN Lab engine)"]) == list(at.table[0].value.loc["MLP (NN Lab engine)"])  # reused
    text = "\n".join(c.value for c in at.caption)
    for said in wtu.rule_notes(default_rule()):
        assert said in text
