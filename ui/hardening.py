"""Hosted mode: a visitor's messages to the server reach that visitor's own session, never everyone's.

Streamlit lets any browser send a ``clear_cache`` BackMsg, and its handler clears ``st.cache_data`` and
``st.cache_resource`` for the whole server: the shared result memo (``ui.common.memo``), charts, models.
One hostile visitor could throw away every visitor's warm results again and again and make the server
train them again. In hosted mode a visitor's ``clear_cache`` clears only that visitor's session state.
``load_git_info`` runs git in subprocesses on every message and sends back the repository's branch and
its uncommitted file names: in hosted mode it does nothing.

The handlers patched are Streamlit's private API (``AppSession._handle_*``): each is checked first (it
exists, takes only ``self``, and ``handle_backmsg`` still dispatches to it); if Streamlit has changed, a
warning goes to the server's log and that handler is left as it is. The audit of every BackMsg a visitor can send is in
tests/test_hardening.py's docstring.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from core import settings

log = logging.getLogger(__name__)
_MARK = "__nnlab_guard__"
_installed: list[str] | None = None
SHIPPED: dict[tuple[type, str], object] = {}  # (class, name) -> the handler as Streamlit ships it (tests put it back)


def _own_session_only(self: Any) -> None:
    """A visitor's clear_cache: that visitor's session state is cleared; the shared caches stay."""
    state = getattr(self, "_session_state", None)
    if state is not None:
        state.clear()


def _no_git_info(self: Any) -> None:
    """A visitor's load_git_info: nothing (no git subprocess per message, no file names sent back)."""


GUARDS: dict[str, Callable[[Any], None]] = {
    "_handle_clear_cache_request": _own_session_only,
    "_handle_git_information_request": _no_git_info,
}
for _fn in GUARDS.values():
    setattr(_fn, _MARK, True)


def _why_not(cls: type, name: str, dispatch_src: str) -> str | None:
    """Why ``cls.name`` is not the handler we expect (None: it is, and may be replaced)."""
    fn = cls.__dict__.get(name)
    if fn is None or not callable(fn):
        return "missing"
    if getattr(fn, _MARK, False):
        return None
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return "no signature"
    if params != ["self"]:
        return f"takes {params}, expected ['self']"
    if f"self.{name}(" not in dispatch_src:
        return "handle_backmsg no longer calls it"
    return None


def harden(cls: type | None = None) -> list[str]:
    """Replace the guarded handlers on ``cls`` (default: Streamlit's AppSession); the names replaced.

    Fail safe: a handler that is missing or changed is left alone, with a warning in the log.
    """
    try:
        if cls is None:
            from streamlit.runtime.app_session import AppSession as cls
        dispatch_src = inspect.getsource(cls.handle_backmsg)
    except Exception as e:  # noqa: BLE001 (any change in Streamlit: warn and leave it as it is)
        log.warning("hosted hardening not installed: cannot read AppSession.handle_backmsg (%s)", e)
        return []
    done = []
    for name, guard in GUARDS.items():
        why = _why_not(cls, name, dispatch_src)
        if why:
            log.warning("hosted hardening: %s.%s left as it is (%s)", cls.__name__, name, why)
            continue
        current = cls.__dict__.get(name)
        if not getattr(current, _MARK, False):
            SHIPPED.setdefault((cls, name), current)
        setattr(cls, name, guard)
        done.append(name)
    _check_config()
    return done


def _check_config() -> None:
    """Warn when a setting the audit relies on is off (these are checked by Streamlit per message)."""
    try:
        from streamlit import config

        want = {"server.headless": True, "global.developmentMode": False, "global.e2eTest": False,
                "server.fileWatcherType": "none"}
        for key, value in want.items():
            if config.get_option(key) != value:
                log.warning("hosted hardening: %s is %r; hosted servers should keep %r",
                             key, config.get_option(key), value)
    except Exception as e:  # noqa: BLE001
        log.warning("hosted hardening: could not read Streamlit's config (%s)", e)


def install() -> list[str]:
    """Once per server process, in hosted mode only: guard the visitor-sendable BackMsgs (see harden)."""
    global _installed
    if _installed is None and settings.hosted():
        _installed = harden()
    return _installed or []
