"""The Hyperparameter Tuner page through AppTest: renders, runs a small study live, says what is wrong."""

from __future__ import annotations

import contextlib
import os
import signal
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


def _finished(at: AppTest) -> tuple[int, int]:
    """The Finished metric: (trials finished, the budget its label names)."""
    [m] = [m for m in at.metric if m.label.startswith("Finished")]
    return int(m.value.replace(",", "")), int(m.label.split("of ")[1].rstrip(")").replace(",", ""))


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
        assert _finished(at)[1] == 3
        deadline = time.time() + 120
        while time.time() < deadline and _finished(at)[0] < 1:
            time.sleep(1.0)
            at.run()
        assert _finished(at)[0] >= 1, "no trial arrived"
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
    assert _finished(at) == (2500 - tuning.read_study(None, "big").counts["FAIL"], 2000)
    # every value fits a quarter of a 1024-px page ("2,000 / 2,000" was cut to "2,000 / ..."): the label
    # carries the budget
    assert all(len(str(m.value)) <= 6 for m in at.metric), [m.value for m in at.metric]
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


# ---- the views optuna-dashboard has, the filter, ownership ------------------------------------------
def _open(name: str) -> AppTest:
    at = _page()
    at.query_params["study"] = name
    return at.run()


def _view(at: AppTest, view: str) -> None:
    [views] = at.segmented_control
    views.set_value(view).run()
    assert not at.exception, view
    assert not at.error, (view, [e.value for e in at.error])


def _spec_titles(at: AppTest) -> str:
    """Every chart spec on the page, as one text (titles included)."""
    return " ".join(c.proto.spec for c in at.get("vega_lite_chart"))


def test_contour_rank_and_distribution_views():
    populate_fake(None, "views", 300, epochs=5)
    at = _open("views")
    _view(at, "Contour")
    [x, y] = [s for s in at.selectbox if s.label in ("x axis", "y axis")]
    assert x.value == "lr" and y.value != "lr"
    y.set_value("dropout").run()
    assert "Contour: learning rate and dropout rate" in _spec_titles(at)
    _view(at, "Rank")
    assert "Rank: learning rate and dropout rate" in _spec_titles(at)
    _view(at, "Distribution")
    assert "Empirical distribution" in _spec_titles(at)


def test_the_filter_applies_to_every_view():
    populate_fake(None, "filtered", 300, epochs=5)
    f = tuning.read_study(None, "filtered")
    at = _open("filtered")
    [states] = [m for m in at.multiselect if m.label == "States"]
    states.set_value(["PRUNED"]).run()
    n = f.counts["PRUNED"]
    assert any(f"showing {n:,} of 300 trials" in c.value for c in at.caption)
    _view(at, "Trials")
    [table] = at.dataframe
    assert len(table.value) == n and set(table.value["state"]) == {"PRUNED"}
    assert "validation accuracy" in table.value.columns and "test_acc" not in table.value.columns
    [batch] = [m for m in at.multiselect if m.label == "Batch size"]
    assert batch.options == ["32", "64", "128"]  # numeric order
    batch.set_value(["64"]).run()
    [table] = at.dataframe
    assert set(table.value["batch size"].astype(str)) == {"64"}
    for view in ("History", "Contour", "Rank", "Distribution", "Learning curves", "Timeline"):
        _view(at, view)  # every view draws the filtered frame without error


APPTEST_SESSION = "test session id"  # the session id every AppTest runs under (Streamlit 1.67)


