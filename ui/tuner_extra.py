"""The Tuner's views for what optuna-dashboard has beyond the rest: a two-objective study's Pareto front
(click a trial for its settings and note) and the notes on a study and its trials (kept in the storage)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import tuning
from core.plotting import fit_width
from core.tuning import charts, notes, pareto
from core.tuning import claims as verdicts
from core.tuning.space import OBJECTIVE_LABELS, SECOND_OBJECTIVE
from ui import say
from ui.tuner_cache import read


def _may_write(frame: tuning.StudyFrame) -> bool:
    """Whether this session may write the study's notes (hosted: only the session that started it)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    token = tuning.owner_token(ctx.session_id) if ctx is not None else None
    return tuning.may_control(frame.owner, token)


def _save(what: str, fn, *args) -> None:
    try:
        fn(*args)
        read.clear()  # the next read (this session's or another's) shows the note just saved
        st.session_state["tuner_note_saved"] = what
    except tuning.TuningError as e:
        st.session_state["tuner_note_error"] = str(e)


def _saved_line() -> None:
    ss = st.session_state
    if (what := ss.pop("tuner_note_saved", None)) is not None:
        say.status(f"Saved the note on {what} in the study's storage.", "success", icon=":material/check:")
    if (err := ss.pop("tuner_note_error", None)) is not None:
        say.status(f"Not saved: {err}", "error", icon=":material/error:")


def trial_note_editor(url: str, frame: tuning.StudyFrame, number: int) -> None:
    """A text box holding trial ``number``'s note, and Save (read-only when this session may not write)."""
    key = f"tnote_{frame.name}_{number}"
    st.session_state.setdefault(key, frame.trial_notes.get(number, ""))
    st.text_area(f"Note on trial {number}", key=key, height=80, max_chars=notes.MAX_NOTE,
                 disabled=not _may_write(frame))
    st.button("Save trial note", key=f"{key}_save", disabled=not _may_write(frame), on_click=_save,
              args=(f"trial {number}",
                    lambda: notes.store_note_on_trial(url, frame.name, number, st.session_state[key])))


def notes_view(url: str, frame: tuning.StudyFrame) -> None:
    """The study's note and any trial's note, each a text box and Save; the trials that have notes, listed."""
    _saved_line()
    writable = _may_write(frame)
    if not writable:
        say.status("Only the session that started this study may write its notes here; you can read them.")
    key = f"snote_{frame.name}"
    st.session_state.setdefault(key, frame.note)
    st.text_area("Note on the study", key=key, height=100, max_chars=notes.MAX_NOTE, disabled=not writable,
                 placeholder="what you tried, what you learned, what to try next")
    st.button("Save study note", key=f"{key}_save", disabled=not writable, on_click=_save,
              args=("the study", lambda: notes.store_note_on_study(url, frame.name, st.session_state[key])))
    numbers = frame.trials["number"].astype(int).tolist()
    if numbers:
        best = frame.best()
        default = int(best["number"]) if best is not None else numbers[0]
        n = st.selectbox("Trial", numbers, index=numbers.index(default), key=f"note_pick_{frame.name}",
                         help="the best completed trial first; any trial can carry a note")
        trial_note_editor(url, frame, int(n))
    if frame.trial_notes:
        st.dataframe(pd.DataFrame({"trial": list(frame.trial_notes), "note": list(frame.trial_notes.values())}),
                     hide_index=True, width="stretch")
    st.caption("Notes live in the study's storage (Optuna user attributes), so every page and every machine "
               "reading this study sees them.")


def pareto_view(url: str, frame: tuning.StudyFrame, params: list[str]) -> None:
    """A two-objective study's trials and Pareto front; a clicked trial's settings, scores and note."""
    st_ = frame.info.settings if frame.info else None
    if st_ is None or st_.objective not in SECOND_OBJECTIVE:
        say.status("This study has one objective (validation accuracy): start a study with two objectives "
                   f"({OBJECTIVE_LABELS['accuracy+params']} or {OBJECTIVE_LABELS['accuracy+time']}) to see a "
                   "Pareto front.")
        return
    front = pareto.front_frame(frame.trials)
    if front.empty:
        say.status("No completed trial yet.")
        return
    got = st.altair_chart(fit_width(pareto.pareto_chart(frame.trials, st_.objective, params)), width="stretch",
                          on_select="rerun", selection_mode="trial", key=f"pareto_{frame.name}")
    cost = SECOND_OBJECTIVE[st_.objective]
    st.caption(f"Each dot is a completed trial. Orange: the Pareto front, the trials no other beats on both "
               f"accuracy and {cost}. Click a dot for its settings (double-click clears).")
    say.lesson(verdicts.pareto_tradeoff(frame.trials, st_.objective), "caption")
    number = pareto.picked_trial(got)
    if number is None:
        number = int(front.loc[front["front"], "number"].iloc[-1])  # the front's most accurate trial
    row = frame.trials[frame.trials["number"] == number]
    if row.empty:
        return
    r = row.iloc[0]
    on = bool(front.loc[front["number"] == number, "front"].any())
    st.markdown(f"**Trial {number}**{' (on the front)' if on else ''}: validation accuracy {r['value']:.4f}, "
                f"{cost} {r['value2']:,.4g}")
    st.dataframe(charts.trials_table(row, frame.params), hide_index=True, width="stretch")
    trial_note_editor(url, frame, number)
    _saved_line()
