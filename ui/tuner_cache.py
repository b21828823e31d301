"""The tuner page's read of a study, cached for a second (a running study's trials arrive while it is shown);
cleared when this session writes to the study, so the next read shows what was written."""

from __future__ import annotations

import streamlit as st

from core import tuning


@st.cache_data(ttl=1.0, max_entries=16, show_spinner=False)
def read(url: str, name: str) -> tuning.StudyFrame:
    """The study's trials, notes and settings (tuning.read_study), at most a second old."""
    return tuning.read_study(url, name)
