"""The only two ways a page puts a sentence in a box: a lesson (a registered claim) or a status line.

``lesson(said)`` shows a claim's sentence (see :mod:`core.claims`) and refuses anything else, so a page
cannot state a lesson or a verdict that no run's numbers hold. ``status(text)`` shows what is going on
or what to do (a refusal, an empty choice, a file read); its text is written in the call itself, where
tests/test_claims_lint.py reads it. Nothing else in ``app_pages/`` or ``ui/`` calls ``st.success``,
``st.info``, ``st.warning`` or ``st.error``.
"""

from __future__ import annotations

from typing import Any, Literal

import streamlit as st

from core.claims import Said, is_claim

Kind = Literal["success", "info", "warning", "error", "markdown", "caption"]
_ALERTS = ("success", "info", "warning", "error")


def _show(where: Any, kind: Kind, text: str, icon: str | None, help: str | None = None) -> Any:
    box = where if where is not None else st
    if kind in _ALERTS:  # Streamlit's alert boxes take no tooltip: a term's tip goes on text beside them
        return getattr(box, kind)(text, icon=icon)
    return getattr(box, kind)(text, help=help)


def lesson(text: Said, kind: Kind = "info", *, icon: str | None = None, where: Any = None,
           help: str | None = None) -> Any:
    """Show a claim's sentence (nothing when it is empty) in a box of ``kind``, in ``where`` (a column or
    container; default the page), with ``help`` as its tooltip (markdown and caption only). Raises
    TypeError for text that no registered claim returned."""
    if not is_claim(text):
        raise TypeError(f"lesson() shows only a registered claim's Said, got {type(text).__name__}: "
                        f"{str(text)[:60]!r}")
    if not text:
        return None
    return _show(where, kind, str(text), icon, help)


def lessons(texts: dict[str, Said] | list[Said], kind: Kind = "markdown", *, where: Any = None) -> None:
    """Show several claims' sentences, in order, skipping the empty ones."""
    for t in texts.values() if isinstance(texts, dict) else texts:
        lesson(t, kind, where=where)


def status(text: str, kind: Kind = "info", *, icon: str | None = None, where: Any = None,
           help: str | None = None) -> Any:
    """Show a status line: what is going on or what to do, never a lesson or a verdict."""
    return _show(where, kind, text, icon, help)
