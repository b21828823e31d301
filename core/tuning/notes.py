"""Notes on a study and on its trials, kept in the study's storage (Optuna user attributes).

A study's note is its user attribute ``note``. A trial's note is a study user attribute too,
``note:trial:<number>``: Optuna refuses to change a finished trial's attributes, and a note is
written after the trial (optuna-dashboard keeps its notes beside the study for the same reason).
One attribute per note, so two people noting two trials never overwrite each other.
"""

from __future__ import annotations

from typing import Any

from core.tuning.errors import TuningError
from core.tuning.storage import open_storage, reports_outage

STUDY_NOTE = "note"
TRIAL_NOTE = "note:trial:"
MAX_NOTE = 2000  # characters a note may hold


def _clean(text: str) -> str:
    text = str(text or "").strip()
    if len(text) > MAX_NOTE:
        raise TuningError(f"a note holds at most {MAX_NOTE:,} characters (this one has {len(text):,})")
    return text


def _study_id(storage: Any, name: str) -> int:
    try:
        return storage.get_study_id_from_name(name)
    except KeyError:
        raise TuningError(f"there is no study named {name!r}") from None


@reports_outage
def store_note_on_study(url: str | None, name: str, text: str) -> str:
    """Store the study's note (empty text clears it); returns what was stored."""
    storage = open_storage(url)
    text = _clean(text)
    storage.set_study_user_attr(_study_id(storage, name), STUDY_NOTE, text)
    return text


@reports_outage
def store_note_on_trial(url: str | None, name: str, number: int, text: str) -> str:
    """Store trial ``number``'s note (empty text clears it); TuningError if the study has no such trial."""
    storage = open_storage(url)
    sid = _study_id(storage, name)
    try:
        storage.get_trial_id_from_study_id_trial_number(sid, int(number))
    except KeyError:
        raise TuningError(f"there is no trial {number} in a study named {name!r}") from None
    text = _clean(text)
    storage.set_study_user_attr(sid, f"{TRIAL_NOTE}{int(number)}", text)
    return text


def notes_from_attrs(attrs: dict[str, Any]) -> tuple[str, dict[int, str]]:
    """(the study's note, {trial number: its note}) from a study's user attributes; empty notes left out."""
    study = attrs.get(STUDY_NOTE)
    trials = {}
    for k, v in attrs.items():
        if k.startswith(TRIAL_NOTE) and k[len(TRIAL_NOTE):].isdigit() and isinstance(v, str) and v:
            trials[int(k[len(TRIAL_NOTE):])] = v
    return (study if isinstance(study, str) else ""), trials