def test_default_name_follows_the_sampler_and_the_starter_owns_it(monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    at = _page().run()
    [sampler] = [s for s in at.selectbox if s.label == "Sampler"]
    sampler.set_value("random")
    _set(at, "Trials", 1)
    _set(at, "Epochs per trial", 1)
    _set(at, "Workers", 1)
    _start(at)
    assert not at.exception and not at.error, [e.value for e in at.error]
    name = at.query_params["study"]
    name = name[0] if isinstance(name, list) else name
    try:
        assert name == "digits-random-1"
        assert tuning.owner_of(None, name) == tuning.owner_token(APPTEST_SESSION)
    finally:
        tuning.request_stop(None, name)


def _running_study(name: str, owner: str | None) -> None:
    """A study with one RUNNING trial (so the page offers Stop), owned by ``owner``."""
    import optuna

    tuning.create_study(name, tuning.SearchSpace(), tuning.StudySettings(n_trials=5, epochs=3))
    if owner:
        tuning.claim(None, name, owner)
    optuna.load_study(study_name=name, storage=tuning.open_storage(None)).ask()


def test_a_second_session_cannot_stop_or_delete(monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    _running_study("theirs", tuning.owner_token("someone-else"))
    at = _open("theirs")
    assert not at.exception
    assert not [b for b in at.button if b.label in ("Stop", "Resume", "Delete for good")]
    assert any("Read only" in c.value for c in at.caption)
    monkeypatch.delenv("NNLAB_HOSTED")  # on a laptop everyone may
    at = _open("theirs")
    assert [b for b in at.button if b.label == "Stop"]


def test_the_owner_deletes_and_a_stop_during_an_outage_is_one_line(monkeypatch):
    monkeypatch.setenv("NNLAB_HOSTED", "1")
    _running_study("mine", None)
    at = _open("mine")
    assert any("Read only" in c.value for c in at.caption)  # nobody owns it: read only in hosted mode
    assert not [b for b in at.button if b.label == "Stop"]
    tuning.claim(None, "mine", tuning.owner_token(APPTEST_SESSION))  # as if this session had started it
    time.sleep(1.1)  # the page reads a study at most once a second
    at.run()
    [stop] = [b for b in at.button if b.label == "Stop"]

    def away(*a, **k):
        raise tuning.StorageUnavailable()
    with monkeypatch.context() as m:
        m.setattr(tuning, "stop_as", away)
        stop.click().run()
    assert not at.exception
    [err] = at.error
    assert err.value == f"Not stopped: {tuning.UNREACHABLE}"
    at.run()
    [delete] = [b for b in at.button if b.label == "Delete for good"]
    delete.click().run()
    assert not at.exception and "mine" not in tuning.list_studies(None)


def test_interrupted_trials_are_not_counted_as_failed():
    import optuna

    tuning.create_study("stopped", tuning.SearchSpace(), tuning.StudySettings(n_trials=5, epochs=3))
    study = optuna.load_study(study_name="stopped", storage=tuning.open_storage(None))
    for interrupted in (True, True, False):
        t = study.ask()
        if interrupted:
            t.set_user_attr("interrupted", 1)  # what Stop leaves on the trial it ended
        study.tell(t, state=optuna.trial.TrialState.FAIL)
    at = _open("stopped")
    assert not at.exception
    assert any(c.value.startswith("0 pruned · 2 interrupted · 1 failed") for c in at.caption)


def test_range_hints_link_to_the_sweep_that_shows_each_setting():
    """Each tuned setting's hint links to its Hyperparameter Effects sweep (issue 15)."""
    from ui import links

    assert links.sweep_link("lr") == "[see what it does](/hyperparameters?sweep=lr)"
    assert links.sweep_link("width") == "[see what it does](/hyperparameters?sweep=capacity)"
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    captions = " ".join(c.value for c in at.caption)
    assert "/hyperparameters?sweep=lr" in captions and "/hyperparameters?sweep=dropout" in captions


# ---- buttons that do what they say ------------------------------------------------------------------
def _my_workers() -> list[int]:
    """The worker processes this test process started that are still alive (not zombies)."""
    me = str(os.getpid())
    found = []
    for d in Path("/proc").iterdir():
        try:
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            if stat[1] == me and b"core.tuning" in (d / "cmdline").read_bytes() and stat[0] != "Z":
                found.append(int(d.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _wait_for_workers_to_end(timeout: float = 60.0) -> None:
    """Wait until no worker process this test process started is left (earlier tests' workers are stopping)."""
    deadline = time.time() + timeout
    while _my_workers() and time.time() < deadline:
        time.sleep(0.2)


def _stop_all(names: list[str]) -> None:
    for n in names:
        tuning.request_stop(None, n)
    # a worker still loading PyTorch reads the stop flag only once it has: SIGTERM ends it at once (its own test:
    # tests/test_tuning_faults.py::test_sigterm_while_a_worker_is_starting_ends_it_at_once)
    for pid in _my_workers():
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    _wait_for_workers_to_end()


def test_the_same_form_sent_twice_starts_one_study():
    """Enter in a field, then the Start button, sent the form twice: the second made a study no worker ran."""
    at = _page().run()
    [form] = at.get("form")
    assert form.proto.form.enter_to_submit is False  # Enter keeps a value; only Start starts
    _set(at, "Trials", 2)
    _set(at, "Epochs per trial", 1)
    _set(at, "Workers", 1)
    _start(at)
    try:
        _start(at)  # the same form again
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert tuning.list_studies(None) == ["digits-tpe-1"]
        assert any("is already running these settings" in i.value for i in at.info), [i.value for i in at.info]
        assert at.query_params["study"] in ("digits-tpe-1", ["digits-tpe-1"])
    finally:
        _stop_all(tuning.list_studies(None))


def test_no_study_starts_when_no_worker_could_run_it(monkeypatch):
    _wait_for_workers_to_end()
    monkeypatch.setattr(tuning, "max_workers", lambda: 1)
    at = _page().run()
    _set(at, "Trials", 50)
    _set(at, "Epochs per trial", 50)
    _start(at)
    try:
        assert tuning.list_studies(None) == ["digits-tpe-1"]
        [name] = [w for w in at.text_input if w.label == "Study name"]
        name.set_value("another")
        _start(at)  # the one worker slot is busy with the first study
        assert any("Not started" in e.value and "busy" in e.value for e in at.error), [e.value for e in at.error]
        assert tuning.list_studies(None) == ["digits-tpe-1"]
    finally:
        _stop_all(tuning.list_studies(None))


def test_a_study_without_workers_does_not_say_they_are_starting():
    tuning.create_study("idle", tuning.SearchSpace(), tuning.StudySettings(n_trials=5, epochs=3))
    at = _open("idle")
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert "no worker is running on this study here" in text and "starting" not in text, text
    assert any(c.value.startswith("**paused: no worker is running**") for c in at.caption)


# ---- every glossary term tipped where a student meets it --------------------------------------------------
def _in_order(at: AppTest):
    """(text, help) of every element in page order: a widget's label, a box's or a metric's own text."""
    def walk(node):
        yield node
        kids = getattr(node, "children", None)
        for child in kids.values() if isinstance(kids, dict) else []:
            yield from walk(child)
    for n in walk(at._tree):
        kind = type(n).__name__
        text = getattr(n, "value", None) if kind in ("Markdown", "Caption", "Title", "Alert", "Info") else None
        text = text if isinstance(text, str) else getattr(n, "label", None)
        proto = getattr(n, "proto", None)
        helptext = getattr(proto, "help", "") if proto is not None and hasattr(proto, "help") else ""
        if text or helptext:
            yield str(text or ""), str(helptext or "")


def _untipped(at: AppTest) -> list[str]:
    """Glossary terms whose first appearance in the page's text comes before any tooltip that explains them."""
    import re

    from ui.glossary import TERMS

    pattern = {t: re.compile(rf"(?<![\w-]){re.escape(t)}(s|es)?(?![\w-])", re.IGNORECASE) for t in TERMS}
    tipped: set[str] = set()
    late = []
    for text, helptext in _in_order(at):
        text = re.sub(r"`[^`]*`|\]\([^)]*\)", "", text)  # code (an address to copy) and link targets are not prose
        tipped |= {t for t in TERMS if f"**{t}**:" in helptext}
        late += [f"{t!r} in {text[:50]!r}" for t, p in pattern.items() if t not in tipped and p.search(text)]
        tipped |= {t for t, p in pattern.items() if p.search(text)}  # a term counts at its first appearance only
    return late


def test_every_glossary_term_is_tipped_at_its_first_appearance():
    at = _page().run()  # no study yet: the form first
    assert not at.exception and _untipped(at) == []
    populate_fake(None, "terms", 40, epochs=5)
    at = _open("terms")
    assert _untipped(at) == []
    [views] = at.segmented_control
    for view in views.options:
        views.set_value(view).run()
        assert _untipped(at) == [], view
