"""The Hyperparameter Tuner page through AppTest: renders, runs a small study live, says what is wrong."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bench.fake_study import populate_fake
from core import tuning

PAGE = str(Path(__file__).resolve().parents[1] / "app_pages" / "hyperparameter_tuner.py")


def _page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=90)


def _set(at: AppTest, label: str, value) -> None:
    [w] = [w for w in at.number_input if w.label == label]
    w.set_value(value)


def _start(at: AppTest) -> None:
    [b] = [b for b in at.button if b.label == "Start study"]
    b.click().run()


def test_page_renders_with_no_study():
    at = _page().run()
    assert not at.exception
    assert at.title[0].value == "Hyperparameter Tuner"
    assert any("No study yet" in i.value for i in at.info)
    labels = [w.label for w in at.number_input]
    assert {"lr low", "lr high", "Trials", "Epochs per trial", "Workers"} <= set(labels)


def test_starting_a_small_study_shows_trials_arriving():
    at = _page().run()
    _set(at, "Trials", 3)
    _set(at, "Epochs per trial", 2)
    _set(at, "Workers", 1)
    _start(at)
    assert not at.exception and not at.error, [e.value for e in at.error]
    name = at.query_params["study"][0] if isinstance(at.query_params["study"], list) else at.query_params["study"]
    try:
        metric = lambda: {m.label: m.value for m in at.metric}  # noqa: E731
        assert metric()["Finished"].endswith("/ 3")
        deadline = time.time() + 120
        while time.time() < deadline and int(metric()["Finished"].split("/")[0]) < 1:
            time.sleep(1.0)
            at.run()
        assert int(metric()["Finished"].split("/")[0]) >= 1, "no trial arrived"
        assert not at.exception
        # the study is in storage for any other tab or machine
        f = tuning.read_study(None, name)
        assert (f.trials["state"].isin(["COMPLETE", "PRUNED"])).sum() >= 1
    finally:
        tuning.request_stop(None, name)


@pytest.mark.parametrize(("label", "value", "message"), [
    ("Trials", 0, "a budget of 0 trials runs nothing"),
    ("Trials", 1_000_000, "more than the limit here"),
    ("lr low", 0.5, "upside down"),
])
def test_bad_settings_say_what_is_wrong(label, value, message):
    at = _page().run()
    if label == "lr low":
        _set(at, "lr high", 0.001)
    _set(at, label, value)
    _start(at)
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert tuning.list_studies(None) == []  # nothing was created, no worker started


def test_a_bad_url_shows_the_message():
    at = _page()
    at.query_params["t_n_trials"] = "0"
    at.query_params["s_lr_low"] = "banana"
    at.query_params["study"] = "no-such-study"
    at.run()
    assert not at.exception
    text = " ".join(w.value for w in at.warning)
    assert "t_n_trials" in text and "s_lr_low" in text and "no study named 'no-such-study'" in text


def test_an_existing_name_with_another_space_is_refused():
    st = tuning.StudySettings(n_trials=3, epochs=2)
    tuning.create_study("taken", tuning.SearchSpace(lr_high=0.05), st)
    at = _page().run()
    [name] = [w for w in at.text_input if w.label == "Study name"]
    name.set_value("taken")
    _start(at)
    assert any("already exists with another search space" in e.value for e in at.error)


def test_an_unreachable_database_is_one_clear_message(monkeypatch):
    monkeypatch.setenv("NNLAB_STORAGE", "postgresql://nnlab:secret@127.0.0.1:1/nnlab")
    at = _page().run()
    assert not at.exception
    [err] = at.error
    assert "cannot reach the database postgresql://nnlab:***@127.0.0.1:1/nnlab" in err.value
    assert "secret" not in err.value


def test_every_view_of_a_big_finished_study():
    populate_fake(None, "big", 2500, epochs=6)  # more trials than the laptop budget cap (2,000)
    at = _page()
    at.query_params["study"] = "big"
    at.run()
    assert not at.exception
    metric = {m.label: m.value for m in at.metric}
    assert metric["Finished"].startswith(str(2500 - (tuning.read_study(None, "big").counts["FAIL"])))
    [views] = at.segmented_control
    for view in views.options:
        views.set_value(view).run()
        assert not at.exception, view
        assert not at.error, (view, [e.value for e in at.error])
    assert [b for b in at.button if b.label == "Resume"]


@pytest.mark.parametrize("query", [
    # an empty space: every hyperparameter fixed
    {"s_lr_low": "0.01", "s_lr_high": "0.01", "s_layers_min": "2", "s_layers_max": "2", "s_width_min": "32",
     "s_width_max": "32", "s_batch_sizes": "64", "s_activations": "relu", "s_dropout_low": "0.2",
     "s_dropout_high": "0.2"},
    {"s_batch_sizes": "48,64"},  # a batch size the page does not offer
    {"s_batch_sizes": "0"},
    {"s_layers_min": "3", "s_layers_max": "2"},  # a range upside down
])
def test_a_crafted_link_never_crashes_the_page(query):
    at = _page()
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    text = " ".join(w.value for w in at.warning)
    assert "ignored" in text and any(k in text for k in query)
