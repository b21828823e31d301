"""The Tuner page (AppTest): a two-objective study's Pareto view and the notes view; a form asking for two
objectives with a pruner says why not."""

from __future__ import annotations

from core import tuning
from core.tuning import pareto
from tests.test_tuner_page import _open, _page, _spec_titles, _start, _view
from tests.test_tuning import SMALL


def _small_pareto_study(name: str = "mo") -> tuning.StudyFrame:
    st = tuning.StudySettings(sampler="random", pruner="none", n_trials=6, epochs=2, objective="accuracy+params")
    tuning.create_study(name, SMALL, st, None)
    tuning.run_worker(None, name)
    return tuning.read_study(None, name)


def test_the_pareto_view_draws_the_front_says_what_it_trades_and_shows_a_trial():
    f = _small_pareto_study()
    at = _open("mo")
    _view(at, "Pareto front")
    assert "Validation accuracy against parameters: click a trial" in _spec_titles(at)
    front = pareto.front_frame(f.trials)
    best = int(front.loc[front["front"], "number"].iloc[-1])
    assert any(m.value.startswith(f"**Trial {best}** (on the front)") for m in at.markdown)
    said = " ".join(c.value for c in at.caption)
    assert "form the front" in said or "is best on both" in said
    area = at.text_area(key=f"tnote_mo_{best}")
    area.set_value("smallest good net").run()
    at.button(key=f"tnote_mo_{best}_save").click().run()
    assert not at.exception and tuning.read_study(None, "mo").trial_notes == {best: "smallest good net"}
    assert any("Saved the note on trial" in s.value for s in at.success)


def test_a_one_objective_study_says_where_the_front_comes_from():
    st = tuning.StudySettings(sampler="random", pruner="none", n_trials=2, epochs=2)
    tuning.create_study("one", SMALL, st, None)
    tuning.run_worker(None, "one")
    at = _open("one")
    _view(at, "Pareto front")
    assert any("one objective" in i.value for i in at.info)


def test_the_notes_view_saves_the_study_note_in_the_storage():
    _small_pareto_study("noted")
    at = _open("noted")
    _view(at, "Notes")
    at.text_area(key="snote_noted").set_value("width mattered most").run()
    at.button(key="snote_noted_save").click().run()
    assert not at.exception and tuning.read_study(None, "noted").note == "width mattered most"
    again = _open("noted")
    _view(again, "Notes")
    assert again.text_area(key="snote_noted").value == "width mattered most"  # read back from the storage


def test_two_objectives_with_a_pruner_are_refused_with_the_reason():
    at = _page().run()
    [obj] = [s for s in at.selectbox if s.label == "Objectives"]
    obj.set_value("accuracy+params")
    [n] = [w for w in at.number_input if w.label == "Trials"]
    n.set_value(2)
    _start(at)
    assert any("cannot prune" in e.value for e in at.error) and tuning.list_studies(None) == []
