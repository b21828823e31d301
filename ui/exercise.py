"""'Predict, then run': a page's exercise for its open tab. The student picks an answer (nothing is chosen
at first); the page then runs the exercise's job (the page's own cached default run) and says, from its
numbers, who was right (a claim: core.exercises.claims)."""

from __future__ import annotations

import streamlit as st

from core import exercises
from ui import say
from ui.common import admitted
from ui.glossary import tip


def show(page: str, tab: str | None = None) -> None:
    """Every exercise of this page's open tab (``page``: its url path; ``tab``: the open tab's key)."""
    for ex in exercises.on(page, tab):
        _one(ex)


def _one(ex: exercises.Exercise) -> None:
    with st.container(border=True, key=f"exercise-{ex.id}"):
        st.markdown(f":material/quiz: **Predict, then run.** {ex.question}",
                    help=tip(*ex.terms) if ex.terms else None)
        labels = dict(ex.choices)
        pick = st.radio("Your answer", list(labels), index=None, format_func=labels.get, key=f"ex_{ex.id}",
                        label_visibility="collapsed")
        if pick is None:
            say.status("Pick an answer: the page then runs the job and checks it against the numbers.", "caption")
            return
        with st.spinner(f"Running {ex.job}..."), admitted(ex.request() if ex.request else None):
            verdict = exercises.judge(ex, pick)  # hosted: priced at the door unless the page's cache has it
        say.lesson(verdict, "success" if verdict.holds else "warning",
                   icon=":material/check_circle:" if verdict.holds else ":material/lightbulb:")
